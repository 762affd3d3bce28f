"""`python manage.py import_caf_flux PATH [PATH...]`: imports CAF/MSA beneficiaries flux (VRSB0801), SPEC §8."""

from accompaniment.enums import ImportKind

from ._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe des flux bénéficiaires CAF ou MSA (VRSB0801). Affiche une ligne par fichier : "
        "created=N updated=N unchanged=N rejected=N ; code de sortie non nul si un fichier est illisible."
    )
    kind = ImportKind.CAF
