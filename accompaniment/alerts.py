"""In-app alerts of deadlines and the daily e-mail digest (SPEC §5).

A notification is a user's own, or the orientation queue's: one shared row per alert, read by the officers
who see the file (the sector relation of `for_user()`), whoever of them reads it first. E-mails carry counts
and links, never names nor NIR.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from partners.enums import Role
from partners.models import User

from . import deadline_engine
from .enums import AlertKind, NotificationQueue
from .models import Beneficiary, DeadlineDigest, Notification
from .permissions import may_read_nominative_data, orientation_queue_scope

FILE_SUBJECT = "accompaniment.beneficiary"  # the engine's key of the file subject

logger = logging.getLogger(__name__)

# The bell shows "99+" beyond this: counting stays cheap whatever the backlog.
BELL_CAP = 99


def reads_alerts_list(user):
    """Who reads the alerts of files in the alerts list (and the header's bell): referents, managers and
    orientation officers."""
    return may_read_nominative_data(user) and user.has_role(Role.REFERENT, Role.MANAGER, Role.ORIENTATION_OFFICER)


def reads_orientation_queue(user):
    return user.has_role(Role.ORIENTATION_OFFICER)


def personal_notifications(user):
    """`user`'s own notifications about files they may see (a referent who lost a file no longer reads
    its alerts)."""
    visible = Beneficiary.objects.for_user(user).values("id")
    return Notification.objects.filter(recipient=user, alert__deadline__beneficiary__in=visible)


def subject_notifications(user):
    """`user`'s own notifications about subjects other than files, when they do not see the file (or there is
    none): a childcare coordinator's requests, a convention's owners. Their apps show them on their own pages
    (the subject's `alerts_page`); the alerts list and the bell keep to files."""
    visible = Beneficiary.objects.for_user(user).values("id")
    return (
        Notification.objects.filter(recipient=user)
        .exclude(alert__deadline__subject_type=FILE_SUBJECT)
        .exclude(alert__deadline__beneficiary__in=visible)
    )


def queue_notifications(user):
    """The orientation queue's notifications of the files of `user`'s sectors (officers only): conditions
    on the file's own columns, so that a page of unread alerts is found without reading the whole backlog."""
    if not reads_orientation_queue(user):
        return Notification.objects.none()
    scope = orientation_queue_scope(user, prefix="alert__deadline__beneficiary__")
    return Notification.objects.filter(Q(queue=NotificationQueue.ORIENTATION) & scope)


def notifications_for(user):
    """Every notification `user` may read: their own and, for orientation officers, the queue's."""
    mine = Q(pk__in=personal_notifications(user).values("pk"))
    if reads_orientation_queue(user):
        mine |= Q(pk__in=queue_notifications(user).values("pk"))
    return Notification.objects.filter(mine)


def capped_count(queryset, cap):
    """min(count, cap + 1): counting stops early however large the backlog."""
    return queryset.order_by()[: cap + 1].count()


def unread_count(user, cap=BELL_CAP):
    """Unread notifications, counted up to `cap` + 1 (the bell says "99+"): two capped counts."""
    mine = capped_count(personal_notifications(user).unread(), cap)
    if mine > cap or not reads_orientation_queue(user):
        return mine
    return mine + capped_count(queue_notifications(user).unread(), cap)


@transaction.atomic
def notification_mark_read(*, notification, by):
    """Marks a notification read (for the whole queue when it is the queue's). A conditional update: the
    first reader is kept. Returns the notification as stored."""
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now(), read_by=by)
    notification.refresh_from_db(fields=["read_at", "read_by"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user, queue=None):
    """Marks every unread notification `user` may read (or only those of one list) as read by them."""
    if queue is None:
        unread = notifications_for(user).unread()
    elif queue:
        unread = queue_notifications(user).unread()
    else:
        unread = personal_notifications(user).unread()
    return Notification.objects.filter(pk__in=unread.values("pk")).update(read_at=timezone.now(), read_by=user)


# The daily digest ----------------------------------------------------------------------------------------
def absolute_url(name):
    return settings.PARCOURS_BASE_URL.rstrip("/") + reverse(name)


def _counts(notifications, since):
    fresh = notifications.filter(created_at__gt=since)
    by_kind = dict(fresh.values_list("alert__kind").annotate(n=Count("id")).order_by())
    return {kind: by_kind.get(kind, 0) for kind in AlertKind.values}


def digest_counts(user, *, since):
    """Counts only: new alerts of each kind since `since` (personal and queue), and what is still unread."""
    counts = {
        "personal": _counts(personal_notifications(user), since),
        "queue": _counts(queue_notifications(user), since)
        if reads_orientation_queue(user)
        else {kind: 0 for kind in AlertKind.values},
        "other": _counts(subject_notifications(user), since),
        "unread": personal_notifications(user).unread().count() + queue_notifications(user).unread().count(),
    }
    counts["new"] = sum(counts["personal"].values()) + sum(counts["queue"].values()) + sum(counts["other"].values())
    return counts


def _digest_candidates(since):
    """Users who may have news: recipients of new notifications, and the orientation officers when the
    queue received some."""
    fresh = Notification.objects.filter(created_at__gt=since)
    ids = set(fresh.filter(recipient__isnull=False).values_list("recipient_id", flat=True).distinct())
    if fresh.filter(queue=NotificationQueue.ORIENTATION).exists():
        ids |= set(User.objects.with_role(Role.ORIENTATION_OFFICER).values_list("id", flat=True))
    return User.objects.filter(pk__in=ids, is_active=True).exclude(email="").order_by("pk")


def _links(user, *, since):
    links = []
    if reads_alerts_list(user):
        links.append(("Vos alertes", absolute_url("accompaniment:alerts")))
    if user.has_role(Role.REFERENT):
        links.append(("Mes échéances", absolute_url("accompaniment:my_deadlines")))
    if user.has_role(Role.MANAGER):
        links.append(("Dossiers en retard", absolute_url("accompaniment:late_files")))
    # The pages where the subjects of the user's other new alerts are followed (childcare, conventions).
    subject_types = (
        subject_notifications(user)
        .filter(created_at__gt=since)
        .order_by()
        .values_list("alert__deadline__subject_type", flat=True)
        .distinct()
    )
    for subject_type in sorted(subject_types):
        subject = deadline_engine.registry.subjects.get(subject_type)
        if subject is not None and subject.alerts_page:
            link = (f"Vos alertes : {subject.label}", absolute_url(subject.alerts_page))
            if link not in links:
                links.append(link)
    return links


def send_digest(user, *, now, since):
    """Sends `user` their digest of the day once (the row of the day is claimed first, in the same
    transaction as the sending: a failed sending leaves no claim). Returns True when an e-mail left."""
    counts = digest_counts(user, since=since)
    if not counts["new"]:
        return False
    day = timezone.localtime(now).date()
    try:
        with transaction.atomic():
            DeadlineDigest.objects.create(user=user, day=day, sent_at=now, counts=counts)
            links = _links(user, since=since)
            context = {"user": user, "counts": counts, "day": day, "links": links, "operator": _operator()}
            message = EmailMultiAlternatives(
                subject=f"Parcours — vos alertes d'échéances du {day:%d/%m/%Y}",
                body=render_to_string("accompaniment/emails/deadline_digest.txt", context),
                to=[user.email],
            )
            message.attach_alternative(
                render_to_string("accompaniment/emails/deadline_digest.html", context), "text/html"
            )
            message.send()
    except IntegrityError:  # already sent today (a redelivered task)
        return False
    return True


def _operator():
    return {"name": settings.PARCOURS_OPERATOR_NAME, "short_name": settings.PARCOURS_OPERATOR_SHORT_NAME}


def send_digests(*, now=None):
    """The daily digest of every user with new alerts in the last 24 hours. Returns how many were sent."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=1)
    sent = 0
    for user in _digest_candidates(since):
        try:
            sent += send_digest(user, now=now, since=since)
        except Exception:  # one failed address does not stop the others; the log names no one
            logger.exception("Récapitulatif d'échéances non envoyé (utilisateur %s)", user.pk)
    return sent
