"""The rejected households or rows of an import, as a CSV for the orientation officer who acts on them.

`;`-separated UTF-8 with a byte-order mark and formula-safe cells, like the exports. Streamed from the database
row by row: no copy is written anywhere, so the report lives exactly as long as the rejections it reads (they are
deleted with the stored file when the import expires, SPEC §1). It holds no NIR: a household is named by its
fund and matricule, a France Travail row by its line and id, and the reasons never quote a NIR.
"""

import csv

from ..exports import spreadsheet_safe

CHUNK_SIZE = 2_000


def rejection_headers(data_import):
    position = "Rang du foyer dans le fichier" if data_import.is_flux else "Ligne du fichier"
    return [position, "Identification", "Élément en cause", "Motif du rejet"]


def rejections_filename(data_import):
    return f"rejets-import-{data_import.pk}.csv"


class _Line:
    """What `csv.writer` writes to: it hands each formatted line back."""

    def write(self, value):
        return value


def rejections_csv(data_import):
    """The CSV's lines, as text, header first."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(rejection_headers(data_import))
    rows = (
        data_import.rejections.order_by("position", "id")
        .values_list("position", "identifier", "element", "reason")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for row in rows:
        yield writer.writerow([spreadsheet_safe(value) for value in row])
