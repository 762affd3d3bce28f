"""Reachability of the Celery broker, for /healthz."""

from django.conf import settings

from config.celery import app


def broker_state():
    """Opens a connection to the broker of the settings (one immediate retry, 2 s connect timeout).

    The URL is read from the settings at each call, so that a test can point it at a closed port.
    """
    url = settings.CELERY_BROKER_URL
    transport = url.split("://", 1)[0]
    try:
        with app.connection_for_write(
            url,
            connect_timeout=2,
            transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None),
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return {"ok": True, "transport": transport}
    except Exception as error:  # the point is to report it
        return {"ok": False, "transport": transport, "error": error.__class__.__name__}
