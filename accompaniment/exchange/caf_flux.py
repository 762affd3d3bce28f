"""The CAF/MSA beneficiaries flux (VRSB0801): read as a stream, households validated one by one, applied by chunks.

Two streaming passes over the stored file, and no transaction spanning the whole file:

1. `check_document()` reads the whole file with expat and writes nothing. It refuses (`UnreadableFile`) a file
   that is not XML, whose root is not `Racine`, that is truncated, whose bytes are not valid in the encoding its
   prolog declares, or whose `IdentificationFlux` lacks a valid type, creation date or reference date. It
   counts the households (the progress bar's total).
2. `FluxImport.run()` reads it again with ElementTree's pull parser, one `InfosFoyerRSA` element at a time
   (each cleared once read: memory does not grow with the file), validates each household and applies them
   by chunks of `CHUNK_SIZE`, each chunk in its own transaction with the same dozen queries whatever its content.

Why a checking pass rather than one transaction that rolls back: a 50,000-household flux held in one
transaction would keep SQLite's single writer lock for the whole import (every caseworker's save would wait),
would make the progress invisible to the page that shows it (the counters are only committed at the end), and
on PostgreSQL would hold row locks on tens of thousands of files. Reading the file twice costs a few seconds;
after the first pass the file is known to be readable whole, so each chunk can commit on its own. If the import
stops in the middle (an error marks it failed; a killed process leaves it running), the chunks already
committed stay, and importing the file again completes it: applying a household is an idempotent upsert, and
only a completed import of the same file makes a new one a duplicate.

A household is accepted when it can be identified (fund type, fund number, matricule; each person with name and
birth date) and the values it carries are well-formed; a daily flux legitimately carries partial households
(only `IdentificationRSA` and the persons who changed), and only what the file carries is updated. Anything
else rejects that household alone, with a reason naming the household, the element and what is wrong — never
the NIR.

The writes are bulk statements: they do not pass through `AuditedModel.save()` (one audit entry per household
and person would be hundreds of thousands of rows saying "the flux changed this"). This is intended: the
import is one agent's action, recorded as ONE audit entry with its counts (see registry.import_run).
"""

import datetime
import xml.parsers.expat
from collections import defaultdict
from dataclasses import dataclass, field
from xml.etree.ElementTree import XMLPullParser, fromstring

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, reset_queries, transaction
from django.db.models import Q
from django.utils import timezone

from .. import nir as nir_lib
from ..enums import OPEN_RIGHTS_STATES, FluxType, FundType, MemberRole, RightsState, Sex
from ..models import Beneficiary, Household, HouseholdMember, ImportRejection, RightsStateChange
from .common import Territory, UnreadableFile, codec_name, french_date, iter_text, normalise_name, parse_iso_date

CHUNK_SIZE = 500
ROOT = "Racine"
HOUSEHOLD = "InfosFoyerRSA"

ROLE_LABELS = {
    MemberRole.APPLICANT: "demandeur",
    MemberRole.SPOUSE: "conjoint",
    MemberRole.CHILD: "enfant",
    MemberRole.OTHER: "autre personne",
}
ADULT_ROLES = (MemberRole.APPLICANT, MemberRole.SPOUSE)
SEXES = {"1": Sex.MALE, "2": Sex.FEMALE}
BOOLEANS = {"1": True, "true": True, "0": False, "false": False}
# SITFAM codes of a person living alone (célibataire, divorcé, séparé, veuf, isolé…): with children in the
# household, the applicant is a single parent.
SINGLE_FAMILY_SITUATIONS = {"CEL", "DIV", "SEP", "VEU", "ISO", "RPA", "RVE", "RVI"}
CLOSED_STATES = (RightsState.REFUSED, RightsState.CLOSED, RightsState.CLOSED_PREVIOUS_MONTH)


# Pass 1: the document -------------------------------------------------------------------------------------------
@dataclass
class DocumentInfo:
    flux_type: str
    created_on: datetime.date
    reference_date: datetime.date
    households: int
    fund_types: set = field(default_factory=set)
    encoding: str = "utf-8"
    plain: bool = False
    warnings: list = field(default_factory=list)


def _declared_encoding(head):
    """The encoding of the XML prolog (UTF-8 when none is declared), as Python names it."""
    import re

    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "UTF-8"
    match = re.match(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]{1,40})[\"']", head)
    label = match.group(1).decode("ascii") if match else "UTF-8"
    return codec_name(label), label


_EXPAT_MESSAGES = {
    xml.parsers.expat.errors.XML_ERROR_SYNTAX: "erreur de syntaxe",
    xml.parsers.expat.errors.XML_ERROR_INVALID_TOKEN: "caractère ou balise invalide",
    xml.parsers.expat.errors.XML_ERROR_UNCLOSED_TOKEN: "balise non refermée",
    xml.parsers.expat.errors.XML_ERROR_PARTIAL_CHAR: "caractère incomplet",
    xml.parsers.expat.errors.XML_ERROR_TAG_MISMATCH: "balise fermante qui ne correspond pas à la balise ouverte",
    xml.parsers.expat.errors.XML_ERROR_DUPLICATE_ATTRIBUTE: "attribut en double",
    xml.parsers.expat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT: "contenu après la fin du document",
    xml.parsers.expat.errors.XML_ERROR_UNDEFINED_ENTITY: "entité non définie",
    xml.parsers.expat.errors.XML_ERROR_BAD_CHAR_REF: "référence de caractère invalide",
    xml.parsers.expat.errors.XML_ERROR_MISPLACED_XML_PI: "déclaration XML mal placée",
    xml.parsers.expat.errors.XML_ERROR_NO_ELEMENTS: "aucun élément",
}
_CODES = xml.parsers.expat.errors.codes


def _expat_explanation(error):
    message = xml.parsers.expat.errors.messages.get(error.code, "")
    return _EXPAT_MESSAGES.get(message, "document mal formé")


class _DocumentChecker:
    """expat handlers that check the structure and read the flux identification; no tree is built."""

    def __init__(self):
        self.depth = 0
        self.section = None
        self.households = 0
        self.values = {}
        self.fund_types = set()
        self.capture = None
        self.text = []
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.StartDoctypeDeclHandler = self.refuse_doctype
        self.parser.EntityDeclHandler = self.refuse_doctype
        # A document without comments, CDATA sections or processing instructions ("plain") can be cut into
        # households by searching their tags in the text: see iter_households.
        self.plain = True
        self.parser.CommentHandler = self.not_plain
        self.parser.StartCdataSectionHandler = self.not_plain
        self.parser.ProcessingInstructionHandler = self.not_plain

    def not_plain(self, *args):
        self.plain = False

    def refuse_doctype(self, *args):
        raise UnreadableFile(
            "Le fichier contient une déclaration de type de document (DOCTYPE ou entité) qu'un flux VRSB0801 "
            "ne contient jamais : il n'a pas été importé."
        )

    def start(self, name, attributes):
        self.depth += 1
        depth = self.depth
        if depth == 1:
            if name != ROOT:
                raise UnreadableFile(
                    f"L'élément racine du fichier est <{name[:60]}> au lieu de <{ROOT}> : ce n'est pas un flux "
                    "bénéficiaires VRSB0801. Il n'a pas été importé."
                )
        elif depth == 2:
            self.section = name
            if name == HOUSEHOLD:
                self.households += 1
        elif (depth == 3 and self.section in ("IdentificationFlux", "TransmissionFlux")) or (
            depth == 5 and name == "FONORG" and self.section == HOUSEHOLD
        ):
            self.capture = name
            self.text = []
            self.parser.CharacterDataHandler = self.text.append

    def end(self, name):
        if self.capture is not None and self.depth in (3, 5):
            value = "".join(self.text).strip()
            if self.capture == "FONORG":
                self.fund_types.add(value)
            else:
                self.values.setdefault(self.capture, value)
            self.capture = None
            self.parser.CharacterDataHandler = None
        self.depth -= 1


def check_document(stream):
    """Reads the whole file (a binary stream) and returns what it is; raises UnreadableFile. Writes nothing."""
    head = stream.read(200)
    if not head.strip():
        raise UnreadableFile("Le fichier est vide : il n'a pas été importé.")
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise UnreadableFile(
            "Ce fichier n'est pas un document XML (il ne commence pas par une balise) : un flux VRSB0801 est "
            "attendu. Il n'a pas été importé."
        )
    encoding, label = _declared_encoding(head)
    stream.seek(0)
    checker = _DocumentChecker()
    try:
        for text in iter_text(stream, encoding, label=label):
            checker.parser.Parse(text, False)
        try:
            checker.parser.Parse("", True)
        except xml.parsers.expat.ExpatError as error:
            raise UnreadableFile(
                f"Le fichier est incomplet : il s'arrête à la ligne {error.lineno} avant la fin du document XML "
                f"({_expat_explanation(error)}). Il a sans doute été tronqué pendant le transfert : demandez-en un "
                "nouvel envoi. Il n'a pas été importé."
            ) from error
    except xml.parsers.expat.ExpatError as error:
        raise UnreadableFile(
            f"Le fichier n'est pas un XML bien formé : {_expat_explanation(error)} à la ligne {error.lineno}, "
            f"colonne {error.offset + 1}. Il n'a pas été importé."
        ) from error
    return _document_info(checker, encoding)


def _document_info(checker, encoding):
    values = checker.values
    if "TYPEFLUX" not in values and "DTREF" not in values:
        raise UnreadableFile(
            "Le bloc IdentificationFlux (type et dates du flux) est absent : le fichier n'a pas été importé."
        )
    flux_type = values.get("TYPEFLUX", "")
    if flux_type not in FluxType.values:
        raise UnreadableFile(
            f"Le type de flux IdentificationFlux/TYPEFLUX « {flux_type[:10]} » est inconnu (M mensuel ou I "
            "quotidien attendu) : le fichier n'a pas été importé."
        )
    dates = {}
    for element, label in (("DTCREAFLUX", "date de création"), ("DTREF", "date de référence")):
        try:
            dates[element] = parse_iso_date(values.get(element, ""))
        except ValueError as error:
            raise UnreadableFile(
                f"La {label} du flux (IdentificationFlux/{element}) « {values.get(element, '')[:20]} » n'est pas "
                "une date AAAA-MM-JJ : le fichier n'a pas été importé."
            ) from error
    info = DocumentInfo(
        flux_type=flux_type,
        created_on=dates["DTCREAFLUX"],
        reference_date=dates["DTREF"],
        households=checker.households,
        fund_types=checker.fund_types,
        encoding=encoding,
        plain=checker.plain,
    )
    announced = values.get("NBTOTDOSRSATRANSM")
    if announced is None:
        info.warnings.append("Le bloc TransmissionFlux (totaux de contrôle) est absent du fichier.")
    elif announced.isdigit() and int(announced) != checker.households:
        info.warnings.append(
            f"Le fichier annonce {int(announced)} foyers (TransmissionFlux/NBTOTDOSRSATRANSM) mais en contient "
            f"{checker.households} : vérifiez auprès de l'émetteur qu'il est complet."
        )
    return info


# Pass 2: the households ---------------------------------------------------------------------------------------
@dataclass(slots=True)
class PersonRecord:
    position: int
    role: str
    last_name: str
    birth_name: str
    first_name: str
    birth_date: datetime.date
    sex: str
    nir: str
    france_travail_id: str
    rights_and_duties: bool | None  # None: the file does not say
    hashes: tuple = ()  # the NIR's matching hashes (current key, and the previous one during a rotation)
    names: tuple = ()  # (first name, {usage and birth names}) as matching compares them


@dataclass(slots=True)
class AddressRecord:
    street: str
    complement: str
    postal_code: str
    city: str
    insee_code: str
    moved_in_on: datetime.date | None


@dataclass(slots=True)
class RightsRecord:
    state: str
    suspension_reason: str = ""
    suspended_on: datetime.date | None = None
    closure_reason: str = ""
    closed_on: datetime.date | None = None
    refused_on: datetime.date | None = None

    def effective_on(self, reference_date):
        """The date the flux gives for this state, else the flux's reference date."""
        return self.closed_on or self.suspended_on or self.refused_on or reference_date

    @property
    def details(self):
        return (self.state, self.suspension_reason, self.suspended_on, self.closure_reason, self.closed_on)


@dataclass(slots=True)
class HouseholdRecord:
    position: int
    fund_type: str
    fund_number: str
    matricule: str
    requested_on: datetime.date | None = None
    request_number: str = ""
    transferred_in_on: datetime.date | None = None
    persons: list = field(default_factory=list)
    family_situation: str | None = None
    address: AddressRecord | None = None
    rights: RightsRecord | None = None

    @property
    def key(self):
        return (self.fund_type, self.fund_number, self.matricule)

    @property
    def label(self):
        return f"{self.fund_type} {self.fund_number} n° {self.matricule}"


@dataclass(slots=True)
class Rejection:
    position: int
    identifier: str
    element: str
    reason: str


class _Problems:
    """The problems found in one household, each with the element it concerns."""

    def __init__(self):
        self.items = []

    def add(self, element, text):
        self.items.append((element, text))

    def __bool__(self):
        return bool(self.items)


def _text(element, path):
    value = element.findtext(path)
    return value.strip() if value is not None else None


def _date(element, path, problems, where, *, required=False):
    value = _text(element, path)
    if not value:
        if required:
            problems.add(path, f"{where}, élément {path} : absent ou vide (date AAAA-MM-JJ attendue)")
        return None
    try:
        return parse_iso_date(value)
    except ValueError:
        problems.add(path, f"{where}, élément {path} : « {value[:20]} » n'est pas une date valide (AAAA-MM-JJ)")
        return None


def _read_person(element, position, problems):
    where = f"personne n° {position}"
    roles = {}
    for benefit in element.iterfind("Prestations"):
        roles[(benefit.findtext("NATPREST") or "").strip()] = (benefit.findtext("ROLEPERS") or "").strip()
    role = roles.get("RSA") or next(iter(roles.values()), "")
    if role not in MemberRole.values:
        shown = f"« {role[:5]} »" if role else "absent"
        problems.add("Prestations/ROLEPERS", f"{where}, élément Prestations/ROLEPERS : rôle {shown} inconnu")
    else:
        where = f"personne n° {position} ({ROLE_LABELS[role]})"
    identification = element.find("Identification")
    if identification is None:
        problems.add("Personne/Identification", f"{where} : élément Identification absent (nom, naissance)")
        return None
    last_name = _text(identification, "NOM") or ""
    first_name = _text(identification, "PRENOM") or ""
    for path, value in (("NOM", last_name), ("PRENOM", first_name)):
        if not value:
            problems.add(f"Identification/{path}", f"{where}, élément Identification/{path} : absent ou vide")
    birth_date = _date(identification, "DTNAI", problems, where, required=True)
    raw_nir = _text(identification, "NIR") or ""
    nir = ""
    if raw_nir:
        try:
            nir = nir_lib.validate(raw_nir)
        except ValidationError:
            # The value is never quoted: it is a NIR, even when malformed.
            problems.add(
                "Identification/NIR",
                f"{where}, élément Identification/NIR : le NIR n'est pas valide (13 chiffres attendus, ou 15 avec "
                "une clé juste)",
            )
    sex_code = _text(identification, "SEXE") or ""
    if sex_code and sex_code not in SEXES:
        problems.add("Identification/SEXE", f"{where}, élément Identification/SEXE : « {sex_code[:3]} » (1 ou 2)")
    rights_and_duties = None
    flag = _text(element, "MontantCalculDroitRSAPersonne/TOPPERSDRODEVORSA")
    if flag is not None:
        rights_and_duties = BOOLEANS.get(flag.lower())
        if rights_and_duties is None:
            problems.add(
                "MontantCalculDroitRSAPersonne/TOPPERSDRODEVORSA",
                f"{where}, élément MontantCalculDroitRSAPersonne/TOPPERSDRODEVORSA : « {flag[:5]} » (0 ou 1 attendu)",
            )
    france_travail_id = _text(element, "DossierPoleEmploi/IDASSEDIC") or ""
    if len(france_travail_id) > 11:
        problems.add(
            "DossierPoleEmploi/IDASSEDIC",
            f"{where}, élément DossierPoleEmploi/IDASSEDIC : identifiant trop long (8 caractères attendus)",
        )
    if problems or birth_date is None:
        return None
    birth_name = _text(identification, "NOMNAI") or ""
    return PersonRecord(
        position=position,
        role=role,
        last_name=last_name[:100],
        birth_name=birth_name[:100] if normalise_name(birth_name) != normalise_name(last_name) else "",
        first_name=first_name[:100],
        birth_date=birth_date,
        sex=SEXES.get(sex_code, ""),
        nir=nir,
        france_travail_id=france_travail_id,
        rights_and_duties=rights_and_duties,
        hashes=tuple(nir_lib.candidate_hashes(nir)) if nir else (),
        names=(normalise_name(first_name), {normalise_name(last_name), normalise_name(birth_name)} - {""}),
    )


def _read_address(element, problems):
    addresses = element.findall("DonneesAdministratives/Adresse")
    if not addresses:
        return None
    current = next((a for a in addresses if (_text(a, "TroncCommunAdresse/RGADR") or "").lstrip("0") == "1"), None)
    current = current or addresses[0]
    moved_in_on = _date(current, "TroncCommunAdresse/DTEMM", problems, "adresse")
    france = current.find("AdresseDetailleeFrance")
    if france is None:
        abroad = current.find("AdresseHorsFrance")
        lines = [(_text(abroad, f"LIBLIG{n}ADR") or "") for n in range(2, 8)] if abroad is not None else []
        return AddressRecord(" ".join(p for p in lines if p)[:250], "", "", "", "", moved_in_on)
    street = " ".join(p for p in (_text(france, n) or "" for n in ("NUMVOIE", "LIBTYPEVOIE", "NOMVOIE")) if p)
    complement = " ".join(p for p in (_text(france, n) or "" for n in ("COMPLIDEADR", "COMPLADR", "LIEUDIST")) if p)
    postal_code = _text(france, "CODEPOS") or ""
    insee_code = _text(france, "NUMCOM") or ""
    if postal_code and not (postal_code.isdigit() and len(postal_code) == 5):
        problems.add("AdresseDetailleeFrance/CODEPOS", f"adresse, élément CODEPOS : « {postal_code[:8]} » (5 chiffres)")
    if insee_code and len(insee_code) != 5:
        problems.add("AdresseDetailleeFrance/NUMCOM", f"adresse, élément NUMCOM : « {insee_code[:8]} » (code INSEE)")
    return AddressRecord(
        street=street[:250],
        complement=complement[:250],
        postal_code=postal_code[:5],
        city=(_text(france, "NOMCOM") or "")[:120],
        insee_code=insee_code[:5],
        moved_in_on=moved_in_on,
    )


def _read_rights(element, problems):
    situation = element.find("PrestationRSA/SituationDossierRSA")
    if situation is None:
        return None
    state = _text(situation, "EtatDossierRSA/ETATDOSRSA")
    if state is None:
        return None
    if state not in RightsState.values:
        shown = f"« {state[:5]} »" if state else "vide"
        problems.add(
            "EtatDossierRSA/ETATDOSRSA",
            f"élément PrestationRSA/SituationDossierRSA/EtatDossierRSA/ETATDOSRSA : état du droit {shown} inconnu "
            "(codes 0 à 6 attendus)",
        )
        return None
    rights = RightsRecord(state=state)
    where = "situation du droit"
    if state == RightsState.OPEN_SUSPENDED:
        block = situation.find("SuspensionDroit")
        if block is not None:
            rights.suspension_reason = (_text(block, "MOTISUSDRORSA") or "")[:3]
            rights.suspended_on = _date(block, "DDSUSDRORSA", problems, where)
    elif state == RightsState.PAYMENT_SUSPENDED:
        block = situation.find("SuspensionVersement")
        if block is not None:
            rights.suspension_reason = (_text(block, "MOTISUSVERSRSA") or "")[:3]
            rights.suspended_on = _date(block, "DDSUSVERSRSA", problems, where)
    elif state in (RightsState.CLOSED, RightsState.CLOSED_PREVIOUS_MONTH):
        block = situation.find("FinDroit" if state == RightsState.CLOSED else "FinDroitMoisAnterieur")
        block = block if block is not None else situation.find("FinDroit")
        if block is not None:
            rights.closure_reason = (_text(block, "MOTICLORSA") or "")[:3]
            rights.closed_on = _date(block, "DTCLORSA", problems, where)
    elif state == RightsState.REFUSED:
        block = situation.find("Refus")
        if block is not None:
            rights.refused_on = _date(block, "DTREFURSA", problems, where)
    return rights


def read_household(element, position):
    """An `InfosFoyerRSA` element → (HouseholdRecord, None) or (None, Rejection)."""
    problems = _Problems()
    fund_type = _text(element, "IdentificationRSA/Organisme/FONORG") or ""
    fund_number = _text(element, "IdentificationRSA/Organisme/NUMORG") or ""
    matricule = _text(element, "IdentificationRSA/Organisme/MATRICULE") or ""
    identified = bool(fund_type and fund_number and matricule)
    identifier = f"{fund_type} {fund_number} n° {matricule}" if identified else ""
    for path, value in (("FONORG", fund_type), ("NUMORG", fund_number), ("MATRICULE", matricule)):
        if not value:
            problems.add(
                f"IdentificationRSA/Organisme/{path}",
                f"élément IdentificationRSA/Organisme/{path} absent ou vide : le foyer ne peut pas être identifié",
            )
    if fund_type and fund_type not in FundType.values:
        problems.add("IdentificationRSA/Organisme/FONORG", f"élément FONORG : « {fund_type[:5]} » (CAF ou MSA)")
    if fund_number and len(fund_number) > 3:
        problems.add("IdentificationRSA/Organisme/NUMORG", f"élément NUMORG : « {fund_number[:6]} » (3 caractères)")
    if matricule and not (matricule.isdigit() and len(matricule) <= 15):
        problems.add("IdentificationRSA/Organisme/MATRICULE", "élément MATRICULE : jusqu'à 15 chiffres attendus")
    record = HouseholdRecord(position=position, fund_type=fund_type, fund_number=fund_number, matricule=matricule)
    record.requested_on = _date(element, "IdentificationRSA/DemandeRSA/DTDEMRSA", problems, "demande RSA")
    record.request_number = (_text(element, "IdentificationRSA/DemandeRSA/NUMDEMRSA") or "")[:11]
    record.transferred_in_on = _date(
        element, "IdentificationRSA/OrganismeCedant/DDARRMUT", problems, "arrivée d'un autre organisme"
    )
    persons = element.findall("Personne")
    if not persons:
        problems.add("Personne", "aucune personne (élément Personne absent) : le foyer ne peut pas être appliqué")
    for position_in_household, person in enumerate(persons, start=1):
        person_problems = _Problems()
        parsed = _read_person(person, position_in_household, person_problems)
        problems.items.extend(person_problems.items)
        if parsed is not None:
            record.persons.append(parsed)
    situation = element.find("DonneesAdministratives/SituationFamille/SITFAM")
    if situation is not None:
        record.family_situation = (situation.text or "").strip()[:3]
    record.address = _read_address(element, problems)
    record.rights = _read_rights(element, problems)
    if problems:
        who = f"Foyer {identifier}" if identified else "Foyer non identifié"
        reason = (
            f"{who} ({ordinal(position)} foyer du fichier) : " + " ; ".join(text for _, text in problems.items) + "."
        )
        return None, Rejection(position, identifier, problems.items[0][0], reason)
    return record, None


def iter_households(stream, encoding, *, plain=False):
    """(position, element) for each household, read as a stream: only one household's elements exist at a time."""
    if plain:
        yield from _cut_households(stream, encoding)
    else:
        yield from _pull_households(stream, encoding)


_OPEN, _CLOSE = f"<{HOUSEHOLD}", f"</{HOUSEHOLD}"
_TAG_ENDS = frozenset(">/ \t\r\n")


def _cut_households(stream, encoding):
    """For a document the first pass proved well-formed, without DOCTYPE, comments, CDATA sections or processing
    instructions: a household's tags cannot appear anywhere but as its tags (a "<" in text is escaped), so each
    `<InfosFoyerRSA>…</InfosFoyerRSA>` is cut from the decoded text and parsed alone, in C. Six times faster than
    the pull parser, which reports every element of the file to Python. Holds one block plus one household."""
    buffer = ""
    position = 0
    for text in iter_text(stream, encoding):
        buffer = buffer + text if buffer else text
        start = 0
        while True:
            begin = buffer.find(_OPEN, start)
            if begin < 0:
                start = max(start, len(buffer) - len(_OPEN))
                break
            if buffer[begin + len(_OPEN) : begin + len(_OPEN) + 1] not in _TAG_ENDS:
                start = begin + 1  # another element whose name starts the same way
                continue
            tag_end = buffer.find(">", begin)
            if tag_end < 0:
                start = begin
                break
            if buffer[tag_end - 1] == "/":  # an empty household: <InfosFoyerRSA/>
                end = tag_end
            else:
                close = buffer.find(_CLOSE, tag_end)
                end = buffer.find(">", close) if close >= 0 else -1
                if end < 0:
                    start = begin
                    break
            position += 1
            yield position, fromstring(buffer[begin : end + 1])
            start = end + 1
        buffer = buffer[start:]


def _pull_households(stream, encoding):
    """Any well-formed document: ElementTree's pull parser, each household cleared from the tree once read."""
    parser = XMLPullParser(events=("start", "end"))
    root = None
    depth = 0
    position = 0
    for text in iter_text(stream, encoding):
        parser.feed(text)
        for event, element in parser.read_events():
            if event == "start":
                depth += 1
                if root is None:
                    root = element
                continue
            depth -= 1
            if depth == 1 and element.tag == HOUSEHOLD:
                position += 1
                yield position, element
                root.clear()  # drops the household just read
    parser.close()


# Applying the households ----------------------------------------------------------------------------------------
@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    outdated: int = 0
    files_created: int = 0
    rejections: list = field(default_factory=list)


def _assign(obj, name, value, changed):
    if getattr(obj, name) != value:
        setattr(obj, name, value)
        changed.add(name)


def _same_person(person, first_name, last_names, birth_date):
    """Name + birth date: same first name, and one of the person's names (usage or birth) among the other's."""
    person_first, person_last = person.names
    return birth_date == person.birth_date and first_name == person_first and bool(person_last & last_names)


def _may_be_file_of(person, file):
    """A file the person may own by name + birth date: it holds no other NIR (or the person carries none)."""
    return (not file.nir_hash or not person.nir) and _same_person(
        person,
        normalise_name(file.first_name),
        {normalise_name(file.last_name), normalise_name(file.birth_name)} - {""},
        file.birth_date,
    )


def _households_of(records):
    """The stored households of the records, looked up through the (fund type, fund number, matricule) index."""
    groups = defaultdict(set)
    for record in records:
        groups[(record.fund_type, record.fund_number)].add(record.matricule)
    query = Q(pk__in=[])
    for (fund_type, fund_number), matricules in groups.items():
        query |= Q(fund_type=fund_type, fund_number=fund_number, matricule__in=matricules)
    return {(h.fund_type, h.fund_number, h.matricule): h for h in Household.objects.filter(query)}


class _PersonIndex:
    """The stored members and files of a chunk's households, by NIR hash and by name + birth date: three queries."""

    def __init__(self, households, hashes, matricules):
        ids = [h.pk for h in households]
        self.members = defaultdict(list)
        linked = []
        for member in HouseholdMember.objects.filter(household_id__in=ids):
            self.members[member.household_id].append(member)
            if member.beneficiary_id:
                linked.append(member.beneficiary_id)
        query = Q(household_id__in=ids) | Q(pk__in=linked) | Q(household__isnull=True, caf_number__in=matricules)
        if hashes:
            query |= Q(nir_hash__in=hashes)
        self.files = {f.pk: f for f in Beneficiary.objects.filter(query)}
        self.files_by_hash = {f.nir_hash: f for f in self.files.values() if f.nir_hash}
        self.files_by_household = defaultdict(list)
        self.orphans_by_caf_number = defaultdict(list)
        for file in self.files.values():
            if file.household_id:
                self.files_by_household[file.household_id].append(file)
            else:
                self.orphans_by_caf_number[file.caf_number].append(file)


class FluxImport:
    """Applies the households of one flux, chunk by chunk."""

    def __init__(self, *, data_import, info, progress=None):
        self.data_import = data_import
        self.info = info
        self.progress = progress
        self.territory = Territory()
        self.departement = settings.PARCOURS_DEPARTEMENT
        flux_label = FluxType(info.flux_type).label.lower()
        funds = "/".join(sorted(info.fund_types & set(FundType.values))) or "CAF"
        self.source = f"Flux {funds} {flux_label} du {french_date(info.created_on)}"[:200]

    # The run ------------------------------------------------------------------------------------------
    def run(self, stream):
        chunk = []
        for position, element in iter_households(stream, self.info.encoding, plain=self.info.plain):
            record, rejection = read_household(element, position)
            chunk.append(rejection or record)
            if len(chunk) >= CHUNK_SIZE:
                self._flush(chunk)
                chunk = []
        if chunk:
            self._flush(chunk)
        return self.data_import

    def _flush(self, items):
        rejected = [item for item in items if isinstance(item, Rejection)]
        records = [item for item in items if not isinstance(item, Rejection)]
        result = ChunkResult(rejections=list(rejected))
        try:
            with transaction.atomic():
                self._apply(records, result)
                self._save_rejections(result.rejections)
        except IntegrityError:
            # A household conflicts with stored data (a constraint): apply them one by one to find it, so that
            # every other household of the chunk is imported.
            result = ChunkResult(rejections=list(rejected))
            for record in records:
                try:
                    with transaction.atomic():
                        self._apply([record], result)
                except IntegrityError:
                    result.rejections.append(
                        Rejection(
                            record.position,
                            record.label,
                            "Personne",
                            f"Foyer {record.label} ({ordinal(record.position)} foyer du fichier) : il n'a pas pu être "
                            "enregistré car il entre en conflit avec des données déjà présentes (un de ses membres a "
                            "sans doute déjà un dossier sous une autre identité). Vérifiez les dossiers de ses membres.",
                        )
                    )
            with transaction.atomic():
                self._save_rejections(result.rejections)
        self._count(result, len(items))

    def _save_rejections(self, rejections):
        ImportRejection.objects.bulk_create(
            [
                ImportRejection(
                    data_import=self.data_import,
                    position=r.position,
                    identifier=r.identifier[:120],
                    element=r.element[:200],
                    reason=r.reason,
                )
                for r in rejections
            ]
        )

    def _count(self, result, size):
        data_import = self.data_import
        data_import.processed += size
        data_import.created += result.created
        data_import.updated += result.updated
        data_import.unchanged += result.unchanged
        data_import.rejected += len(result.rejections)
        data_import.outdated += result.outdated
        data_import.files_created += result.files_created
        data_import.save(
            update_fields=["processed", "created", "updated", "unchanged", "rejected", "outdated", "files_created"]
        )
        if settings.DEBUG and not connection.force_debug_cursor:
            reset_queries()  # with DEBUG on, Django keeps every (large) statement, unless a test counts them
        if self.progress:
            self.progress(data_import.processed, data_import.total)

    # One chunk: the same dozen queries whatever its households ------------------------------------------------
    def _apply(self, records, result):
        import_id = self.data_import.pk
        by_key = {}
        for record in records:
            if record.key in by_key:
                result.rejections.append(self._duplicate(record, by_key[record.key]))
            else:
                by_key[record.key] = record
        stored = _households_of(by_key.values())
        to_apply, outdated_ids = [], []
        for key, record in by_key.items():
            household = stored.get(key)
            if household is not None and household.last_import_id == import_id:
                result.rejections.append(self._duplicate(record, None))
            elif (
                household is not None
                and household.flux_reference_date
                and (household.flux_reference_date > self.info.reference_date)
            ):
                # A newer flux was applied to this household: this older one must not overwrite its state.
                outdated_ids.append(household.pk)
                result.outdated += 1
                result.unchanged += 1
            else:
                to_apply.append((record, household))
        if outdated_ids:
            Household.objects.filter(pk__in=outdated_ids).update(last_import_id=import_id)

        hashes = {value for record, _ in to_apply for person in record.persons for value in person.hashes}
        index = _PersonIndex(
            [h for _, h in to_apply if h is not None], hashes, {record.matricule for record, _ in to_apply}
        )
        writes = _Writes()
        for record, household in to_apply:
            if rejection := self._ambiguous_match(record, household, index):
                result.rejections.append(rejection)
                continue
            outcome = self._apply_household(record, household, index, writes)
            setattr(result, outcome, getattr(result, outcome) + 1)
        result.files_created += len(writes.new_files)
        writes.save(import_id=import_id, reference_date=self.info.reference_date)

    def _duplicate(self, record, first):
        where = f"le {ordinal(first.position)} foyer du fichier" if first else "plus haut dans le fichier"
        return Rejection(
            record.position,
            record.label,
            "IdentificationRSA/Organisme/MATRICULE",
            f"Foyer {record.label} ({ordinal(record.position)} foyer du fichier) : ce foyer figure plusieurs fois "
            f"dans le fichier ; seule sa première occurrence ({where}) a été importée. Signalez le doublon à "
            "l'émetteur du flux.",
        )

    def _ambiguous_match(self, record, household, index):
        """A person with no file of their own (by member link or NIR hash) whose name and birth date match
        several files of the household, or files created by hand with its CAF number: which one is the person's
        cannot be told, so the household waits until the duplicate files are merged (a Rejection, else None)."""
        members = index.members[household.pk] if household is not None else []
        files = index.files_by_household[household.pk] if household is not None else []
        candidates = [*files, *index.orphans_by_caf_number.get(record.matricule, [])]
        for person in record.persons:
            member = self._find_member(person, members)
            if (member is not None and member.beneficiary_id) or any(h in index.files_by_hash for h in person.hashes):
                continue
            matches = [file for file in candidates if _may_be_file_of(person, file)]
            if len(matches) > 1:
                numbers = ", ".join(f"n° {file.pk}" for file in sorted(matches, key=lambda file: file.pk))
                return Rejection(
                    record.position,
                    record.label,
                    "Personne/Identification",
                    f"Foyer {record.label} ({ordinal(record.position)} foyer du fichier) : une personne née le "
                    f"{french_date(person.birth_date)} correspond par son nom et sa date de naissance à plusieurs "
                    f"dossiers ({numbers}) ; impossible de savoir lequel est le sien. Le foyer n'a pas été importé : "
                    "fusionnez ou corrigez les dossiers en double, puis importez de nouveau ce fichier.",
                )
        return None

    def _apply_household(self, record, household, index, writes):
        """Applies one household; returns "created", "updated" or "unchanged"."""
        created = household is None
        if created:
            household = Household(
                fund_type=record.fund_type, fund_number=record.fund_number, matricule=record.matricule
            )
            writes.new_households.append(household)
        previous = {
            "state": household.rights_state,
            "requested_on": household.rights_requested_on,
            "transferred_in_on": household.transferred_in_on,
            "outside": bool(household.postal_code) and not self._inside(household.commune_id),
        }
        changed = set()
        rights_changed = self._update_household(record, household, changed, writes)
        moved_in_on = self._moved_in_on(record, household, previous)
        members = [] if created else index.members[household.pk]
        files = [] if created else index.files_by_household[household.pk]
        matched = [(person, self._find_member(person, members)) for person in record.persons]
        children = sum(1 for m in members if m.role == MemberRole.CHILD) + sum(
            1 for person, member in matched if member is None and person.role == MemberRole.CHILD
        )
        any_change = created or bool(changed)
        touched_files = set()
        for person, member in matched:
            if member is None:
                member = HouseholdMember(household=household)
                writes.new_members.append(member)
                members.append(member)
                any_change = True
            member_changed = self._update_member(member, person)
            file = self._find_file(person, member, household, index, files, writes)
            if file is None and member.rights_and_duties and person.role in ADULT_ROLES:
                if household.rights_state in OPEN_RIGHTS_STATES:
                    file = Beneficiary(origin="flux")
                    writes.new_files.append(file)
                    files.append(file)
            if file is not None:
                touched_files.add(id(file))
                if self._update_file(file, person, record, household, previous, moved_in_on, children, writes):
                    any_change = True
                if file.pk is None or member.beneficiary_id != file.pk:
                    member.beneficiary = file
                    member_changed.add("beneficiary")
                    if file.pk is not None:
                        writes.relinked_file_ids.add(file.pk)
            if member.pk is not None and member_changed:
                writes.members.append(member)
                writes.member_fields.update(member_changed)
                any_change = True

        # The household's other files (persons a daily flux does not carry) follow its rights state.
        if rights_changed:
            for file in files:
                if id(file) not in touched_files and file.pk is not None:
                    file_changed = set()
                    _assign(file, "rights_state", household.rights_state, file_changed)
                    if file_changed:
                        writes.changed_file(file, file_changed)
        household.last_import_id = self.data_import.pk
        household.flux_reference_date = self.info.reference_date
        if not created:
            if changed:
                writes.households.append(household)
                writes.household_fields.update(changed)
            else:
                writes.seen_household_ids.append(household.pk)
        if created:
            return "created"
        return "updated" if any_change else "unchanged"

    def _update_household(self, record, household, changed, writes):
        """The household's own fields, only those the file carries; True when its rights state changed."""
        for name, value in (
            ("rights_requested_on", record.requested_on),
            ("rights_request_number", record.request_number),
            ("transferred_in_on", record.transferred_in_on),
            ("family_situation", record.family_situation),
        ):
            if value:
                _assign(household, name, value, changed)
        if record.address is not None:
            address = record.address
            commune = self.territory.commune(address.insee_code, address.postal_code)
            for name, value in (
                ("address", address.street),
                ("address_complement", address.complement),
                ("postal_code", address.postal_code),
                ("city", address.city),
                ("commune_id", commune.insee_code if commune else None),
                ("moved_in_on", address.moved_in_on),
            ):
                _assign(household, name, value, changed)
        if record.rights is None:
            return False
        rights = record.rights
        names = ("rights_state", "suspension_reason", "suspended_on", "closure_reason", "closed_on")
        if tuple(getattr(household, name) for name in names) == rights.details:
            return False
        for name, value in zip(names, rights.details, strict=True):
            _assign(household, name, value, changed)
        writes.rights_changes.append(
            RightsStateChange(
                household=household,
                state=rights.state,
                effective_on=rights.effective_on(self.info.reference_date),
                suspension_reason=rights.suspension_reason,
                suspended_on=rights.suspended_on,
                closure_reason=rights.closure_reason,
                closed_on=rights.closed_on,
                source=self.source,
            )
        )
        return True

    @staticmethod
    def _update_member(member, person):
        changed = set()
        for name, value in (
            ("role", person.role),
            ("first_name", person.first_name),
            ("last_name", person.last_name),
            ("birth_date", person.birth_date),
        ):
            _assign(member, name, value, changed)
        if person.sex:
            _assign(member, "sex", person.sex, changed)
        if person.nir and member.nir_hash not in person.hashes:
            member.nir_encrypted, member.nir_hash = nir_lib.encrypt(person.nir), person.hashes[0]
            changed.update({"nir_encrypted", "nir_hash"})
        if person.rights_and_duties is not None:
            _assign(member, "rights_and_duties", person.rights_and_duties, changed)
        return changed

    def _inside(self, commune_id):
        return self.territory.departement_of(commune_id) == self.departement

    def _moved_in_on(self, record, household, previous):
        """A move-in from another Département — an arrival from another fund, or an address now inside the
        Département after one outside — starts a new rights-opening date: the day of the move."""
        if record.transferred_in_on and record.transferred_in_on != previous["transferred_in_on"]:
            return record.transferred_in_on
        if record.address is not None and previous["outside"] and self._inside(household.commune_id):
            return record.address.moved_in_on or self.info.reference_date
        return None

    @staticmethod
    def _find_member(person, members):
        """By NIR hash, else by name + birth date when one of them has no NIR."""
        if person.hashes:
            for member in members:
                if member.nir_hash and member.nir_hash in person.hashes:
                    return member
        for member in members:
            if (not member.nir_hash or not person.nir) and _same_person(
                person, normalise_name(member.first_name), {normalise_name(member.last_name)}, member.birth_date
            ):
                return member
        return None

    @staticmethod
    def _find_file(person, member, household, index, files, writes):
        """The person's file: the member's, else by NIR hash anywhere, else by name + birth date among the
        household's files, or files created by hand with the household's CAF number, that hold no other NIR."""
        if member.beneficiary_id:
            return index.files.get(member.beneficiary_id)
        for value in person.hashes:
            file = index.files_by_hash.get(value) or writes.new_files_by_hash.get(value)
            if file is not None:
                return file
        for file in [*files, *index.orphans_by_caf_number.get(household.matricule, [])]:
            if _may_be_file_of(person, file):
                return file
        return None

    def _update_file(self, file, person, record, household, previous, moved_in_on, children, writes):
        """Brings a file (new or stored) up to date with the flux; True when something changed."""
        creating = file.pk is None
        changed = set()
        for name, value in (
            ("first_name", person.first_name),
            ("last_name", person.last_name),
            ("birth_name", person.birth_name),
            ("birth_date", person.birth_date),
            ("caf_number", household.matricule),
            ("rights_state", household.rights_state),
        ):
            _assign(file, name, value, changed)
        if household.pk is None or file.household_id != household.pk:
            file.household = household
            changed.add("household")
        if person.sex:
            _assign(file, "sex", person.sex, changed)
        if person.france_travail_id:
            _assign(file, "france_travail_id", person.france_travail_id, changed)
        if person.rights_and_duties is not None:
            _assign(file, "rights_and_duties", person.rights_and_duties, changed)
        elif creating:
            file.rights_and_duties = True
        if person.nir and file.nir_hash not in person.hashes:
            file.nir_encrypted, file.nir_hash = nir_lib.encrypt(person.nir), person.hashes[0]
            changed.update({"nir_encrypted", "nir_hash"})
            writes.new_files_by_hash[file.nir_hash] = file
        if record.address is not None or creating:
            for name in ("address", "address_complement", "postal_code", "city", "commune_id"):
                _assign(file, name, getattr(household, name), changed)
            if ("commune_id" in changed or creating) and not file.sector_set_by_hand:
                _assign(file, "sector_id", self.territory.sector_id(file.commune_id), changed)
        if record.family_situation and person.role == MemberRole.APPLICANT:
            _assign(
                file, "single_parent", record.family_situation in SINGLE_FAMILY_SITUATIONS and children > 0, changed
            )
        self._update_dates(file, household, previous, moved_in_on, changed)
        if not creating and changed:
            writes.changed_file(file, changed)
        return creating or bool(changed)

    def _update_dates(self, file, household, previous, moved_in_on, changed):
        """Rights-opening and flux dates (SPEC §2 step 1): set when the flux first shows the person subject to
        rights and duties on an open right; a new request after a closure, or a move-in from another Département,
        starts a new rights-opening date and a new flux date (a new entrant)."""
        if not (household.rights_state in OPEN_RIGHTS_STATES and file.rights_and_duties):
            return
        created_on = self.info.created_on
        request = household.rights_requested_on
        if file.rights_opened_on is None:
            start = max(filter(None, (request, household.transferred_in_on, moved_in_on)), default=None)
            _assign(file, "rights_opened_on", start or created_on, changed)
            if file.flux_date is None:
                _assign(file, "flux_date", created_on, changed)
        elif moved_in_on and moved_in_on > file.rights_opened_on:
            _assign(file, "rights_opened_on", moved_in_on, changed)
            _assign(file, "flux_date", created_on, changed)
        elif request and request > file.rights_opened_on:
            new_request = previous["requested_on"] is not None and request > previous["requested_on"]
            was_closed = previous["state"] in CLOSED_STATES or "household" in changed
            if new_request or was_closed:
                _assign(file, "rights_opened_on", request, changed)
                _assign(file, "flux_date", created_on, changed)


class _Writes:
    """What one chunk writes, as bulk statements (not through AuditedModel.save(): see the module docstring)."""

    def __init__(self):
        self.new_households = []
        self.households = []
        self.household_fields = set()
        self.seen_household_ids = []
        self.new_members = []
        self.members = []
        self.member_fields = set()
        self.new_files = []
        self.new_files_by_hash = {}
        self.files = {}
        self.file_fields = set()
        self.relinked_file_ids = set()
        self.rights_changes = []

    def changed_file(self, file, fields):
        self.files[id(file)] = file
        self.file_fields.update(fields)

    def save(self, *, import_id, reference_date):
        now = timezone.now()
        Household.objects.bulk_create(self.new_households)
        if self.households:
            for household in self.households:
                household.updated_at = now
            fields = {"flux_reference_date", "last_import_id", "updated_at"} | self.household_fields
            Household.objects.bulk_update(self.households, sorted(_field_names(Household, fields)))
        if self.seen_household_ids:
            Household.objects.filter(pk__in=self.seen_household_ids).update(
                flux_reference_date=reference_date, last_import_id=import_id
            )
        # A file that moves to another member (another household) first leaves its former member (one-to-one).
        if self.relinked_file_ids:
            keep = [m.pk for m in self.members if m.beneficiary_id in self.relinked_file_ids]
            HouseholdMember.objects.filter(beneficiary_id__in=self.relinked_file_ids).exclude(pk__in=keep).update(
                beneficiary=None
            )
        Beneficiary.objects.bulk_create(self.new_files)
        if self.files:
            files = list(self.files.values())
            for file in files:
                file.updated_at = now
            Beneficiary.objects.bulk_update(files, sorted(_field_names(Beneficiary, {"updated_at"} | self.file_fields)))
        HouseholdMember.objects.bulk_create(self.new_members)
        if self.members:
            HouseholdMember.objects.bulk_update(self.members, sorted(_field_names(HouseholdMember, self.member_fields)))
        RightsStateChange.objects.bulk_create(self.rights_changes)
        # Bulk writes pass no signal: the files created or changed get their derived status here.
        touched = [file.pk for file in self.new_files] + [file.pk for file in self.files.values()]
        if touched:
            Beneficiary.objects.filter(pk__in=touched).refresh_status()


def _field_names(model, names):
    """Field names from attribute names (`commune_id` → `commune`), as bulk_update wants them."""
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    return {by_attname.get(name, name) for name in names}


def ordinal(number):
    return "1er" if number == 1 else f"{number}e"
