"""Times the caseworkers' main pages on the current database (SPEC §9: list and file pages well under 200 ms).

    python manage.py bench_pages [--runs 20] [--as referent@demo.parcours.fr]

Run it on a database seeded with `seed_demo --beneficiaries 200000` (PostgreSQL). Each page is requested
through Django's test client (the whole middleware stack, templates included, no network) as a demo account;
the command prints for each page the median and slowest time over the runs and the number of SQL queries.
It reads only, but like any page view it writes its read to the audit log.
"""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accompaniment.models import Beneficiary
from partners.models import User

TARGET_MS = 200


class Command(BaseCommand):
    help = "Temps de réponse des pages principales (liste, Mes dossiers, fiche, file à orienter) sur la base courante."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=20)
        parser.add_argument("--as", dest="email", default="referent@demo.parcours.fr", help="le compte du référent")
        parser.add_argument(
            "--officer", default="orientation@demo.parcours.fr", help="le compte du chargé d'orientation"
        )

    def handle(self, *args, runs, email, officer, **options):
        referent = User.objects.filter(email=email).first()
        orientation_officer = User.objects.filter(email=officer).first()
        if referent is None or orientation_officer is None:
            raise CommandError("Comptes de démonstration introuvables : lancez d'abord seed_demo.")
        files = Beneficiary.objects.for_user(referent)
        busiest = (
            files.filter(referent_assignments__agent=referent, referent_assignments__ended_on__isnull=True)
            .order_by("-interviews__scheduled_for")
            .values_list("pk", flat=True)
            .first()
        ) or files.values_list("pk", flat=True).first()
        if busiest is None:
            raise CommandError(f"{email} ne voit aucun dossier.")
        total = Beneficiary.objects.count()
        self.stdout.write(f"{total} dossiers en base ; {runs} requêtes par page ; objectif < {TARGET_MS} ms")
        pages = [
            (referent, "Liste des dossiers", reverse("accompaniment:list")),
            (referent, "Liste filtrée (recherche « mar »)", reverse("accompaniment:list") + "?q=mar&tri=-ouverture"),
            (referent, "Mes dossiers", reverse("accompaniment:portfolio")),
            (referent, "Fiche d'un dossier suivi", reverse("accompaniment:detail", kwargs={"pk": busiest})),
            (orientation_officer, "Liste (chargé d'orientation, 200 000 visibles)", reverse("accompaniment:list")),
            (orientation_officer, "File à orienter", reverse("orientation:worklist")),
        ]
        over = 0
        for user, label, url in pages:
            client = Client()
            client.force_login(user)
            client.get(url)  # warm the session and the caches
            timings = []
            queries = 0
            for _ in range(runs):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{url} : réponse {response.status_code}")
                queries = len(captured.captured_queries)
            median = statistics.median(timings)
            over += median >= TARGET_MS
            self.stdout.write(
                f"  {label:<48} médiane {median:7.1f} ms  max {max(timings):7.1f} ms  {queries:3d} requêtes  {url}"
            )
        if over:
            self.stdout.write(self.style.WARNING(f"{over} page(s) au-dessus de {TARGET_MS} ms (médiane)."))
