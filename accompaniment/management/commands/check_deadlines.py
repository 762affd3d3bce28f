"""`manage.py check_deadlines [--now YYYY-MM-DD[THH:MM]]` (SPEC §8): the deadline check, synchronously.

The same run as the Celery beat's (derive deadlines from the facts, store their states, raise each alert
once, notify), as of now or of the given local date and time (Europe/Paris; a date alone means its
midnight). Prints counts per rule and state.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accompaniment import deadline_engine
from accompaniment.enums import AlertKind, DeadlineState
from audit.context import acting_as


def parse_now(value):
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.datetime.strptime(value, pattern)
        except ValueError:
            continue
        return timezone.make_aware(moment, timezone.get_default_timezone())
    raise CommandError(f"Date invalide : {value!r}. Format attendu : AAAA-MM-JJ ou AAAA-MM-JJTHH:MM.")


class Command(BaseCommand):
    help = "Vérifie les échéances (délais) de tous les dossiers et lève les alertes, comme la tâche quotidienne."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=parse_now, help="date d'évaluation, AAAA-MM-JJ[THH:MM] (heure de Paris)")
        parser.add_argument("--hourly", action="store_true", help="seulement les règles dont le délai est en heures")

    def handle(self, *args, now=None, hourly=False, **options):
        now = now or timezone.now()
        try:
            with acting_as(None):
                report = deadline_engine.run_check(now=now, hourly=hourly)
        except deadline_engine.CheckAlreadyRunning as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Échéances au {timezone.localtime(now):%d/%m/%Y %H:%M} (heure de Paris)")
        width = max((len(code) for code in report.states), default=10)
        for code, states in report.states.items():
            counts = " ".join(f"{state}={states.get(state, 0)}" for state in DeadlineState.values)
            self.stdout.write(f"  {code:<{width}}  {counts}  (nouvelles={report.created.get(code, 0)})")
        alerts = " ".join(f"{kind}={report.alerts.get(kind, 0)}" for kind in AlertKind.values)
        self.stdout.write(
            self.style.SUCCESS(
                f"Alertes levées : {alerts} ; notifications : {report.notifications} ; "
                f"{report.statements} requêtes SQL en {report.seconds:.1f} s"
            )
        )
