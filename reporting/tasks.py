"""Thin Celery wrappers: the work is in reporting.services."""

from celery import shared_task

from audit.context import acting_as
from audit.models import Channel

from . import services


@shared_task(name="reporting.refresh_snapshots", acks_late=True, ignore_result=True)
def refresh_snapshots():
    with acting_as(None, channel=Channel.TASK):
        return services.refresh_snapshots()
