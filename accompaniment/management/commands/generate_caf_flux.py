"""`python manage.py generate_caf_flux --households N --output FILE [--seed S] [--daily]`: a valid VRSB0801 flux."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from accompaniment.exchange.generator import generate_flux


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"Date invalide : {value} (AAAA-MM-JJ attendu).") from error


class Command(BaseCommand):
    help = (
        "Génère un flux bénéficiaires VRSB0801 valide (windows-1252) de N foyers des communes du Département : "
        "même graine, même fichier. Pour les essais et les mesures de performance ; les personnes sont fictives."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True, help="nombre de foyers")
        parser.add_argument("--output", required=True, help="fichier à écrire")
        parser.add_argument("--seed", type=int, default=0, help="graine (défaut : 0)")
        parser.add_argument("--daily", action="store_true", help="flux quotidien (TYPEFLUX I, foyers partiels)")
        parser.add_argument("--fund", choices=("CAF", "MSA"), default="CAF", help="organisme (défaut : CAF)")
        parser.add_argument("--start", type=int, default=0, help="numéro du premier foyer (matricules et NIR)")
        parser.add_argument("--created-on", help="date de création du flux DTCREAFLUX (défaut : aujourd'hui)")
        parser.add_argument("--reference-date", help="date de référence DTREF (défaut : la date de création)")

    def handle(self, *args, households, output, seed, daily, fund, start, created_on, reference_date, **options):
        if households < 0:
            raise CommandError("Le nombre de foyers doit être positif ou nul.")
        stats = generate_flux(
            output,
            households=households,
            seed=seed,
            start=start,
            daily=daily,
            fund_type=fund,
            created_on=_date(created_on) if created_on else None,
            reference_date=_date(reference_date) if reference_date else None,
        )
        self.stdout.write(
            f"{output} : {stats.households} foyers, {stats.persons} personnes, "
            f"{stats.subject_adults} adultes soumis aux droits et devoirs sur un droit ouvert"
            + (f", {stats.partial_households} foyers partiels" if daily else "")
        )
