"""Deadline screens: the referent's « Mes échéances », the managers' « Dossiers en retard », the in-app
alerts (one's own and the orientation queue's), and the file page's deadlines section.

Every file comes from `Beneficiary.objects.for_user(user)`; lists of files are audited (`log_list`).
"""

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from audit.services import log_list
from partners.enums import Role

from . import alerts, deadline_engine, sections
from .enums import OPEN_DEADLINE_STATES, DeadlineState, NotificationQueue
from .forms import AlertFilterForm, LateFilesFilterForm, MyDeadlinesFilterForm, primary_sectors
from .models import Beneficiary, Deadline, DeadlineRule, ReferentAssignment
from .permissions import followed_file_ids

UNASSIGNED = "aucun"
STATE_BADGES = {
    DeadlineState.PENDING: "deadline-pending",
    DeadlineState.DUE_SOON: "deadline-due_soon",
    DeadlineState.OVERDUE: "deadline-overdue",
    DeadlineState.MET: "deadline-met",
    DeadlineState.MET_LATE: "deadline-met_late",
    DeadlineState.CANCELLED: "deadline-cancelled",
}


def _require(allowed, message=""):
    if not allowed:
        raise PermissionDenied(message)


def follows_files(user):
    return user.has_role(Role.REFERENT)


def supervises_teams(user):
    return user.has_role(Role.MANAGER)


def _is_partial(request):
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.boosted and not htmx.history_restore_request)


def _rule_labels():
    """{code: label} of the declared rules that have a version, in their declaration order, with the label
    of the Département's latest version."""
    latest = dict(
        DeadlineRule.objects.filter(sector__isnull=True)
        .order_by("code", "effective_from", "id")
        .values_list("code", "label")
    )
    return {code: latest[code] for code in deadline_engine.registry.rules if code in latest}


@dataclass(frozen=True)
class DeadlineRow:
    """A deadline as a list shows it: the file, the rule's label, and how far the due day is."""

    deadline: Deadline
    file: Beneficiary
    rule_label: str
    days_left: int
    referent: str = ""

    @property
    def badge_class(self):
        return STATE_BADGES[self.deadline.state]

    @property
    def hourly(self):
        return not self.deadline.is_day_based

    @property
    def delay_text(self):
        days = self.days_left
        if self.deadline.state == DeadlineState.OVERDUE:
            late = -days
            return "dépassée aujourd'hui" if late <= 0 else f"en retard de {late} jour{'s' if late > 1 else ''}"
        if days == 0:
            return "aujourd'hui"
        return f"dans {days} jour{'s' if days > 1 else ''}"


def _rows(deadlines, today):
    """Rows of deadlines selected with their rule (the label of the version each clock follows)."""
    return [
        DeadlineRow(
            deadline=deadline,
            file=deadline.beneficiary,
            rule_label=deadline.rule.label,
            days_left=deadline.days_left(today),
            referent=" ".join(
                name
                for name in (getattr(deadline, "referent_first_name", ""), getattr(deadline, "referent_last_name", ""))
                if name
            ),
        )
        for deadline in deadlines
    ]


def _state_counts(deadlines):
    counts = dict(deadlines.values_list("state").annotate(n=Count("id")).order_by())
    return {state: counts.get(state, 0) for state in OPEN_DEADLINE_STATES}


# « Mes échéances » ------------------------------------------------------------------------------------------
@login_required
def my_deadlines(request):
    user = request.user
    _require(follows_files(user), "« Mes échéances » est la page des référents.")
    files = Beneficiary.objects.for_user(user).filter(pk__in=followed_file_ids([user.pk]))
    running = Deadline.objects.filter(beneficiary__in=files.values("id"), state__in=OPEN_DEADLINE_STATES)
    form = MyDeadlinesFilterForm(request.GET or None, rule_choices=_rule_labels())
    shown = form.filter(running).select_related("beneficiary", "rule").order_by("due_at", "id")
    page = Paginator(shown, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = _rows(page.object_list, today)
    log_list(Beneficiary, [row.file for row in rows])
    context = {
        "form": form,
        "page_obj": page,
        "rows": rows,
        "counts": _state_counts(running),
        "filtered": form.is_bound,
        "nav_active": "my_deadlines",
    }
    return render(request, "accompaniment/my_deadlines.html", context)


# « Dossiers en retard » -------------------------------------------------------------------------------------
@dataclass
class SummaryRow:
    key: str
    label: str
    cells: list  # (rule code, count)
    total: int


def _summary(deadlines, labels):
    """Counts per sector (rows) and rule (columns) with totals, from one grouped query. Returns the rule
    codes that have deadlines (the columns), the rows, the totals per rule and the grand total."""
    grouped = deadlines.values_list("beneficiary__sector_id", "rule_code").annotate(n=Count("id")).order_by()
    counts = {(sector_id, code): count for sector_id, code, count in grouped}
    rule_codes = [code for code in labels if any(code == c for _, c in counts)]
    sector_names = dict(primary_sectors().values_list("id", "name"))
    sector_ids = sorted({sector_id for sector_id, _ in counts}, key=lambda i: (i is None, sector_names.get(i, "")))
    rows = []
    for sector_id in sector_ids:
        cells = [(code, counts.get((sector_id, code), 0)) for code in rule_codes]
        rows.append(
            SummaryRow(
                key=str(sector_id) if sector_id else UNASSIGNED,
                label=sector_names.get(sector_id, "Non affectés (hors circonscription)"),
                cells=cells,
                total=sum(count for _, count in cells),
            )
        )
    totals = [(code, sum(counts.get((s, code), 0) for s in sector_ids)) for code in rule_codes]
    return rule_codes, rows, totals, sum(count for _, count in totals)


def _with_referent(deadlines):
    current = ReferentAssignment.objects.filter(beneficiary=OuterRef("beneficiary_id"), ended_on__isnull=True)
    return deadlines.annotate(
        referent_first_name=Subquery(current.values("agent__first_name")[:1]),
        referent_last_name=Subquery(current.values("agent__last_name")[:1]),
    )


@login_required
def late_files(request):
    user = request.user
    _require(supervises_teams(user), "« Dossiers en retard » est la page des responsables d'équipe.")
    labels = _rule_labels()
    form = LateFilesFilterForm(request.GET or None, rule_choices=labels, sector_choices=primary_sectors())
    state = form.state()
    files = Beneficiary.objects.for_user(user)
    deadlines = Deadline.objects.filter(beneficiary__in=files.values("id"), state=state)
    rule_codes, rows, totals, total = _summary(deadlines, labels)
    listed = _with_referent(form.filter(deadlines, unassigned_key=UNASSIGNED)).select_related(
        "beneficiary__sector", "rule"
    )
    page = Paginator(listed.order_by("due_at", "id"), settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    list_rows = _rows(page.object_list, today)
    log_list(Beneficiary, [row.file for row in list_rows])
    context = {
        "form": form,
        "state": state,
        "state_label": DeadlineState(state).label,
        "rule_columns": [(code, labels[code]) for code in rule_codes],
        "summary_rows": rows,
        "summary_totals": totals,
        "summary_total": total,
        "page_obj": page,
        "rows": list_rows,
        "filtered": form.narrows(),
        "nav_active": "late_files",
    }
    return render(request, "accompaniment/late_files.html", context)


# Alerts -----------------------------------------------------------------------------------------------------
def _lists_of(user):
    """The alert lists `user` reads: their own, and the orientation queue for officers."""
    lists = [("moi", "Mes alertes")]
    if alerts.reads_orientation_queue(user):
        lists.append(("orientation", NotificationQueue.ORIENTATION.label))
    return lists


def _default_list(user):
    if alerts.reads_orientation_queue(user) and not user.has_role(Role.REFERENT, Role.MANAGER):
        return "orientation"
    return "moi"


def _notifications_of_list(user, name):
    if name == "orientation":
        return alerts.queue_notifications(user)
    return alerts.personal_notifications(user)


# Counting a backlog of hundreds of thousands of alerts stops here (« plus de 10 000 »).
LIST_COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Pages of a list whose count stops at LIST_COUNT_CAP: the last pages of a huge backlog are not offered."""

    @cached_property
    def count(self):
        return min(alerts.capped_count(self.object_list, LIST_COUNT_CAP), LIST_COUNT_CAP)

    @property
    def capped(self):
        return self.count >= LIST_COUNT_CAP


@dataclass(frozen=True)
class AlertRow:
    notification: object
    deadline: Deadline
    file: Beneficiary
    rule_label: str

    @property
    def kind_class(self):
        return STATE_BADGES[self.notification.alert.kind]

    @property
    def hourly(self):
        return not self.deadline.is_day_based


def _alert_rows(notifications):
    rows = []
    for notification in notifications:
        deadline = notification.alert.deadline
        rows.append(
            AlertRow(
                notification=notification, deadline=deadline, file=deadline.beneficiary, rule_label=deadline.rule.label
            )
        )
    return rows


ALERT_RELATIONS = ("alert__deadline__beneficiary__sector", "alert__deadline__rule", "read_by")


@login_required
def alert_list(request):
    user = request.user
    _require(
        alerts.reads_alerts_list(user),
        "Les alertes d'échéances sont adressées aux référents, responsables et chargés d'orientation.",
    )
    lists = _lists_of(user)
    form = AlertFilterForm(request.GET or None, list_choices=lists)
    current = form.current_list(_default_list(user))
    notifications = _notifications_of_list(user, current)
    unread_by_list = {
        name: alerts.capped_count(_notifications_of_list(user, name).unread(), LIST_COUNT_CAP) for name, _ in lists
    }
    if form.unread_only():
        notifications = notifications.unread()
    ordered = notifications.select_related(*ALERT_RELATIONS).order_by("-id")  # the newest first
    page = CappedPaginator(ordered, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _alert_rows(page.object_list)
    log_list(Beneficiary, [row.file for row in rows])
    context = {
        "form": form,
        "lists": [(name, label, unread_by_list[name]) for name, label in lists],
        "current": current,
        "current_label": dict(lists)[current],
        "page_obj": page,
        "rows": rows,
        "unread": unread_by_list[current],
        "unread_capped": unread_by_list[current] > LIST_COUNT_CAP,
        "count_cap": LIST_COUNT_CAP,
        "nav_active": "alerts",
    }
    return render(request, "accompaniment/alert_list.html", context)


def _back_to_alerts(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("accompaniment:alerts")


@login_required
@require_POST
def alert_read(request, notification_pk):
    user = request.user
    _require(alerts.reads_alerts_list(user))
    notification = get_object_or_404(
        alerts.notifications_for(user).select_related(*ALERT_RELATIONS), pk=notification_pk
    )
    alerts.notification_mark_read(notification=notification, by=user)
    if _is_partial(request):
        row = _alert_rows([notification])[0]
        response = render(request, "accompaniment/_alert_row_read.html", {"row": row, "user": user})
        patch_vary_headers(response, ["HX-Request"])
        return response
    messages.success(request, "L'alerte est marquée comme lue.")
    return _back_to_alerts(request)


@login_required
@require_POST
def alerts_read_all(request):
    user = request.user
    _require(alerts.reads_alerts_list(user))
    names = dict(_lists_of(user))
    name = request.POST.get("liste", "moi")
    if name not in names:
        name = "moi"
    queue = NotificationQueue.ORIENTATION if name == "orientation" else ""
    count = alerts.notifications_mark_all_read(user=user, queue=queue)
    if count:
        messages.success(
            request,
            f"{count} alerte{'s' if count > 1 else ''} marquée{'s' if count > 1 else ''} comme lue{'s' if count > 1 else ''}.",
        )
    else:
        messages.info(request, "Aucune alerte non lue dans cette liste.")
    return redirect(reverse("accompaniment:alerts") + f"?liste={name}")


# The file page's section --------------------------------------------------------------------------------
@dataclass
class FileDeadlines:
    running: list
    closed: list


def file_deadlines_context(request, beneficiary):
    """The context of templates/accompaniment/_file_deadlines.html: ONE query whatever the history."""
    today = timezone.localdate()
    deadlines = list(beneficiary.deadlines.select_related("rule").order_by("due_at", "id"))
    for deadline in deadlines:
        deadline.beneficiary = beneficiary  # no query per row
    rows = _rows(deadlines, today)
    return {
        "deadline_section": FileDeadlines(
            running=[row for row in rows if row.deadline.state in OPEN_DEADLINE_STATES],
            closed=[row for row in reversed(rows) if row.deadline.state not in OPEN_DEADLINE_STATES],
        )
    }


def register_file_section():
    sections.register(file_deadlines_context, side=["accompaniment/_file_deadlines.html"], order=15)
