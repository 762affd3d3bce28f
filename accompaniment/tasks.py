"""Thin Celery wrappers: the work is in the domain modules."""

from celery import shared_task

from audit.context import acting_as
from audit.models import Channel

from . import permissions


@shared_task(name="accompaniment.revoke_expired_shares", acks_late=True, ignore_result=True)
def revoke_expired_shares():
    with acting_as(None, channel=Channel.TASK):
        return permissions.revoke_expired_shares()
