"""COPIL meetings: date, perimeter, attendees, agenda, minutes, decisions and actions, followed from meeting
to meeting (a meeting's page lists the actions of the previous meetings still open; overdue ones are
flagged). Managers, COPIL members and administrators record meetings; an action's owner may also update
its state. Every meeting is reached through `CopilMeeting.objects.for_user(user)` (404 out of reach).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from .enums import CONVENTION_RENEWAL_WARNING_DAYS, OPEN_COPIL_ACTION_STATUSES, CopilActionStatus, Role
from .forms_conventions import ActionFormSet, ActionStatusForm, CopilMeetingForm
from .http import is_partial, require
from .models import Convention, CopilAction, CopilMeeting


def may_record_meetings(user):
    return user.has_role(Role.MANAGER, Role.COPIL, Role.ADMIN)


def may_update_action(user, action):
    return may_record_meetings(user) or action.owner_id == user.pk


def visible_meeting(user, pk):
    return get_object_or_404(CopilMeeting.objects.for_user(user).select_related("sector", "recorded_by"), pk=pk)


def visible_actions(user):
    return CopilAction.objects.filter(meeting__in=CopilMeeting.objects.for_user(user).values("id")).select_related(
        "meeting", "owner__organisation", "owner_organisation"
    )


@login_required
def meeting_list(request):
    meetings = (
        CopilMeeting.objects.for_user(request.user)
        .select_related("sector")
        .annotate(
            action_count=Count("actions", distinct=True),
            open_count=Count("actions", filter=Q(actions__status__in=OPEN_COPIL_ACTION_STATUSES), distinct=True),
        )
    )
    today = timezone.localdate()
    open_actions = list(visible_actions(request.user).open().order_by("due_on", "id"))
    for action in open_actions:
        action.overdue_today = action.is_overdue(today)
    return render(
        request,
        "partners/copil_list.html",
        {
            "meetings": meetings,
            "open_actions": open_actions,
            "may_record": may_record_meetings(request.user),
            "nav_active": "partnerships",
        },
    )


def _actions_context(request, meeting):
    """The two lists of the meeting page: the actions decided at this meeting, and the actions of previous
    meetings still open (each with its state form when the user may update it)."""
    user = request.user
    today = timezone.localdate()
    decided = list(meeting.actions.select_related("owner__organisation", "owner_organisation", "closed_at_meeting"))
    carried = list(visible_actions(user).before(meeting).open().order_by("due_on", "meeting__held_on", "id"))
    for action in [*decided, *carried]:
        action.overdue_today = action.is_overdue(today)
        action.status_form = (
            ActionStatusForm(prefix=f"action-{action.pk}", initial={"status": CopilActionStatus.DONE})
            if action.is_open and may_update_action(user, action)
            else None
        )
    return {
        "meeting": meeting,
        "decided_actions": decided,
        "carried_actions": carried,
        "overdue_count": sum(1 for action in carried + decided if action.overdue_today),
    }


@login_required
def meeting_detail(request, meeting_pk):
    meeting = visible_meeting(request.user, meeting_pk)
    return render(
        request,
        "partners/copil_detail.html",
        {
            **_actions_context(request, meeting),
            "attendees": meeting.attendees.select_related("organisation"),
            "organisations": meeting.organisations.all(),
            "conventions": meeting.conventions.for_user(request.user),
            "may_record": may_record_meetings(request.user),
            "nav_active": "partnerships",
        },
    )


def _meeting_form(request, meeting, *, creating):
    form = CopilMeetingForm(request.POST or None, instance=meeting, user=request.user)
    actions = ActionFormSet(request.POST or None, instance=meeting, prefix="actions")
    if request.method == "POST" and form.is_valid() and actions.is_valid():
        with transaction.atomic():
            meeting = form.save(commit=False)
            if creating:
                meeting.recorded_by = request.user
            meeting.save()
            form.save_m2m()
            actions.instance = meeting
            actions.save()
        messages.success(request, "Réunion enregistrée." if creating else "Réunion modifiée.")
        return redirect("partners:copil_detail", meeting_pk=meeting.pk)
    return render(
        request,
        "partners/copil_form.html",
        {"form": form, "actions": actions, "meeting": None if creating else meeting, "nav_active": "partnerships"},
    )


@login_required
def meeting_create(request):
    require(may_record_meetings(request.user), "Seuls les responsables et les membres du COPIL saisissent une réunion.")
    return _meeting_form(request, CopilMeeting(), creating=True)


@login_required
def meeting_edit(request, meeting_pk):
    meeting = visible_meeting(request.user, meeting_pk)
    require(may_record_meetings(request.user), "Seuls les responsables et les membres du COPIL modifient une réunion.")
    return _meeting_form(request, meeting, creating=False)


@login_required
@require_POST
def action_status(request, copil_action_pk):
    """Changes an action's state, from the page of the meeting where it is followed (`meeting`): its two
    lists are swapped in for htmx, the page is reloaded otherwise."""
    action = get_object_or_404(visible_actions(request.user), pk=copil_action_pk)
    require(may_update_action(request.user, action), "Vous ne pouvez pas modifier cette action.")
    meeting = (
        CopilMeeting.objects.for_user(request.user).filter(pk=request.POST.get("meeting")).first() or action.meeting
    )
    form = ActionStatusForm(request.POST, prefix=f"action-{action.pk}")
    if form.is_valid():
        status = form.cleaned_data["status"]
        if status in OPEN_COPIL_ACTION_STATUSES:
            action.status = status
            action.comment = form.cleaned_data["comment"] or action.comment
            action.save()
        else:
            action.close(status=status, at_meeting=meeting, comment=form.cleaned_data["comment"])
        notice = f"« {action.title} » : {action.get_status_display().lower()}."
    else:
        notice = "Choisissez un état."
    if is_partial(request):
        response = render(
            request,
            "partners/_copil_actions.html",
            {**_actions_context(request, meeting), "notice": notice},
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    messages.success(request, notice)
    return redirect("partners:copil_detail", meeting_pk=meeting.pk)


def copil_home(request):
    """The COPIL member's home page: the meetings, the open actions (overdue flagged), the conventions
    expiring within 90 days. Aggregates and partnerships only: never a nominative file."""
    today = timezone.localdate()
    meetings = CopilMeeting.objects.for_user(request.user).select_related("sector")[:6]
    open_actions = list(visible_actions(request.user).open().order_by("due_on", "id")[:30])
    for action in open_actions:
        action.overdue_today = action.is_overdue(today)
    expiring = Convention.objects.for_user(request.user).expiring_within(CONVENTION_RENEWAL_WARNING_DAYS, today)
    return render(
        request,
        "partners/copil_home.html",
        {
            "meetings": meetings,
            "open_actions": open_actions,
            "overdue_count": sum(1 for action in open_actions if action.overdue_today),
            "expiring": expiring.order_by("term_ends_on", "id"),
            "warning_days": CONVENTION_RENEWAL_WARNING_DAYS,
            "may_record": may_record_meetings(request.user),
            "nav_active": "copil_home",
        },
    )
