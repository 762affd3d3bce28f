"""The alert bell of the header: the unread count, computed only when a page renders it."""

from functools import cached_property


class AlertBell:
    def __init__(self, user):
        self.user = user

    @cached_property
    def unread(self):
        from .alerts import unread_count

        return unread_count(self.user)

    @property
    def label(self):
        from .alerts import BELL_CAP

        return f"{BELL_CAP}+" if self.unread > BELL_CAP else str(self.unread)


def alert_bell(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"alert_bell": AlertBell(user)}
