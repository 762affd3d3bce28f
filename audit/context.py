"""Who is acting: set by the middleware for web requests, by `acting_as()` for commands and tasks."""

import contextlib
import contextvars
from dataclasses import dataclass

from .models import Channel


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    organisation_id: int | None = None
    channel: str = Channel.COMMAND
    path: str = ""
    ip_address: str | None = None


_current = contextvars.ContextVar("parcours_audit_actor", default=Actor())  # noqa: B039 (frozen)


def current_actor():
    return _current.get()


@contextlib.contextmanager
def acting_as(user=None, channel=Channel.COMMAND, path="", ip_address=None):
    token = _current.set(
        Actor(
            user_id=getattr(user, "pk", None),
            organisation_id=getattr(user, "organisation_id", None),
            channel=channel,
            path=path[:300],
            ip_address=ip_address,
        )
    )
    try:
        yield
    finally:
        _current.reset(token)
