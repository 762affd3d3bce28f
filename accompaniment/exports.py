"""Exports of the file list (SPEC §6): CSV and XLSX of what the user may see, as they filtered it, never the NIR.

The rows come from `Beneficiary.objects.for_user(user)` through the list's own filters, read in chunks and
written to a temporary file, so that memory does not grow with the export; the file reaches the private
storage only once it is complete (no half-written export is ever offered).
"""

import csv
import datetime

from django.http import QueryDict
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .enums import ExportFormat, RightsState, Sex, Status
from .filters import BeneficiaryFilter
from .models import Beneficiary

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


def _safe_text(value):
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
            [value.strftime("%d/%m/%Y") if isinstance(value, datetime.date) else _safe_text(value) for value in row]
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
                cell = WriteOnlyCell(sheet, value=_safe_text(value))
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
