"""`python manage.py import_france_travail PATH`: imports the France Travail beneficiaries extract, SPEC §8."""

from accompaniment.enums import ImportKind

from ._import_command import ImportCommand


class Command(ImportCommand):
    help = (
        "Importe l'extrait des bénéficiaires de France Travail (CSV « ; »). Affiche created=N updated=N "
        "unchanged=N rejected=N ; les lignes sans dossier certain vont dans la file de rapprochement."
    )
    kind = ImportKind.FRANCE_TRAVAIL
    many = False
