"""Realistic demo data of the Bouches-du-Rhône (SPEC §8): sectors, organisations, teams, users of every role
and N beneficiaries. Each app contributes its own `demo` module; see accompaniment.demo for the runner."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from accompaniment import deadline_engine, demo
from audit.context import acting_as


class Command(BaseCommand):
    help = (
        "Charge des données de démonstration réalistes (Bouches-du-Rhône) : secteurs, organisations, équipes, "
        "comptes de chaque rôle et N dossiers. Refuse de s'exécuter en production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--beneficiaries",
            type=int,
            default=demo.DEFAULT_BENEFICIARIES,
            help=f"nombre de dossiers à créer (défaut : {demo.DEFAULT_BENEFICIARIES})",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="efface d'abord les données de démonstration existantes (dossiers, foyers, comptes @demo)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help="graine du générateur aléatoire (même graine, mêmes données)",
        )

    def handle(self, *args, beneficiaries, reset, seed, **options):
        # Read at run time, so that tests (and a misconfigured shell) cannot slip past it.
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo refuse de s'exécuter avec les réglages de production (PARCOURS_ENV=production) : "
                "les données de démonstration n'ont rien à faire dans une base réelle."
            )
        if beneficiaries < 0:
            raise CommandError("Le nombre de dossiers (--beneficiaries) doit être positif ou nul.")
        existing = demo.existing_demo_data()
        if existing and not reset:
            raise CommandError(
                "La base contient déjà des données de démonstration ou des dossiers "
                f"({', '.join(existing)}). Relancez avec --reset pour les effacer et les recréer."
            )

        started = time.monotonic()
        context = demo.DemoContext.create(beneficiaries=beneficiaries, seed=seed, write=self.stdout.write)
        # Bulk writes: no deadline refresh per saved record; one check below derives them all.
        with acting_as(None), transaction.atomic(), deadline_engine.refresh_paused():
            demo.run(context, reset_first=reset)
        self._analyze()
        # The deadlines of the demo's journey, and the check as of now: late and soon-due files, alerts.
        with acting_as(None):
            report = deadline_engine.run_check()
        self._analyze()
        context.summary.update({"échéances": sum(report.created.values()), "alertes": sum(report.alerts.values())})
        elapsed = time.monotonic() - started

        self.stdout.write("Ce que voit chaque compte de démonstration :")
        for line in demo.visibility_report(context):
            self.stdout.write(line)
        counts = ", ".join(f"{label}={count}" for label, count in context.summary.items())
        self.stdout.write(
            "Échéances en retard par règle : "
            + ", ".join(f"{code}={states.get('overdue', 0)}" for code, states in report.states.items())
        )
        self.stdout.write(self.style.SUCCESS(f"seed_demo terminé : {counts} en {elapsed:.1f} s"))

    def _analyze(self):
        if connection.vendor == "postgresql":
            # After a bulk load: fresh statistics, so that the planner uses the indexes from the first page, and
            # the visibility map, so that the access path's index-only scans need not visit the tables. VACUUM
            # cannot run inside a transaction (a test's): statistics only, then.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
