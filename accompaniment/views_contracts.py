"""Commitment contracts, their action plan (activities) and the weekly hours planned vs done.

Every contract and activity is reached through `Beneficiary.objects.for_user(user)` (404 out of reach); the
role is checked after (403): referents, orientation officers and managers who see the file sign contracts
and keep the action plan. Hours and status changes are small forms on the contract page, sent with htmx when
JavaScript runs (the page's work area is swapped) and as plain posts otherwise.
"""

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from audit.services import log_read
from partners.http import add_service_errors, is_partial, require

from . import sections, services
from .forms import ActivityForm, ActivityStatusForm, ContractForm, HoursDoneForm
from .models import (
    Activity,
    Beneficiary,
    Contract,
    ContractPeriod,
    WeekFigures,
    contract_mondays,
    format_hours,
    hours_done_by_week,
    hours_in_force,
    monday_of,
    week_figures,
)
from .timeline_contracts import register_providers
from .views import may_write_files, visible_file

# The weekly table shows this many weeks, the most recent first, with a link to every week of the contract.
RECENT_WEEKS = 12
ALL_WEEKS = "toutes"
SIX_DAYS = datetime.timedelta(days=6)


def may_keep_contracts(user):
    """Referents, orientation officers and managers (among the users who see the file)."""
    return may_write_files(user)


def _visible_contract(user, pk):
    visible = Beneficiary.objects.for_user(user).values("id")
    contracts = Contract.objects.filter(beneficiary__in=visible).select_related(
        "beneficiary", "created_by__organisation"
    )
    return get_object_or_404(contracts, pk=pk)


def _visible_activity(user, pk):
    visible = Beneficiary.objects.for_user(user).values("id")
    activities = Activity.objects.filter(contract__beneficiary__in=visible).select_related(
        "contract__beneficiary", "contract__created_by__organisation"
    )
    return get_object_or_404(activities, pk=pk)


def _contract_url(contract, anchor=""):
    return reverse("accompaniment:contract_detail", kwargs={"contract_pk": contract.pk}) + anchor


# The contract page's work area: the weekly table, the hours form and the action plan ------------------------
@dataclass
class PlanRow:
    activity: Activity
    status_form: ActivityStatusForm | None


@dataclass
class ContractWork:
    contract: Contract
    steps: list
    rows: list
    weeks: list
    week_count: int
    show_all: bool
    hours_form: HoursDoneForm | None
    may_write: bool
    notice: str = ""
    recent_weeks: int = RECENT_WEEKS

    @property
    def file(self):
        return self.contract.beneficiary

    @property
    def hidden_weeks(self):
        return self.week_count - len(self.weeks)

    @property
    def activities(self):
        return [row.activity for row in self.rows]


def contract_work(request, contract, *, hours_form=None, status_forms=None, notice=""):
    """Four queries whatever the number of activities and weeks: steps, activities (with their hours done
    and their last status change), the hours done by week, and nothing per row."""
    today = timezone.localdate()
    show_all = request.GET.get("semaines") == ALL_WEEKS
    steps = list(contract.hours_steps.all())
    activities = list(contract.activities.for_plan().order_by("starts_on", "id"))
    mondays = contract_mondays(contract, today)
    shown = mondays if show_all else mondays[:RECENT_WEEKS]
    hours_by_week = hours_done_by_week(contract, None if show_all else shown)
    weeks = week_figures(
        contract, mondays=shown, steps=steps, activities=activities, hours_by_week=hours_by_week, today=today
    )
    may_write = may_keep_contracts(request.user)
    status_forms = status_forms or {}
    rows = [
        PlanRow(
            activity=activity,
            status_form=(
                (status_forms.get(activity.pk) or ActivityStatusForm(activity=activity))
                if may_write and activity.next_statuses
                else None
            ),
        )
        for activity in activities
    ]
    if may_write and activities and hours_form is None:
        hours_form = HoursDoneForm(activities=activities)
    return ContractWork(
        contract=contract,
        steps=steps,
        rows=rows,
        weeks=weeks,
        week_count=len(mondays),
        show_all=show_all,
        hours_form=hours_form if may_write and activities else None,
        may_write=may_write,
        notice=notice,
    )


def _render_work(request, contract, **kwargs):
    """The whole contract page, or only its work area for an htmx request (a form with errors answers 200,
    so that htmx swaps it in)."""
    work = contract_work(request, contract, **kwargs)
    log_read(contract)
    partial = is_partial(request)
    template = "accompaniment/_contract_work.html" if partial else "accompaniment/contract_detail.html"
    context = {"work": work, "contract": contract, "file": contract.beneficiary, "nav_active": "files"}
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _back_to_work(request, contract, anchor):
    query = f"?semaines={ALL_WEEKS}" if request.GET.get("semaines") == ALL_WEEKS else ""
    return redirect(reverse("accompaniment:contract_detail", kwargs={"contract_pk": contract.pk}) + query + anchor)


# Sign ---------------------------------------------------------------------------------------------------
@login_required
def contract_sign(request, pk):
    file = visible_file(request.user, pk)
    require(may_keep_contracts(request.user))
    orientation = file.current_orientation
    running = file.current_contract
    form = ContractForm(request.POST or None) if orientation else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_sign(
                beneficiary=file, by=request.user, hours_steps=form.hours_steps(), **form.contract_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = (
                f"Contrat signé le {contract.signed_on:%d/%m/%Y} : {contract.short_kind}, "
                f"{format_hours(contract.weekly_hours)} h par semaine, jusqu'au {contract.ends_on:%d/%m/%Y}."
            )
            for previous in contract.replaced:
                text += f" Le contrat signé le {previous.signed_on:%d/%m/%Y} prend fin le {previous.ends_on:%d/%m/%Y}."
            messages.success(request, text)
            return redirect(_contract_url(contract))
    log_read(file)
    context = {
        "file": file,
        "form": form,
        "orientation": orientation,
        "running": running if running and running.period != ContractPeriod.ENDED else None,
        "nav_active": "files",
    }
    return render(request, "accompaniment/contract_form.html", context)


# Contract page ------------------------------------------------------------------------------------------
@login_required
def contract_detail(request, contract_pk):
    contract = _visible_contract(request.user, contract_pk)
    return _render_work(request, contract)


@login_required
@require_POST
def contract_hours(request, contract_pk):
    """Records the hours done on one activity for one week (re-recording a week replaces it)."""
    contract = _visible_contract(request.user, contract_pk)
    require(may_keep_contracts(request.user))
    activities = list(contract.activities.order_by("starts_on", "id"))
    form = HoursDoneForm(request.POST, activities=activities)
    if form.is_valid():
        data = form.cleaned_data
        try:
            record = services.activity_record_hours(
                activity=data["activity"], week_of=data["week_of"], hours=data["hours"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = (
                f"{format_hours(record.hours)} h réalisées la semaine du {record.week_of:%d/%m/%Y} "
                f"enregistrées pour « {data['activity'].title} »."
            )
            if is_partial(request):
                return _render_work(request, contract, notice=text)
            messages.success(request, text)
            return _back_to_work(request, contract, "#heures")
    return _render_work(request, contract, hours_form=form)


@login_required
@require_POST
def activity_status(request, activity_pk):
    """Moves an activity to another status (planned → in progress → done, or abandoned), dated."""
    activity = _visible_activity(request.user, activity_pk)
    contract = activity.contract
    require(may_keep_contracts(request.user))
    form = ActivityStatusForm(request.POST, activity=activity)
    if form.is_valid():
        data = form.cleaned_data
        try:
            activity = services.activity_change_status(
                activity=activity, status=data["status"], on=data["changed_on"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            since = "le" if activity.is_closed else "depuis le"
            text = (
                f"« {activity.title} » : {activity.get_status_display().lower()} {since} {data['changed_on']:%d/%m/%Y}."
            )
            if is_partial(request):
                return _render_work(request, contract, notice=text)
            messages.success(request, text)
            return _back_to_work(request, contract, f"#activite-{activity.pk}")
    return _render_work(request, contract, status_forms={activity.pk: form})


# Add and edit an activity ----------------------------------------------------------------------------------
@login_required
def activity_create(request, contract_pk):
    contract = _visible_contract(request.user, contract_pk)
    require(may_keep_contracts(request.user))
    form = ActivityForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_add(contract=contract, by=request.user, **form.activity_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Activité ajoutée au plan d'action : « {activity.title} ».")
            return redirect(_contract_url(contract, f"#activite-{activity.pk}"))
    log_read(contract)
    context = {
        "form": form,
        "contract": contract,
        "file": contract.beneficiary,
        "activity": None,
        "nav_active": "files",
    }
    return render(request, "accompaniment/activity_form.html", context)


@login_required
def activity_edit(request, activity_pk):
    activity = _visible_activity(request.user, activity_pk)
    contract = activity.contract
    require(may_keep_contracts(request.user))
    form = ActivityForm(request.POST or None, contract=contract, initial=ActivityForm.initial_from(activity))
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_update(activity=activity, by=request.user, **form.activity_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"L'activité « {activity.title} » est modifiée.")
            return redirect(_contract_url(contract, f"#activite-{activity.pk}"))
    log_read(activity)
    context = {
        "form": form,
        "contract": contract,
        "file": contract.beneficiary,
        "activity": activity,
        "nav_active": "files",
    }
    return render(request, "accompaniment/activity_form.html", context)


# The file page's section ----------------------------------------------------------------------------------
@dataclass
class ContractSection:
    file: Beneficiary
    current: Contract | None
    earlier: list
    hours_now: object
    next_step: object
    this_week: WeekFigures | None
    has_orientation: bool
    may_sign: bool


def file_contract_context(request, beneficiary):
    """The context of templates/accompaniment/_file_contract.html, under `contract_section`. At most five
    queries whatever the history: contracts, the current one's steps, its activities this week, its hours
    done this week, and whether the file has a current orientation."""
    today = timezone.localdate()
    contracts = list(beneficiary.contracts.current_first(today).select_related("created_by"))
    current = contracts[0] if contracts else None
    hours_now = next_step = this_week = None
    if current is not None:
        steps = list(current.hours_steps.all())
        hours_now = hours_in_force(current, steps, min(max(today, current.starts_on), current.ends_on))
        next_step = next((step for step in steps if step.starts_on > today), None)
        if current.period_on(today) == ContractPeriod.IN_FORCE:
            monday = monday_of(today)
            activities = list(current.activities.for_plan().running_between(monday, monday + SIX_DAYS))
            [this_week] = week_figures(
                current,
                mondays=[monday],
                steps=steps,
                activities=activities,
                hours_by_week=hours_done_by_week(current, [monday]),
                today=today,
            )
    section = ContractSection(
        file=beneficiary,
        current=current,
        earlier=contracts[1:],
        hours_now=hours_now,
        next_step=next_step,
        this_week=this_week,
        has_orientation=beneficiary.orientations.filter(ended_on__isnull=True).exists(),
        may_sign=may_keep_contracts(request.user),
    )
    return {"contract_section": section}


sections.register(file_contract_context, main=["accompaniment/_file_contract.html"], order=40)
register_providers()
