"""A real Celery worker, in its own process, runs the heartbeat task sent through Redis.

It needs a broker that a second process can reach: it runs when CELERY_BROKER_URL is a Redis URL (as in CI)
and is skipped otherwise (failed in CI). The worker only sees committed rows, hence `transactional_db` (in
the `workers` fixture), and it is pointed at the test database by name (tests/celery_support.py).
"""

import pytest

from config.celery import app, heartbeat
from partners.models import Heartbeat
from tests.celery_support import wait_for

pytestmark = pytest.mark.redis


def test_a_celery_worker_runs_the_heartbeat_sent_through_the_broker(workers, queue, tmp_path, monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    assert not Heartbeat.objects.exists()
    workers(queue)

    heartbeat.apply_async(queue=queue)

    wait_for(Heartbeat.objects.exists, tmp_path / "workers.log", "the heartbeat")
    assert Heartbeat.objects.get().name == "beat"
