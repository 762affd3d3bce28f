"""`manage.py benchmark_deadlines [--fresh]`: the deadline check on the database's files (SPEC §9: under
1 minute for 200,000 files on PostgreSQL), measured — not a timed test.

Prints, side by side: the check's time and number of SQL statements (a first check, which derives every
deadline, with --fresh; then the next day's check, and the same again, idempotent), and the time of ONE raw SQL query computing the
same overdue set straight from the facts, with PostgreSQL's own calendar arithmetic, and whether both sets
agree. Run it on a copy of the demo: `seed_demo --beneficiaries 200000` on PostgreSQL.
"""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accompaniment import deadline_engine
from accompaniment.enums import DeadlineState
from accompaniment.models import Beneficiary, Deadline, DeadlineRule
from audit.context import acting_as

# One query, straight from the facts, for the rules whose start and meeting are plain columns. Each delay
# is the Département's version in force today; PostgreSQL's date arithmetic is calendar-correct (interval
# '1 month' from 31 January is 28 or 29 February). A day-based deadline is overdue once its due day has
# ended in Europe/Paris.
RAW_OVERDUE = """
WITH in_scope AS (
    SELECT b.id, b.flux_date, b.rights_opened_on FROM accompaniment_beneficiary b
    WHERE b.rights_and_duties AND b.rights_state NOT IN ('1', '5', '6')
), current_orientation AS (
    SELECT o.id, o.beneficiary_id, o.decided_on, o.notified_on FROM orientation_orientation o
    JOIN in_scope f ON f.id = o.beneficiary_id WHERE o.ended_on IS NULL
)
SELECT 'orientation_6w', f.id FROM in_scope f
WHERE f.flux_date >= %(go_live)s
  AND %(orientation_6w)s
  AND ((f.flux_date + %(orientation_6w_days)s + 1)::timestamp AT TIME ZONE 'Europe/Paris') <= %(now)s
  AND NOT EXISTS (SELECT 1 FROM orientation_orientation o WHERE o.beneficiary_id = f.id
                  AND (o.ended_on IS NULL OR o.ended_on >= f.flux_date) AND o.decided_on <= %(today)s)
  AND NOT EXISTS (SELECT 1 FROM accompaniment_exit e WHERE e.beneficiary_id = f.id AND e.exited_on >= f.flux_date)
UNION ALL
SELECT 'referent_1m', f.id FROM in_scope f
WHERE f.rights_opened_on >= %(go_live)s
  AND %(referent_1m)s
  AND ((f.rights_opened_on + %(referent_1m_months)s * interval '1 month' + interval '1 day')::timestamp
       AT TIME ZONE 'Europe/Paris') <= %(now)s
  AND NOT EXISTS (SELECT 1 FROM accompaniment_referentassignment r WHERE r.beneficiary_id = f.id
                  AND (r.ended_on IS NULL OR r.ended_on >= f.rights_opened_on) AND r.designated_on <= %(today)s)
  AND NOT EXISTS (SELECT 1 FROM accompaniment_exit e WHERE e.beneficiary_id = f.id
                  AND e.exited_on >= f.rights_opened_on)
UNION ALL
SELECT 'entry_15d', o.beneficiary_id FROM current_orientation o
WHERE o.decided_on >= %(go_live)s
  AND %(entry_15d)s
  AND ((o.decided_on + %(entry_15d_days)s + 1)::timestamp AT TIME ZONE 'Europe/Paris') <= %(now)s
  AND NOT EXISTS (SELECT 1 FROM accompaniment_interview i WHERE i.beneficiary_id = o.beneficiary_id
                  AND i.status = 'held' AND i.kind IN ('accompaniment', 'follow_up', 'review')
                  AND i.held_on >= o.decided_on AND i.held_on <= %(today)s)
  AND NOT EXISTS (SELECT 1 FROM accompaniment_exit e WHERE e.beneficiary_id = o.beneficiary_id
                  AND e.exited_on >= o.decided_on)
UNION ALL
SELECT 'contract_1m', o.beneficiary_id FROM current_orientation o
WHERE o.notified_on >= %(go_live)s
  AND %(contract_1m)s
  AND ((o.notified_on + %(contract_1m_months)s * interval '1 month' + interval '1 day')::timestamp
       AT TIME ZONE 'Europe/Paris') <= %(now)s
  AND NOT EXISTS (SELECT 1 FROM accompaniment_contract c WHERE c.beneficiary_id = o.beneficiary_id
                  AND c.signed_on >= o.decided_on AND c.signed_on <= %(today)s)
  AND NOT EXISTS (SELECT 1 FROM accompaniment_exit e WHERE e.beneficiary_id = o.beneficiary_id
                  AND e.exited_on >= o.notified_on)
"""
RAW_RULES = {"orientation_6w": "days", "referent_1m": "months", "entry_15d": "days", "contract_1m": "months"}


class Command(BaseCommand):
    help = (
        "Mesure la vérification des échéances (temps, nombre de requêtes SQL) et la compare à une requête SQL "
        "brute qui calcule le même ensemble de délais dépassés (PostgreSQL)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="efface d'abord échéances, alertes et notifications : mesure aussi une première vérification",
        )

    def handle(self, *args, fresh=False, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Ce banc d'essai se lance sur PostgreSQL (DATABASE_URL=postgres://…).")
        files = Beneficiary.objects.count()
        self.stdout.write(f"{files} dossiers, {Deadline.objects.count()} échéances en base.")
        if fresh:
            with transaction.atomic():
                deadline_engine.purge_deadlines()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE accompaniment_deadline")
            self.stdout.write("Échéances, alertes et notifications effacées.")
        now = timezone.now()
        tomorrow = now + datetime.timedelta(days=1)
        runs = [("première vérification (calcule toutes les échéances)", now)] if fresh else []
        runs.append(("vérification du lendemain (la tâche quotidienne)", tomorrow))
        runs.append(("même vérification relancée (idempotente)", tomorrow))
        for label, moment in runs:
            with acting_as(None):
                report = deadline_engine.run_check(now=moment)
            self.stdout.write(
                f"  {label} : {report.seconds:.1f} s, {report.statements} requêtes SQL, "
                f"{sum(report.created.values())} échéances créées, {sum(report.alerts.values())} alertes, "
                f"{report.notifications} notifications"
            )
            slowest = sorted(report.timings, reverse=True)[:3]
            for seconds, sql in slowest:
                self.stdout.write(f"      {seconds:6.2f} s  {sql[:90]}")
        self._compare(tomorrow)

    def _compare(self, now):
        params = {"now": now, "today": timezone.localtime(now).date(), "go_live": _go_live()}
        for code, unit in RAW_RULES.items():
            version = deadline_engine.Versions(DeadlineRule.objects.filter(sector__isnull=True)).in_force(
                code, sector_id=None, on=params["today"]
            )
            params[code] = bool(version and version.enabled and version.delay_unit == unit)
            params[f"{code}_{unit}"] = version.delay if version else 0
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(RAW_OVERDUE, params)
            raw = set(cursor.fetchall())
        raw_seconds = time.monotonic() - started
        engine = set(
            Deadline.objects.filter(state=DeadlineState.OVERDUE, rule_code__in=RAW_RULES).values_list(
                "rule_code", "subject_id"
            )
        )
        self.stdout.write(
            f"  une requête SQL brute, même ensemble de délais dépassés ({', '.join(RAW_RULES)}) : "
            f"{raw_seconds:.2f} s, {len(raw)} délais dépassés"
        )
        missing, extra = len(raw - engine), len(engine - raw)
        verdict = "identiques" if not missing and not extra else f"{missing} absents du moteur, {extra} en trop"
        self.stdout.write(f"  moteur : {len(engine)} délais dépassés ; ensembles {verdict}.")


def _go_live():
    from django.conf import settings

    return settings.PARCOURS_GO_LIVE_DATE
