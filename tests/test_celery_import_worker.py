"""A flux received on the « Imports » page is run by a real Celery worker on Redis, against the test database
and the private storage it was stored in (as in production): the task carries the import's id only, the
worker reads the stored copy, applies every household and registers the counts.

Needs Redis and PostgreSQL (CI provides them; see tests/conftest.py for the markers)."""

import pytest
from django.db import transaction

from accompaniment.enums import ImportKind, ImportStatus
from accompaniment.exchange import registry
from accompaniment.exchange.generator import generate_flux
from accompaniment.models import Beneficiary, DataImport, Household
from accompaniment.tasks import run_data_import
from config.celery import app
from tests.celery_support import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgresql]

HOUSEHOLDS = 120


def test_a_real_worker_imports_a_received_flux_sent_through_redis(
    workers, queue, default_rules, private_storage, tmp_path, monkeypatch, referent
):
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setenv("PRIVATE_STORAGE_ROOT", str(private_storage))  # the worker process reads the stored copy
    path = tmp_path / "RSABEM-131.xml"
    generate_flux(path, households=HOUSEHOLDS, seed=7)
    with path.open("rb") as source, transaction.atomic():
        data_import = registry.import_receive(source=source, file_name=path.name, kind=ImportKind.CAF, by=referent)
    workers(queue)
    run_data_import.apply_async(args=[data_import.pk], queue=queue)

    def finished():
        return DataImport.objects.get(pk=data_import.pk).status != ImportStatus.RECEIVED and (
            DataImport.objects.get(pk=data_import.pk).finished_at is not None
        )

    wait_for(finished, tmp_path / "workers.log", "the import")
    data_import.refresh_from_db()
    assert data_import.status == ImportStatus.DONE, data_import.message
    assert data_import.summary == f"created={HOUSEHOLDS} updated=0 unchanged=0 rejected=0"
    assert data_import.processed == HOUSEHOLDS
    assert Household.objects.count() == HOUSEHOLDS
    assert Beneficiary.objects.filter(origin="flux").exists()
