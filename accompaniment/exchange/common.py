"""What the importers share: the refusal of an unreadable file, strict decoding, names and dates, territory."""

import codecs
import datetime
import re
import unicodedata
from collections import defaultdict

from partners.enums import PRIMARY_SECTOR_KIND
from partners.models import Commune, SectorCommune, address_insee_code

READ_SIZE = 1 << 20  # bytes read at a time: memory does not depend on the file's size


class UnreadableFile(Exception):
    """The file cannot be read whole: it is refused and nothing of it is written. The message is French and says
    what is wrong and where, for the person who imports the file (it never quotes a NIR)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class InvalidBytes(UnreadableFile):
    """Bytes not valid in the file's encoding, at `line`."""

    def __init__(self, message, *, line):
        super().__init__(message)
        self.line = line


def codec_name(label):
    """Python's name of an encoding label (`windows-1252` → `cp1252`), or UnreadableFile when unknown."""
    try:
        return codecs.lookup(label).name
    except LookupError as error:
        raise UnreadableFile(
            f"L'encodage déclaré par le fichier (« {label[:40]} ») est inconnu : le fichier n'a pas été importé."
        ) from error


def iter_text(stream, encoding, *, label=None):
    """Decodes a binary stream block by block, strictly: a byte that is not valid in `encoding` refuses the
    whole file, with its line and value. Yields text blocks."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    line = 1
    while True:
        block = stream.read(READ_SIZE)
        final = not block
        try:
            text = decoder.decode(block, final=final)
        except UnicodeDecodeError as error:
            before = error.object[: error.start]
            bad = error.object[error.start : error.start + 1]
            where = line + before.count(b"\n")
            value = f" (octet 0x{bad[0]:02X})" if bad else ""
            if final:
                raise InvalidBytes(
                    f"Le fichier se termine au milieu d'un caractère {label or encoding} : il est incomplet "
                    "(tronqué). Demandez-en un nouvel envoi ; il n'a pas été importé.",
                    line=where,
                ) from error
            raise InvalidBytes(
                f"Le fichier contient un octet invalide pour l'encodage qu'il déclare ({label or encoding}) à la "
                f"ligne {where}{value} : il n'a pas été importé. Demandez à l'émetteur un fichier correctement encodé.",
                line=where,
            ) from error
        line += text.count("\n")
        if text:
            yield text
        if final:
            return


def first_invalid_line(stream, encoding):
    """The line of the first byte not valid in `encoding`, or None when the whole stream decodes."""
    try:
        for _ in iter_text(stream, encoding):
            pass
    except InvalidBytes as error:
        return error.line
    return None


# Names and dates ----------------------------------------------------------------------------------------------
_NOT_LETTERS = re.compile(r"[^A-Z0-9]+")


def normalise_name(value):
    """A name as matching compares it: no accents, upper case, any run of spaces, hyphens or quotes as one space."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_LETTERS.sub(" ", ascii_only.upper()).strip()


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?$")


def parse_iso_date(text):
    """`AAAA-MM-JJ` (an XML date, time zone tolerated) → date; ValueError otherwise."""
    match = _ISO_DATE.match(text)
    if not match:
        raise ValueError(text)
    return datetime.date(int(match[1]), int(match[2]), int(match[3]))


def french_date(value):
    return f"{value:%d/%m/%Y}" if value else ""


# Territory ------------------------------------------------------------------------------------------------
CITIES_WITH_ARRONDISSEMENTS = ("75056", "69123", "13055")


class Territory:
    """The reference communes and their primary sectors, read once per import (a few hundred rows), so that
    resolving an address costs no query: same rules as `Commune.resolve` (Marseille 13055 → arrondissement)."""

    def __init__(self):
        self.communes = {c.insee_code: c for c in Commune.objects.only("insee_code", "departement", "postal_codes")}
        self.by_postal_code = defaultdict(list)
        for commune in self.communes.values():
            if commune.insee_code in CITIES_WITH_ARRONDISSEMENTS:
                continue  # the unit is the arrondissement, never the whole city (SPEC §1)
            for postal_code in commune.postal_codes.split():
                self.by_postal_code[postal_code].append(commune)
        self.primary_sectors = dict(
            SectorCommune.objects.filter(kind=PRIMARY_SECTOR_KIND).values_list("commune_id", "sector_id")
        )

    def commune(self, insee_code, postal_code=""):
        code = address_insee_code(insee_code, postal_code)
        if not code and postal_code:
            matches = self.by_postal_code.get(postal_code.strip(), [])
            return matches[0] if len(matches) == 1 else None
        return self.communes.get(code)

    def sector_id(self, commune_id):
        return self.primary_sectors.get(commune_id) if commune_id else None

    def departement_of(self, commune_id):
        commune = self.communes.get(commune_id) if commune_id else None
        return commune.departement if commune else None
