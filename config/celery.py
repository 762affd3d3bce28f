"""The Celery application: tasks are thin wrappers around services; the beat schedule is in settings."""

import logging
import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

logger = logging.getLogger(__name__)

app = Celery("parcours")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.heartbeat", ignore_result=True)
def heartbeat():
    """Records that a worker ran a task scheduled by the beat; /healthz reads it."""
    from partners.models import Heartbeat

    Heartbeat.beat()


@beat_init.connect
def send_heartbeat_when_beat_starts(sender=None, **kwargs):
    """An interval entry first runs one full interval after the beat starts: send a heartbeat at once,
    so that /healthz turns green as soon as a worker has run it after a deployment."""
    try:
        heartbeat.delay()
    except Exception:  # the regular schedule will try again
        logger.exception("Premier battement non envoyé")
