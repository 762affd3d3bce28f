"""Exports of the file list (SPEC §6): CSV and XLSX of what the user may see, as they filtered it, never the NIR.

The rows come from `Beneficiary.objects.for_user(user)` through the list's own filters, read in chunks and
written to a temporary file, so that memory does not grow with the export; the file reaches the private
storage only once it is complete (no half-written export is ever offered).
"""

import csv
import datetime
import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from audit.models import Action
from audit.services import record

from .enums import ExportFormat, ExportStatus, RightsState, Sex, Status
from .filters import BeneficiaryFilter
from .models import Beneficiary, Export

logger = logging.getLogger(__name__)

# Exports up to this size are built during the request; larger ones by a Celery task.
SYNC_MAX_ROWS = 2_000
CHUNK_SIZE = 2_000
# Characters that make a spreadsheet read a cell as a formula ("CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _pathway_labels():
    """The pathways' labels, from the orientation model reached through the reverse relation."""
    orientation_model = Beneficiary._meta.get_field("orientations").related_model
    return dict(orientation_model._meta.get_field("pathway").choices)


def _yes_no(value):
    return "oui" if value else "non"


# (header, value fields read from the annotated queryset, how to turn them into the cell's value)
COLUMNS = (
    ("N° de dossier", ("id",), None),
    ("Nom d'usage", ("last_name",), None),
    ("Nom de naissance", ("birth_name",), None),
    ("Prénom", ("first_name",), None),
    ("Sexe", ("sex",), lambda v: Sex(v).label if v else ""),
    ("Date de naissance", ("birth_date",), None),
    ("N° allocataire", ("caf_number",), None),
    ("Identifiant France Travail", ("france_travail_id",), None),
    ("Adresse", ("address",), None),
    ("Complément d'adresse", ("address_complement",), None),
    ("Code postal", ("postal_code",), None),
    ("Commune", ("commune__name", "city"), lambda name, city: name or city),
    ("Code INSEE", ("commune__insee_code",), None),
    ("Circonscription", ("sector__name",), lambda v: v or "Non affecté"),
    ("QPV", ("qpv",), _yes_no),
    ("Téléphone", ("phone",), None),
    ("E-mail", ("email",), None),
    ("État du droit", ("rights_state",), lambda v: RightsState(v).label if v else ""),
    ("Soumis aux droits et devoirs", ("rights_and_duties",), _yes_no),
    ("Date d'ouverture des droits", ("rights_opened_on",), None),
    ("Date du flux", ("flux_date",), None),
    ("Parent isolé", ("single_parent",), _yes_no),
    ("Dernier contact", ("last_contact_on",), None),
    ("Statut", ("status_code",), lambda v: Status(v).label),
    ("Parcours", ("current_pathway",), None),  # labelled in rows()
    (
        "Référent",
        ("current_referent_first_name", "current_referent_last_name"),
        lambda first, last: f"{first} {last}".strip() if last else "",
    ),
)
HEADERS = [header for header, _fields, _convert in COLUMNS]
# The NIR's columns never appear in an export: a test asserts it on this list.
VALUE_FIELDS = [name for _header, fields, _convert in COLUMNS for name in fields]


def filtered_files(user, query):
    """The files of the list as `user` sees it with the filters of `query` (the list's query string)."""
    files = Beneficiary.objects.for_user(user).with_journey().select_related(None)
    return BeneficiaryFilter(QueryDict(query), queryset=files).qs


def rows(queryset):
    """Lists of cell values (dates stay dates), read in chunks."""
    pathways = _pathway_labels()
    for values in queryset.values_list(*VALUE_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        position = 0
        row = []
        for header, fields, convert in COLUMNS:
            args = values[position : position + len(fields)]
            position += len(fields)
            if header == "Parcours":
                value = pathways.get(args[0], "") if args[0] else ""
            elif convert is not None:
                value = convert(*args)
            else:
                value = args[0]
            row.append("" if value is None else value)
        yield row


def spreadsheet_safe(value):
    """A text cell a spreadsheet will never evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(cell_rows, stream):
    """`;`-separated UTF-8 with a byte-order mark (what French spreadsheets open), dates as dd/mm/yyyy."""
    stream.write("\ufeff")
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    count = 0
    for row in cell_rows:
        writer.writerow(
            [
                value.strftime("%d/%m/%Y") if isinstance(value, datetime.date) else spreadsheet_safe(value)
                for value in row
            ]
        )
        count += 1
    return count


def write_xlsx(cell_rows, path):
    """A write-only workbook (streamed to disk), dates as real dates shown dd/mm/yyyy."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Dossiers")
    sheet.freeze_panes = "A2"
    sheet.append(HEADERS)
    count = 0
    for row in cell_rows:
        cells = []
        for value in row:
            if isinstance(value, datetime.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "DD/MM/YYYY"
            else:
                # A string cell: openpyxl would otherwise store "=…" as a formula.
                cell = WriteOnlyCell(sheet, value=spreadsheet_safe(value))
                if isinstance(value, str):
                    cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count


def write(export, path):
    """Writes the rows of `export` to the file at `path` in its format; returns the number of files."""
    cell_rows = rows(filtered_files(export.user, export.query))
    if export.format == ExportFormat.XLSX:
        return write_xlsx(cell_rows, path)
    with open(path, "w", encoding="utf-8", newline="") as stream:
        return write_csv(cell_rows, stream)


# Requesting, building and purging exports -----------------------------------------------------------------
def query_of(params):
    """The list's filters and sort from a query string or QueryDict, without the page or anything unknown."""
    params = QueryDict(params) if isinstance(params, str) else params
    kept = QueryDict(mutable=True)
    for name in BeneficiaryFilter.base_filters:
        values = [value for value in params.getlist(name) if value]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()[:2000]


@transaction.atomic
def request(*, user, query, format):
    """Records an export of the list as `user` filtered it. Small ones are built at once; the others by a
    Celery task that receives the export's id only (never names). Returns the export."""
    query = query_of(query)
    export = Export.objects.create(
        user=user,
        format=format,
        query=query,
        expires_at=timezone.now() + datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS),
    )
    if filtered_files(user, query).count() <= SYNC_MAX_ROWS:
        build(export=export)
    else:
        from .tasks import build_export

        transaction.on_commit(lambda: build_export.delay(export.pk))
    return export


def build(*, export):
    """Builds the export's file in a temporary folder, then stores it in the private storage and marks the
    export ready: an export is either complete or not offered. Audited as an export of that many files."""
    if export.status != ExportStatus.PENDING:
        return export  # a redelivered task: already built (or expired)
    try:
        with tempfile.TemporaryDirectory(prefix="parcours-export-") as folder:
            path = Path(folder) / export.filename
            count = write(export, path)
            with transaction.atomic(), open(path, "rb") as content:
                export.file.save(export.filename, File(content), save=False)
                export.row_count = count
                export.status = ExportStatus.READY
                export.finished_at = timezone.now()
                export.save(update_fields=["file", "row_count", "status", "finished_at"])
                record(Action.EXPORT, model=Beneficiary, count=count, user=export.user)
    except Exception:
        logger.exception("Export %s : échec de la construction", export.pk)
        export.status = ExportStatus.FAILED
        export.error = "L'export n'a pas pu être construit. Réessayez ou contactez l'administrateur."
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
    return export


def purge_expired(*, now=None):
    """Deletes the files of expired exports (SPEC §1: 7 days by default); the rows stay, marked expired."""
    count = 0
    for export in Export.objects.expired(now=now or timezone.now()):
        if export.file:
            export.file.delete(save=False)
        export.status = ExportStatus.EXPIRED
        export.save(update_fields=["file", "status"])
        count += 1
    return count
