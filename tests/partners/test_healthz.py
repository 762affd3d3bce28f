"""/healthz: 200 when the database, the broker and the beat are fine, 503 as soon as one of them is not."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from partners.models import Heartbeat

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def recent_heartbeat(db):
    Heartbeat.objects.create(name="beat", last_run_at=timezone.now() - timedelta(seconds=30))


def test_healthz_answers_200_with_the_state_of_each_dependency_when_all_are_fine(client, recent_heartbeat):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "database", "broker", "beat"}
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True}
    assert body["broker"]["ok"] is True
    assert body["broker"]["transport"]
    assert body["beat"]["ok"] is True
    assert 25 <= body["beat"]["age_seconds"] <= 60
    assert body["beat"]["last_run_at"] == Heartbeat.last().isoformat()


def test_healthz_is_never_cached(client, recent_heartbeat):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_before_the_first_heartbeat(client, db):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["beat"] == {"ok": False, "last_run_at": None, "age_seconds": None}
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True


def test_healthz_answers_503_when_the_last_heartbeat_is_older_than_five_minutes(client, db):
    with freeze_time("2026-03-02 10:00:00"):
        Heartbeat.beat()
    with freeze_time("2026-03-02 10:05:01"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["beat"] == {"ok": False, "last_run_at": "2026-03-02T10:00:00+00:00", "age_seconds": 301}


def test_healthz_still_answers_200_on_the_last_second_before_the_heartbeat_is_stale(client, db):
    with freeze_time("2026-03-02 10:00:00"):
        Heartbeat.beat()
    with freeze_time("2026-03-02 10:05:00"):
        response = client.get("/healthz")

    assert response.status_code == 200


def test_the_stale_delay_comes_from_the_settings(client, db, settings):
    settings.HEARTBEAT_STALE_AFTER = 60
    Heartbeat.objects.create(name="beat", last_run_at=timezone.now() - timedelta(seconds=90))

    assert client.get("/healthz").status_code == 503


def test_healthz_answers_503_when_the_broker_is_unreachable(client, recent_heartbeat, settings):
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"] == {"ok": False, "transport": "redis", "error": "OperationalError"}
    assert body["database"]["ok"] is True
    assert body["beat"]["ok"] is True


def test_healthz_answers_503_when_the_database_cannot_be_queried(client, recent_heartbeat, monkeypatch):
    from django.db import OperationalError

    class UnreachableDatabase:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("partners.views.connection", UnreachableDatabase())

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert body["beat"]["ok"] is False


def test_the_heartbeat_task_records_its_run(db):
    from config.celery import heartbeat

    with freeze_time("2026-03-02 10:00:00"):
        heartbeat.apply()  # run in this process, as a worker would

    assert Heartbeat.last().isoformat() == "2026-03-02T10:00:00+00:00"
    assert Heartbeat.objects.count() == 1
