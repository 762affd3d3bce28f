"""Reachability of the Celery broker, for /healthz."""

from config.celery import app


def broker_state():
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "transport": app.conf.broker_url.split("://", 1)[0]}
    except Exception as error:
        return {"ok": False, "error": error.__class__.__name__}
