"""A real Celery worker, in its own process, runs the heartbeat task sent through Redis.

It needs a broker that a second process can reach: it runs when CELERY_BROKER_URL is a Redis URL (as in CI)
and is skipped otherwise. The worker only sees committed rows, hence `transactional_db`, and it is pointed
at the test database by name.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from config.celery import app, heartbeat
from partners.models import Heartbeat

ROOT = Path(__file__).resolve().parent.parent
WORKER_TIMEOUT = 60  # seconds: worker start-up (Django set-up) and one task

pytestmark = pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"),
    reason="needs a Redis broker that a worker process can reach (CELERY_BROKER_URL=redis://...)",
)


def database_url_for_tests():
    """DATABASE_URL of the environment, with the name of the test database that pytest-django created."""
    database = settings.DATABASES["default"]
    name = database["NAME"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        if not name or name == ":memory:" or str(name).startswith("file:memorydb"):
            pytest.skip("an in-memory SQLite test database cannot be shared with a worker process")
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def worker_queue():
    """A queue of this test only, so that no other worker takes the task and no stale task reaches ours."""
    return f"test-worker-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def celery_worker_process(transactional_db, worker_queue, tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": database_url_for_tests(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PYTHONUNBUFFERED": "1",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-Q",
            worker_queue,
            "-n",
            f"{worker_queue}@%h",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
        # The worker's connection is closed now: pytest-django can flush and later drop the test database.


def test_a_celery_worker_runs_the_heartbeat_sent_through_the_broker(
    celery_worker_process, worker_queue, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    assert not Heartbeat.objects.exists()

    heartbeat.apply_async(queue=worker_queue)

    deadline = time.monotonic() + WORKER_TIMEOUT
    while not Heartbeat.objects.exists():
        if celery_worker_process.poll() is not None or time.monotonic() > deadline:
            log = (tmp_path / "worker.log").read_text()
            pytest.fail(f"no heartbeat recorded by the worker (exit code {celery_worker_process.poll()}):\n{log}")
        time.sleep(0.2)

    assert Heartbeat.objects.get().name == "beat"
