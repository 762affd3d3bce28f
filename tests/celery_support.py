"""Real Celery workers for the tests that go through the broker (Redis in CI), against the test database:
`Worker` starts one on a queue of its own, `wait_for` polls the database for what it should do. The fixtures
`queue` and `workers` are in tests/conftest.py."""

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

ROOT = Path(__file__).resolve().parent.parent

TIMEOUT = 90  # seconds: worker start-up and a run
VISIBILITY_TIMEOUT = 2  # seconds before Redis hands an unacknowledged task to another worker


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


class Worker:
    def __init__(self, queue, log_path):
        environment = {
            **os.environ,
            "DATABASE_URL": database_url_for_tests(),
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "DEADLINE_CHECK_RETRY_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = log_path
        self.log = log_path.open("a")
        self.process = subprocess.Popen(
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
                queue,
                "-n",
                f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            ],
            cwd=ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self):
        """SIGKILL: no shutdown, no acknowledgement, as when a machine dies."""
        self.process.kill()
        self.process.wait(timeout=10)
        self.log.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if not self.log.closed:
            self.log.close()


def new_queue():
    return f"test-{uuid.uuid4().hex[:12]}"


def wait_for(condition, worker_log, what):
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {TIMEOUT} s:\n{worker_log.read_text()}")
        time.sleep(0.2)
