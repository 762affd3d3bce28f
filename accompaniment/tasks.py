"""Thin Celery wrappers: the work is in the domain modules."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from audit.context import acting_as
from audit.models import Channel

from . import alerts, deadline_engine, exports, permissions


@shared_task(name="accompaniment.revoke_expired_shares", acks_late=True, ignore_result=True)
def revoke_expired_shares():
    with acting_as(None, channel=Channel.TASK):
        return permissions.revoke_expired_shares()


@shared_task(name="accompaniment.build_export", acks_late=True, ignore_result=True)
def build_export(export_id):
    """Receives the export's id only: the filters and the user are read from the database."""
    from .models import Export

    export = Export.objects.select_related("user").filter(pk=export_id).first()
    if export is None:
        return None
    with acting_as(export.user, channel=Channel.TASK):
        exports.build(export=export)
    return export.pk


@shared_task(name="accompaniment.purge_expired_exports", acks_late=True, ignore_result=True)
def purge_expired_exports():
    with acting_as(None, channel=Channel.TASK):
        return exports.purge_expired()


@shared_task(name="accompaniment.run_data_import", acks_late=True, ignore_result=True)
def run_data_import(import_id):
    """Runs a received import (its id only: SPEC §1); the progress is read from the import record."""
    from .exchange.registry import import_run
    from .models import DataImport

    data_import = DataImport.objects.select_related("imported_by").get(pk=import_id)
    with acting_as(data_import.imported_by, channel=Channel.TASK):
        import_run(data_import=data_import)


@shared_task(name="accompaniment.purge_expired_imports", acks_late=True, ignore_result=True)
def purge_expired_imports():
    from .exchange.registry import purge_expired_imports as purge

    with acting_as(None, channel=Channel.TASK):
        return purge()


@shared_task(name="accompaniment.refresh_statuses", acks_late=True, ignore_result=True)
def refresh_statuses():
    """The safety net of the stored status: files whose facts changed past the signals get it again."""
    from .models import Beneficiary

    with acting_as(None, channel=Channel.TASK):
        return Beneficiary.objects.refresh_status()


@shared_task(name="accompaniment.check_deadlines", bind=True, acks_late=True, ignore_result=True, max_retries=30)
def check_deadlines(self, hourly=False):
    """The periodic deadline check. Idempotent, each alert unique: a redelivered task (a worker lost during a
    run: its transaction was rolled back) simply does the work. Another run holding the lock, or a busy
    SQLite database, makes it retry later rather than skip."""
    try:
        with acting_as(None, channel=Channel.TASK):
            report = deadline_engine.run_check(hourly=hourly)
    except (deadline_engine.CheckAlreadyRunning, OperationalError) as error:
        raise self.retry(exc=error, countdown=settings.DEADLINE_CHECK_RETRY_SECONDS) from error
    return {"alerts": dict(report.alerts), "notifications": report.notifications, "seconds": round(report.seconds, 1)}


@shared_task(name="accompaniment.send_deadline_digests", acks_late=True, ignore_result=True)
def send_deadline_digests():
    """The daily e-mail digest (counts and links only); at most one per user and day."""
    with acting_as(None, channel=Channel.TASK):
        return alerts.send_digests()
