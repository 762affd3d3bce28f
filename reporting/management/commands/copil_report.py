"""`copil_report --quarter 2026-Q3 [--sector CODE] [--as-of YYYY-MM-DD] --output FILE [--format pdf|json]`
(SPEC §8): the quarterly COPIL report, aggregates only, written whole or not at all."""

import datetime
import json
import os
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.context import acting_as
from partners.enums import PRIMARY_SECTOR_KIND
from partners.models import Sector
from reporting import pdf, report
from reporting.indicators import Perimeter
from reporting.periods import parse_quarter


class Command(BaseCommand):
    help = "Produit le rapport trimestriel du COPIL (PDF ou JSON), agrégats seulement."

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True, help="trimestre, par exemple 2026-Q3")
        parser.add_argument("--sector", help="code d'une circonscription (par défaut : tout le Département)")
        parser.add_argument("--as-of", dest="as_of", help="date d'arrêté AAAA-MM-JJ (par défaut : aujourd'hui)")
        parser.add_argument("--output", required=True, help="fichier à écrire")
        parser.add_argument("--format", choices=["pdf", "json"], help="pdf (par défaut) ou json")

    def handle(self, *args, quarter, sector, as_of, output, format, **options):
        try:
            period = parse_quarter(quarter)
        except ValueError as error:
            raise CommandError(str(error)) from error
        as_of_date = None
        if as_of:
            try:
                as_of_date = datetime.date.fromisoformat(as_of)
            except ValueError as error:
                raise CommandError(f"Date d'arrêté invalide : « {as_of} ». Format attendu : AAAA-MM-JJ.") from error
            if as_of_date > timezone.localdate():
                raise CommandError(f"La date d'arrêté ne peut pas être dans le futur : « {as_of} ».")
        perimeter = Perimeter()
        if sector:
            # A report's sector is the files' primary sector (SPEC §1): a sector of another kind is not one.
            found = Sector.objects.filter(code=sector, kind=PRIMARY_SECTOR_KIND).first()
            if found is None:
                raise CommandError(f"Circonscription inconnue : « {sector} ».")
            perimeter = Perimeter(sector=found)
        output_path = Path(output)
        if not output_path.parent.exists():
            raise CommandError(f"Le dossier de destination n'existe pas : {output_path.parent}")
        kind = format or ("json" if output_path.suffix.lower() == ".json" else "pdf")

        started = time.monotonic()
        with acting_as(None):
            data = report.build(period, perimeter, as_of_date)
            content = (
                json.dumps(data, ensure_ascii=False, indent=2).encode() if kind == "json" else pdf.report_pdf(data)
            )
        # Written next to the target, then renamed: the file is whole or absent.
        handle, temporary = tempfile.mkstemp(dir=output_path.parent, prefix=".copil-", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(content)
            os.replace(temporary, output_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stdout.write(
            f"Rapport COPIL {period.code} ({perimeter.label}, arrêté au {data['as_of']}) : {output_path} "
            f"({kind}, {len(content)} octets, {time.monotonic() - started:.1f} s)"
        )
