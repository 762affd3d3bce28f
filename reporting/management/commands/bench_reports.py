"""Times the dashboards and the COPIL report on the current database (issue targets: dashboards under 1 s,
the PDF under 10 s on 200,000 files, PostgreSQL).

    python manage.py bench_reports [--quarter 2026-Q3] [--runs 5]

Measured through Django's test client as the demo manager and COPIL member (whole middleware stack):
- the computation of the figures with no stored figures (what the hourly task and a first visit pay);
- the dashboard page answered from stored figures (what a manager gets), for the Département and a sector;
- the PDF and the JSON report downloaded from the browser;
- `copil_report` end to end (computation, PDF, file written).
Each line gives the median and slowest time and the number of SQL statements.
"""

import io
import statistics
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accompaniment.models import Beneficiary
from partners.enums import PRIMARY_SECTOR_KIND
from partners.models import Sector, User
from reporting import report
from reporting.indicators import Perimeter
from reporting.models import ReportKind, StoredReport
from reporting.periods import parse_quarter, quarter_of


class Command(BaseCommand):
    help = "Mesure les tableaux de bord et le rapport COPIL (temps, requêtes SQL) sur la base courante."

    def add_arguments(self, parser):
        parser.add_argument("--quarter", help="trimestre mesuré (par défaut : le trimestre précédent)")
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--manager", default="manager@demo.parcours.fr")
        parser.add_argument("--copil", default="copil@demo.parcours.fr")

    def handle(self, *args, quarter, runs, manager, copil, **options):
        manager_user = User.objects.filter(email=manager).first()
        copil_user = User.objects.filter(email=copil).first()
        if manager_user is None or copil_user is None:
            raise CommandError("Comptes de démonstration introuvables : lancez d'abord seed_demo.")
        period = parse_quarter(quarter) if quarter else quarter_of(timezone.localdate()).previous()
        sector = Sector.objects.filter(kind=PRIMARY_SECTOR_KIND).order_by("code").first()
        self.stdout.write(
            f"{Beneficiary.objects.count()} dossiers en base ; {period.label} ; {runs} mesures par ligne ; "
            f"base {connection.vendor}"
        )

        def measure(label, action, target=None):
            timings, statements = [], 0
            for _ in range(runs):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    action()
                    timings.append(time.perf_counter() - started)
                statements = len(captured.captured_queries)
            median = statistics.median(timings)
            verdict = "" if target is None else ("  ✔" if median < target else f"  ✘ (objectif < {target} s)")
            self.stdout.write(
                f"  {label:<58} médiane {median:6.2f} s  max {max(timings):6.2f} s  {statements:3d} requêtes{verdict}"
            )

        today = timezone.localdate()
        measure("calcul des indicateurs, Département", lambda: report.build(period, Perimeter(), today))
        measure(f"calcul des indicateurs, {sector.name}", lambda: report.build(period, Perimeter(sector=sector), today))

        manager_client, copil_client = Client(), Client()
        manager_client.force_login(manager_user)
        copil_client.force_login(copil_user)
        dashboard = reverse("reporting:dashboard")
        query = {"trimestre": period.code}
        sector_query = {**query, "secteur": sector.code}

        def cold(client, params):
            StoredReport.objects.filter(kind=ReportKind.SNAPSHOT).delete()
            response = client.get(dashboard, params)
            if response.status_code != 200:
                raise CommandError(f"{dashboard} : réponse {response.status_code}")

        def page(client, url, params):
            def get():
                response = client.get(url, params)
                if response.status_code != 200:
                    raise CommandError(f"{url} : réponse {response.status_code}")

            return get

        measure("tableau de bord sans chiffres stockés (premier calcul)", lambda: cold(manager_client, query))
        manager_client.get(dashboard, query)
        manager_client.get(dashboard, sector_query)
        measure("tableau de bord, Département (chiffres stockés)", page(manager_client, dashboard, query), 1)
        measure("tableau de bord, circonscription (chiffres stockés)", page(manager_client, dashboard, sector_query), 1)
        measure("tableau de bord, membre du COPIL", page(copil_client, dashboard, query), 1)
        download = reverse("reporting:report_download")
        measure("rapport PDF téléchargé (chiffres stockés)", page(copil_client, download, query), 10)
        measure("rapport JSON téléchargé", page(copil_client, download, {**query, "format": "json"}), 10)
        with tempfile.TemporaryDirectory() as directory:
            output = Path(directory) / "rapport.pdf"
            measure(
                "copil_report --format pdf (calcul compris)",
                lambda: call_command("copil_report", quarter=period.code, output=str(output), stdout=io.StringIO()),
                10,
            )
