"""The Celery application: tasks are thin wrappers around services; the beat schedule is in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parcours")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.heartbeat", ignore_result=True)
def heartbeat():
    """Records that a worker ran a task scheduled by the beat; /healthz reads it."""
    from partners.models import Heartbeat

    Heartbeat.beat()
