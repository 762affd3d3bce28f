"""Thin Celery wrappers: the work is in orientation.services_offer."""

from celery import shared_task

from audit.context import acting_as
from audit.models import Channel

from . import services_offer


@shared_task(name="orientation.expire_prescriptions", acks_late=True, ignore_result=True)
def expire_prescriptions():
    """Prescriptions left 7 days without answer expire (their place is already counted free)."""
    with acting_as(None, channel=Channel.TASK):
        return services_offer.prescriptions_expire()
