"""The deadline check through a real Celery worker on Redis, against the test database (as in production).

1. The beat's task, sent through the broker, is run by a worker process: the alerts appear.
2. A worker killed in the middle of a run (its transaction is held open on a table lock the test takes, so
   the kill lands after the deadlines and alerts were written, before the notifications) and a worker
   started afterwards: the task is redelivered (acks_late, short visibility timeout), the check runs again,
   and every alert exists exactly once, with exactly one notification — none lost, none duplicated.

Both need Redis and PostgreSQL (CI provides them; see tests/conftest.py for the markers).
"""

import datetime
import time

import pytest
from django.db import connection, connections

from accompaniment import tasks
from accompaniment.enums import AlertKind, DeadlineState, FileOrigin, RightsState, Sex
from accompaniment.models import Beneficiary, Deadline, DeadlineAlert, DeadlineCheck, Notification
from config.celery import app
from tests.celery_support import VISIBILITY_TIMEOUT, wait_for
from tests.factories import commune

pytestmark = [pytest.mark.redis, pytest.mark.postgresql]

FILES = 60


@pytest.fixture
def late_files(default_rules):
    """Files whose orientation and referent deadlines are long overdue (flux in September 2026)."""
    place = commune("13208")
    return Beneficiary.objects.bulk_create(
        Beneficiary(
            first_name=f"Prénom{index}",
            last_name=f"Nom{index}",
            birth_date=datetime.date(1985, 5, 5),
            sex=Sex.MALE,
            commune=place,
            postal_code="13008",
            rights_opened_on=datetime.date(2026, 9, 1),
            flux_date=datetime.date(2026, 9, 5),
            rights_state=RightsState.OPEN_PAYABLE,
            origin=FileOrigin.FLUX,
        )
        for index in range(FILES)
    )


def check_finished():
    return DeadlineCheck.objects.filter(last_finished_at__isnull=False).exists()


def assert_each_alert_once_with_one_notification():
    overdue = Deadline.objects.filter(state=DeadlineState.OVERDUE)
    assert overdue.count() == 2 * FILES  # orientation_6w and referent_1m of each file
    assert DeadlineAlert.objects.count() == overdue.count()
    assert set(DeadlineAlert.objects.values_list("kind", flat=True)) == {AlertKind.OVERDUE}
    assert DeadlineAlert.objects.values("deadline").distinct().count() == overdue.count()
    assert Notification.objects.count() == DeadlineAlert.objects.count()  # the orientation queue's, once


def test_a_real_worker_runs_the_check_sent_through_redis(workers, queue, late_files, tmp_path, monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    workers(queue)
    tasks.check_deadlines.apply_async(queue=queue)
    wait_for(check_finished, tmp_path / "workers.log", "the check")
    assert_each_alert_once_with_one_notification()


def _backend_waiting_on_notifications():
    """Asked on the test's own connection (autocommit): inside a transaction PostgreSQL would keep serving
    the same snapshot of pg_stat_activity."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND query LIKE %s",
            ['INSERT INTO "accompaniment_notification"%'],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _session_exists(pid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_during_a_run_and_restarted_loses_no_alert_and_duplicates_none(
    workers, queue, late_files, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    log = tmp_path / "workers.log"
    blocker = connections.create_connection("default")
    try:
        with blocker.cursor() as cursor:
            # Hold the run in the middle: it will wait on this lock when writing the notifications.
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE accompaniment_notification IN EXCLUSIVE MODE")
            first = workers(queue)
            tasks.check_deadlines.apply_async(queue=queue)
            pids = []

            def mid_run():
                pid = _backend_waiting_on_notifications()
                if pid:
                    pids.append(pid)
                return bool(pid)

            wait_for(mid_run, log, "the first worker reaching the notifications")
            first.kill()
            cursor.execute("ROLLBACK")  # the dead worker's transaction may now finish its statement, then dies

            wait_for(lambda: not _session_exists(pids[0]), log, "the killed worker's database session ending")
    finally:
        blocker.close()

    # Nothing of the interrupted run was committed: no alert yet, and none lost below.
    assert not DeadlineAlert.objects.exists() and not Deadline.objects.exists()
    time.sleep(VISIBILITY_TIMEOUT + 1)
    workers(queue)
    wait_for(check_finished, log, "the redelivered check")
    assert_each_alert_once_with_one_notification()
    assert log.read_text().count("accompaniment.check_deadlines") >= 2  # received twice
