"""The France Travail beneficiaries extract: a `;` CSV, UTF-8 or windows-1252, `NULL` for an empty value.

Like the flux, it is read twice as a stream. The first pass detects the encoding (strict UTF-8, else strict
windows-1252: a byte valid in neither refuses the file), checks the header (a missing column refuses the file,
naming it) and counts the rows; nothing is written. The second pass applies the rows by chunks, each chunk in
its own transaction with a constant number of queries.

Matching (SPEC §6): a row matches the file that already carries its unique id (`identifiant_unique_de`); else
the file whose name and birth date are the row's, *only when exactly one file matches* (the file then gets the
id). Every other row goes to the review queue (`FranceTravailReviewRow`), where an orientation officer links it
to a file or dismisses it. A matched row replaces the file's `FranceTravailRegistration` (registration date and
category, accompaniment modality, counsellor, barriers flagged…).

Bulk writes do not pass through `AuditedModel.save()`: intended, the import is recorded as one audit entry with
its counts (registry.import_run). Linking or dismissing a row is an officer's act, saved (and audited) one by one.
"""

import csv
import datetime
import io
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from ..enums import (
    FranceTravailBarrier,
    FranceTravailCategory,
    FranceTravailModality,
    ReviewReason,
    ReviewStatus,
)
from ..models import Beneficiary, FranceTravailRegistration, FranceTravailReviewRow, ImportRejection
from .common import Territory, UnreadableFile, first_invalid_line, normalise_name

CHUNK_SIZE = 1000
NULL = "NULL"
ENCODINGS = {"utf-8-sig": "UTF-8", "cp1252": "windows-1252"}  # tried in this order, strictly
DELIMITER = ";"

# The extract's columns (README of the format). Those the import reads are required: a file without one of them
# is refused, naming it. The others are tolerated when absent.
COLUMNS = (
    "identifiant_unique_de;civilite;nom;prenom;lieu_naissance;code_lieu_naissance;date_naissance;adresse_ligne2;"
    "adresse_ligne3;adresse_ligne4;adresse_ligne5;adresse_ligne6;departement;dr;rome_1;appelation_rome_1;rome_2;"
    "appelation_rome_2;mrech.axetravailprincipal;mrech.axetravailsecondaire;der_entretien_ppae;der_entretien;"
    "inscription;code_motif_inscription;motif_inscription;categorie_inscription;struct_principale;referent_civilite;"
    "referent_nom;referent_prenom;referent_mail;code_safir;modalite_accompagnement;struct_suivi;suivi_debut;"
    "suivi_fin_prev;dif_financiere;dif_admin_jur;dif_sante;dif_logement;dif_transport;dif_inser_com;dif_familiale;brsa"
).split(";")
BARRIER_COLUMNS = {
    "dif_financiere": FranceTravailBarrier.FINANCIAL,
    "dif_admin_jur": FranceTravailBarrier.ADMINISTRATIVE_LEGAL,
    "dif_sante": FranceTravailBarrier.HEALTH,
    "dif_logement": FranceTravailBarrier.HOUSING,
    "dif_transport": FranceTravailBarrier.MOBILITY,
    "dif_inser_com": FranceTravailBarrier.SOCIAL_COMMUNICATION,
    "dif_familiale": FranceTravailBarrier.FAMILY,
}
DATE_COLUMNS = {
    "inscription": "registered_on",
    "suivi_debut": "follow_up_started_on",
    "suivi_fin_prev": "follow_up_planned_end_on",
    "der_entretien": "last_interview_on",
    "der_entretien_ppae": "last_ppae_interview_on",
}
REQUIRED_COLUMNS = (
    "identifiant_unique_de",
    "civilite",
    "nom",
    "prenom",
    "date_naissance",
    "adresse_ligne6",
    "rome_1",
    "appelation_rome_1",
    "rome_2",
    "appelation_rome_2",
    *DATE_COLUMNS,
    "code_motif_inscription",
    "motif_inscription",
    "categorie_inscription",
    "struct_principale",
    "referent_civilite",
    "referent_nom",
    "referent_prenom",
    "referent_mail",
    "code_safir",
    "modalite_accompagnement",
    "struct_suivi",
    *BARRIER_COLUMNS,
    "brsa",
)
YES = {"O", "OUI", "1", "Y"}
NO = {"N", "NON", "0"}
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_POSTAL = re.compile(r"^\s*(\d{5})\s*(.*)$")
# The registration's fields set from a row, in the order of the model.
REGISTRATION_FIELDS = (
    "registered_on",
    "category",
    "registration_reason_code",
    "registration_reason",
    "modality",
    "agency",
    "follow_up_agency",
    "safir_code",
    "counsellor_civility",
    "counsellor_last_name",
    "counsellor_first_name",
    "counsellor_email",
    "follow_up_started_on",
    "follow_up_planned_end_on",
    "last_interview_on",
    "last_ppae_interview_on",
    "occupations",
    "barriers",
    "receives_rsa",
)
DATE_FIELDS = set(DATE_COLUMNS.values())
# What a new extract refreshes on a row still open.
REVIEW_ROW_FIELDS = [
    "data_import",
    "line",
    "civility",
    "last_name",
    "first_name",
    "birth_date",
    "postal_code",
    "city",
    "commune",
    "sector",
    "agency",
    "facts",
    "reason",
    "candidates",
]


def _value(row, name):
    value = (row.get(name) or "").strip()
    return "" if value.upper() == NULL else value


def _parse_date(text):
    match = _DATE.match(text)
    if not match:
        raise ValueError(text)
    return datetime.date(int(match[1]), int(match[2]), int(match[3]))


# Pass 1 ---------------------------------------------------------------------------------------------------------
@dataclass
class ExtractInfo:
    encoding: str
    label: str
    rows: int
    columns: list


def _header_and_rows(stream, encoding):
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    reader = csv.reader(text, delimiter=DELIMITER)
    try:
        header = next(reader, None)
        rows = sum(1 for values in reader if any(v.strip() for v in values))
    except csv.Error as error:
        raise UnreadableFile(
            f"Le fichier n'est pas un CSV lisible (ligne {reader.line_num}) : il n'a pas été importé."
        ) from error
    finally:
        text.detach()  # leaves the stream open for the caller
    return header, rows


def check_extract(stream):
    """Detects the encoding, checks the header, counts the rows; raises UnreadableFile. Writes nothing."""
    if not stream.read(1):
        raise UnreadableFile("Le fichier est vide : il n'a pas été importé.")
    for encoding in ENCODINGS:
        stream.seek(0)
        bad_line = first_invalid_line(stream, encoding)
        if bad_line is None:
            break
    else:
        raise UnreadableFile(
            f"Le fichier contient à la ligne {bad_line} des octets qui ne sont valides ni en UTF-8 ni en "
            "windows-1252 : il n'a pas été importé. Demandez un nouvel export à France Travail."
        )
    stream.seek(0)
    header, rows = _header_and_rows(stream, encoding)
    columns = [c.strip().lower() for c in header or []]
    if len(columns) < 2:
        raise UnreadableFile(
            "La première ligne du fichier n'est pas un en-tête de colonnes séparées par « ; » : ce n'est pas un "
            "extrait France Travail. Il n'a pas été importé."
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        listed = ", ".join(missing)
        plural = "les colonnes" if len(missing) > 1 else "la colonne"
        raise UnreadableFile(
            f"Il manque {plural} {listed} dans l'en-tête du fichier : il n'a pas été importé. Demandez à France "
            "Travail l'extrait complet (le format est décrit dans la documentation de l'échange)."
        )
    return ExtractInfo(encoding=encoding, label=ENCODINGS[encoding], rows=rows, columns=columns)


# Pass 2: rows ---------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class RowRecord:
    line: int
    uid: uuid.UUID
    civility: str
    last_name: str
    first_name: str
    birth_date: datetime.date
    postal_code: str
    city: str
    facts: dict

    @property
    def names(self):
        return normalise_name(self.first_name), normalise_name(self.last_name)


@dataclass(slots=True)
class RowRejection:
    line: int
    identifier: str
    element: str
    reason: str


def read_row(row, line):
    """A CSV row (dict by column) → (RowRecord, None) or (None, RowRejection)."""
    problems = []
    raw_uid = _value(row, "identifiant_unique_de")
    uid = None
    try:
        uid = uuid.UUID(raw_uid)
    except ValueError:
        shown = f"« {raw_uid[:40]} »" if raw_uid else "vide"
        problems.append(("identifiant_unique_de", f"identifiant_unique_de {shown} n'est pas un identifiant unique"))
    last_name, first_name = _value(row, "nom"), _value(row, "prenom")
    for column, value in (("nom", last_name), ("prenom", first_name)):
        if not value:
            problems.append((column, f"colonne {column} vide"))
    birth_date = None
    raw_birth = _value(row, "date_naissance")
    try:
        birth_date = _parse_date(raw_birth)
    except ValueError:
        shown = f"« {raw_birth[:25]} »" if raw_birth else "vide"
        problems.append(("date_naissance", f"date_naissance {shown} n'est pas une date (AAAA-MM-JJ attendu)"))
    facts = {}
    for column, name in DATE_COLUMNS.items():
        value = _value(row, column)
        if not value:
            facts[name] = None
            continue
        try:
            facts[name] = _parse_date(value).isoformat()
        except ValueError:
            problems.append((column, f"{column} « {value[:25]} » n'est pas une date (AAAA-MM-JJ attendu)"))
    category = _value(row, "categorie_inscription")
    if category and category not in FranceTravailCategory.values:
        problems.append(("categorie_inscription", f"categorie_inscription « {category[:5]} » inconnue (1 à 5)"))
    modality = _value(row, "modalite_accompagnement").upper()
    if modality and modality not in FranceTravailModality.values:
        problems.append(
            (
                "modalite_accompagnement",
                f"modalite_accompagnement « {modality[:15]} » inconnue (SUIVI, GUIDE, RENFORCE, GLOBAL)",
            )
        )
    if problems:
        identifier = str(uid) if uid else ""
        reason = f"Ligne {line} : " + " ; ".join(text for _, text in problems) + "."
        return None, RowRejection(line, identifier, problems[0][0], reason)
    email = _value(row, "referent_mail")
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    receives = _value(row, "brsa").upper()
    occupations = []
    for code_column, label_column in (("rome_1", "appelation_rome_1"), ("rome_2", "appelation_rome_2")):
        code = _value(row, code_column)
        if code:
            occupations.append({"code": code[:10], "label": _value(row, label_column)[:200]})
    facts.update(
        {
            "category": category,
            "registration_reason_code": _value(row, "code_motif_inscription")[:10],
            "registration_reason": _value(row, "motif_inscription")[:200],
            "modality": modality,
            "agency": _value(row, "struct_principale")[:200],
            "follow_up_agency": _value(row, "struct_suivi")[:200],
            "safir_code": _value(row, "code_safir")[:10],
            "counsellor_civility": _value(row, "referent_civilite")[:10],
            "counsellor_last_name": _value(row, "referent_nom")[:100],
            "counsellor_first_name": _value(row, "referent_prenom")[:100],
            "counsellor_email": email[:254],
            "occupations": occupations,
            "barriers": [code for column, code in BARRIER_COLUMNS.items() if _value(row, column).upper() in YES],
            "receives_rsa": True if receives in YES else False if receives in NO else None,
        }
    )
    address = _POSTAL.match(_value(row, "adresse_ligne6"))
    return (
        RowRecord(
            line=line,
            uid=uid,
            civility=_value(row, "civilite")[:10],
            last_name=last_name[:100],
            first_name=first_name[:100],
            birth_date=birth_date,
            postal_code=address[1] if address else "",
            city=(address[2] if address else _value(row, "adresse_ligne6"))[:120],
            facts=facts,
        ),
        None,
    )


def registration_values(facts):
    """A row's facts (JSON) → the registration's field values."""
    values = {}
    for name in REGISTRATION_FIELDS:
        value = facts.get(name)
        if name in DATE_FIELDS:
            value = datetime.date.fromisoformat(value) if value else None
        elif name in ("occupations", "barriers"):
            value = list(value or [])
        elif name != "receives_rsa":
            value = value or ""
        values[name] = value
    return values


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    queued: int = 0
    rejections: list = field(default_factory=list)


class ExtractImport:
    """Applies the rows of one extract, chunk by chunk."""

    def __init__(self, *, data_import, progress=None):
        self.data_import = data_import
        self.progress = progress
        self.territory = Territory()
        self.seen = set()

    def run(self):
        data_import = self.data_import
        with data_import.stored_file.open("rb") as stream:
            info = check_extract(stream)
        data_import.total = info.rows
        data_import.save(update_fields=["total"])
        if self.progress:
            self.progress(0, info.rows)
        with data_import.stored_file.open("rb") as stream:
            text = io.TextIOWrapper(stream, encoding=info.encoding, errors="strict", newline="")
            reader = csv.reader(text, delimiter=DELIMITER)
            next(reader)
            chunk = []
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                line = reader.line_num
                if len(values) != len(info.columns):
                    chunk.append(
                        RowRejection(
                            line,
                            "",
                            "",
                            f"Ligne {line} : {len(values)} valeurs au lieu des {len(info.columns)} colonnes de "
                            "l'en-tête (un « ; » en trop ou en moins) ; la ligne n'a pas été lue.",
                        )
                    )
                else:
                    record, rejection = read_row(dict(zip(info.columns, values, strict=True)), line)
                    chunk.append(rejection or record)
                if len(chunk) >= CHUNK_SIZE:
                    self._flush(chunk)
                    chunk = []
            if chunk:
                self._flush(chunk)
        return data_import

    def _flush(self, items):
        result = ChunkResult()
        records = []
        for item in items:
            if isinstance(item, RowRejection):
                result.rejections.append(item)
            elif item.uid in self.seen:
                result.rejections.append(
                    RowRejection(
                        item.line,
                        str(item.uid),
                        "identifiant_unique_de",
                        f"Ligne {item.line} : cet identifiant France Travail figure déjà plus haut dans le fichier ; "
                        "seule sa première ligne a été importée.",
                    )
                )
            else:
                self.seen.add(item.uid)
                records.append(item)
        with transaction.atomic():
            self._apply(records, result)
            ImportRejection.objects.bulk_create(
                [
                    ImportRejection(
                        data_import=self.data_import,
                        position=r.line,
                        identifier=r.identifier,
                        element=r.element,
                        reason=r.reason,
                    )
                    for r in result.rejections
                ]
            )
        data_import = self.data_import
        data_import.processed += len(items)
        data_import.created += result.created
        data_import.updated += result.updated
        data_import.unchanged += result.unchanged
        data_import.queued += result.queued
        data_import.rejected += len(result.rejections)
        data_import.save(update_fields=["processed", "created", "updated", "unchanged", "queued", "rejected"])
        if self.progress:
            self.progress(data_import.processed, data_import.total)

    # One chunk: a constant number of queries ----------------------------------------------------------------
    def _apply(self, records, result):
        by_uid = {
            f.france_travail_uid: f for f in Beneficiary.objects.filter(france_travail_uid__in=[r.uid for r in records])
        }
        unmatched = [r for r in records if r.uid not in by_uid]
        candidates = defaultdict(list)
        if unmatched:
            for file in Beneficiary.objects.filter(birth_date__in={r.birth_date for r in unmatched}).only(
                "id", "first_name", "last_name", "birth_name", "birth_date", "france_travail_uid"
            ):
                candidates[file.birth_date].append(file)
        matched, queue, linked = [], [], []
        for record in records:
            file = by_uid.get(record.uid)
            if file is None:
                first_name, last_name = record.names
                same = [
                    f
                    for f in candidates[record.birth_date]
                    if normalise_name(f.first_name) == first_name
                    and last_name in {normalise_name(f.last_name), normalise_name(f.birth_name)}
                ]
                if len(same) == 1 and same[0].france_travail_uid is None:
                    file = same[0]
                    file.france_travail_uid = record.uid  # later rows see it taken
                    linked.append(file)
                else:
                    reason = ReviewReason.NO_MATCH if not same else ReviewReason.AMBIGUOUS
                    if len(same) == 1:
                        reason = ReviewReason.ALREADY_LINKED
                    queue.append((record, reason, len(same)))
                    continue
            matched.append((record, file))
        if linked:
            now = timezone.now()
            for file in linked:
                file.updated_at = now
            Beneficiary.objects.bulk_update(linked, ["france_travail_uid", "updated_at"])
        self._save_registrations(matched, {id(f) for f in linked}, result)
        self._close_matched_rows(matched)
        self._queue(queue, result)

    def _close_matched_rows(self, matched):
        """A row still open in the queue whose person this extract matched for sure is linked, by the import."""
        files = {record.uid: file for record, file in matched}
        rows = list(FranceTravailReviewRow.objects.open().filter(france_travail_uid__in=list(files)))
        now = timezone.now()
        for row in rows:
            row.status, row.beneficiary_id, row.decided_at = ReviewStatus.LINKED, files[row.france_travail_uid].pk, now
            row.comment = f"Rattachée par l'extrait du {timezone.localdate():%d/%m/%Y} (un seul dossier correspondant)."
        FranceTravailReviewRow.objects.bulk_update(rows, ["status", "beneficiary", "decided_at", "comment"])

    def _save_registrations(self, matched, newly_linked, result):
        stored = {
            r.beneficiary_id: r
            for r in FranceTravailRegistration.objects.filter(beneficiary_id__in=[f.pk for _, f in matched])
        }
        new, changed, fields = [], [], set()
        for record, file in matched:
            values = registration_values(record.facts)
            registration = stored.get(file.pk)
            if registration is None:
                new.append(FranceTravailRegistration(beneficiary_id=file.pk, source_import=self.data_import, **values))
                result.created += 1
                continue
            differing = {name for name, value in values.items() if getattr(registration, name) != value}
            if differing:
                for name in differing:
                    setattr(registration, name, values[name])
                registration.source_import = self.data_import
                changed.append(registration)
                fields |= differing
            if differing or id(file) in newly_linked:
                result.updated += 1
            else:
                result.unchanged += 1
        FranceTravailRegistration.objects.bulk_create(new)
        if changed:
            now = timezone.now()
            for registration in changed:
                registration.updated_at = now
            FranceTravailRegistration.objects.bulk_update(changed, sorted(fields | {"source_import", "updated_at"}))

    def _queue(self, queue, result):
        if not queue:
            return
        uids = [record.uid for record, _, _ in queue]
        rows = FranceTravailReviewRow.objects.filter(france_travail_uid__in=uids)
        open_rows = {}
        dismissed = set()
        for row in rows.filter(status__in=(ReviewStatus.OPEN, ReviewStatus.DISMISSED)):
            if row.status == ReviewStatus.OPEN:
                open_rows[row.france_travail_uid] = row
            else:
                dismissed.add(row.france_travail_uid)
        new, changed = [], []
        for record, reason, count in queue:
            if record.uid in dismissed and record.uid not in open_rows:
                # An officer already dismissed this person: the row is not queued again.
                result.unchanged += 1
                continue
            commune = self.territory.commune("", record.postal_code) if record.postal_code else None
            values = {
                "data_import": self.data_import,
                "line": record.line,
                "civility": record.civility,
                "last_name": record.last_name,
                "first_name": record.first_name,
                "birth_date": record.birth_date,
                "postal_code": record.postal_code,
                "city": record.city,
                "commune_id": commune.insee_code if commune else None,
                "sector_id": self.territory.sector_id(commune.insee_code) if commune else None,
                "agency": record.facts.get("agency", ""),
                "facts": record.facts,
                "reason": reason,
                "candidates": count,
            }
            row = open_rows.get(record.uid)
            if row is None:
                new.append(FranceTravailReviewRow(france_travail_uid=record.uid, **values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)
                changed.append(row)
            result.queued += 1
        FranceTravailReviewRow.objects.bulk_create(new)
        FranceTravailReviewRow.objects.bulk_update(changed, REVIEW_ROW_FIELDS)


# The review queue: an orientation officer's decisions -------------------------------------------------------------
@transaction.atomic
def review_row_link(*, row, beneficiary, by, comment=""):
    """Links an open row to a file the officer may see: the file gets the France Travail id and the row's facts."""
    row = FranceTravailReviewRow.objects.select_for_update().get(pk=row.pk)
    if row.status != ReviewStatus.OPEN:
        raise ValidationError(f"Cette ligne a déjà été traitée ({row.get_status_display().lower()}).")
    file = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    if file.france_travail_uid and file.france_travail_uid != row.france_travail_uid:
        raise ValidationError(
            {"beneficiary": "Ce dossier porte déjà un autre identifiant France Travail : choisissez un autre dossier."}
        )
    if Beneficiary.objects.filter(france_travail_uid=row.france_travail_uid).exclude(pk=file.pk).exists():
        raise ValidationError(
            {
                "beneficiary": "Un autre dossier porte déjà cet identifiant France Travail : la ligne n'est pas rattachée."
            }
        )
    if file.france_travail_uid != row.france_travail_uid:
        file.france_travail_uid = row.france_travail_uid
        file.save(update_fields=["france_travail_uid", "updated_at"])
    registration = FranceTravailRegistration.objects.filter(beneficiary=file).first() or FranceTravailRegistration(
        beneficiary=file
    )
    for name, value in registration_values(row.facts).items():
        setattr(registration, name, value)
    registration.source_import_id = row.data_import_id
    registration.save()
    row.status = ReviewStatus.LINKED
    row.beneficiary = file
    row.decided_by = by
    row.decided_at = timezone.now()
    row.comment = comment[:300]
    row.save()
    return row


@transaction.atomic
def review_row_dismiss(*, row, by, comment=""):
    """Dismisses an open row (the person has no file here): it leaves the queue and is not queued again."""
    row = FranceTravailReviewRow.objects.select_for_update().get(pk=row.pk)
    if row.status != ReviewStatus.OPEN:
        raise ValidationError(f"Cette ligne a déjà été traitée ({row.get_status_display().lower()}).")
    row.status = ReviewStatus.DISMISSED
    row.decided_by = by
    row.decided_at = timezone.now()
    row.comment = comment[:300]
    row.save()
    return row


def candidate_files(rows, files):
    """For each review row, the files of `files` (a queryset the officer may see) with its name and birth date:
    one query for a page of rows. Returns {row.pk: [file, …]}."""
    rows = list(rows)
    by_date = defaultdict(list)
    for file in files.filter(birth_date__in={r.birth_date for r in rows}).select_related("commune"):
        by_date[file.birth_date].append(file)
    result = {}
    for row in rows:
        first_name, last_name = normalise_name(row.first_name), normalise_name(row.last_name)
        result[row.pk] = [
            f
            for f in by_date[row.birth_date]
            if normalise_name(f.first_name) == first_name
            and last_name in {normalise_name(f.last_name), normalise_name(f.birth_name)}
        ]
    return result
