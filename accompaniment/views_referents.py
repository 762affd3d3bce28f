"""The file's referent: designation and reassignment, its file-page section and timeline events, and the
referent's portfolio ("Mes dossiers"); for managers, the files their teams follow.

Every file comes from `Beneficiary.objects.for_user(user)` (404 out of reach); the role is checked after
(403). The rules (who may designate, who may be designated) live in `permissions` and `services`.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render

from audit.services import log_list, log_read
from partners.enums import Role
from partners.http import add_service_errors, require
from partners.models import User, UserRole

from . import sections, services, timeline
from .enums import Status
from .filters import ordering_for, sort_columns
from .forms import ReferentForm, referent_candidates
from .models import Beneficiary, ReferentAssignment
from .permissions import designates_referents, may_designate_referent
from .views import file_url, files_page

ANCHOR = "#referent"


def _current_orientation(file):
    return file.orientations.filter(ended_on__isnull=True).select_related("organisation").first()


# Designation and reassignment -------------------------------------------------------------------------------
@login_required
def referent_designate(request, pk):
    user = request.user
    file = get_object_or_404(Beneficiary.objects.for_user(user), pk=pk)
    require(designates_referents(user), "Seuls les chargés d'orientation et les responsables désignent le référent.")
    orientation = _current_orientation(file)
    current = file.current_referent_assignment
    form = None
    if orientation is not None:
        require(
            may_designate_referent(user, orientation.organisation_id),
            "Seul l'organisme référent de l'orientation désigne le référent.",
        )
        candidates = referent_candidates(orientation.organisation_id, exclude=current.agent_id if current else None)
        form = ReferentForm(
            request.POST or None,
            candidates=candidates,
            organisation=orientation.organisation,
            reassignment=current is not None,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                assignment = services.referent_designate(
                    beneficiary=file,
                    agent=data["agent"],
                    designated_on=data["designated_on"],
                    by=user,
                    reason=data.get("reason", ""),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"{assignment.agent.get_full_name()} est le référent du dossier de {file.full_name} "
                    f"depuis le {assignment.designated_on:%d/%m/%Y}.",
                )
                return redirect(file_url(file, ANCHOR))
    log_read(file)
    context = {
        "file": file,
        "orientation": orientation,
        "current": current,
        "form": form,
        "may_orient": user.has_role(Role.ORIENTATION_OFFICER),
        "nav_active": "files",
    }
    return render(request, "accompaniment/referent_form.html", context)


# The file page's section ------------------------------------------------------------------------------------
@dataclass
class ReferentSection:
    file: Beneficiary
    current: ReferentAssignment | None
    history: list
    oriented: bool
    may_designate: bool


def file_referent_context(request, beneficiary):
    """The context of templates/accompaniment/_file_referent.html under `referent_section`: two queries
    (the assignments with their people, the current orientation's lead organisation), whatever the history."""
    user = request.user
    assignments = list(
        ReferentAssignment.objects.filter(beneficiary=beneficiary).select_related(
            "agent", "organisation", "designated_by"
        )
    )
    lead_organisation_id = (
        beneficiary.orientations.filter(ended_on__isnull=True).values_list("organisation_id", flat=True).first()
    )
    section = ReferentSection(
        file=beneficiary,
        current=next((a for a in assignments if a.ended_on is None), None),
        history=[a for a in assignments if a.ended_on is not None],
        oriented=lead_organisation_id is not None,
        may_designate=may_designate_referent(user, lead_organisation_id),
    )
    return {"referent_section": section}


# Timeline ---------------------------------------------------------------------------------------------------
def referent_events(beneficiary):
    """Designations and their ends, with who designated (an end by reassignment: whoever designated the
    next referent). One query."""
    assignments = list(
        ReferentAssignment.objects.filter(beneficiary=beneficiary).select_related(
            "agent", "organisation", "designated_by__organisation"
        )
    )
    # A reassignment closes the previous designation on the day of the new one, which is created after it.
    designated_on_day = {}
    for assignment in sorted(assignments, key=lambda a: a.pk):
        designated_on_day.setdefault(assignment.designated_on, []).append(assignment)
    events = []
    for assignment in assignments:
        name = assignment.agent.get_full_name()
        designated_by = assignment.designated_by
        events.append(
            timeline.Event(
                at=timeline.on_day(assignment.designated_on),
                title=f"Référent désigné : {name} ({assignment.organisation})",
                actor=timeline.person(designated_by, designated_by.organisation),
                kind="referent",
                date_only=True,
            )
        )
        if assignment.ended_on:
            successor = next((a for a in designated_on_day.get(assignment.ended_on, []) if a.pk > assignment.pk), None)
            closer = successor.designated_by if successor else None
            events.append(
                timeline.Event(
                    at=timeline.on_day(assignment.ended_on),
                    title=f"Fin de la désignation de {name} : {assignment.end_reason or 'sans motif'}",
                    actor=timeline.person(closer, closer.organisation) if closer else "",
                    kind="referent",
                    date_only=True,
                )
            )
    return events


# Portfolios -------------------------------------------------------------------------------------------------
# `?tri=` of the portfolios: the column, its label, the ordering.
PORTFOLIO_SORTS = {
    "nom": ("Nom", ("last_name", "first_name")),
    "parcours": ("Parcours", ("current_pathway", "last_name", "first_name")),
    "contact": ("Dernier contact", ("last_contact_on", "last_name", "first_name")),
    "ouverture": ("Ouverture des droits", ("rights_opened_on", "last_name", "first_name")),
    "depuis": ("Référent depuis", ("referent_since", "last_name", "first_name")),
}
PORTFOLIO_DEFAULT_SORT = "nom"
# The status tabs, in the journey's order; those after the first two appear only when some file has them.
STATUS_TABS = (Status.ORIENTED, Status.IN_ACCOMPANIMENT, Status.TO_ORIENT, Status.EXITED, Status.OUT_OF_SCOPE)
ALWAYS_SHOWN_TABS = (Status.ORIENTED, Status.IN_ACCOMPANIMENT)


@dataclass(frozen=True)
class StatusTab:
    code: str
    label: str
    count: int
    active: bool


def status_counts(files):
    """The number of files of each status, and in all: one aggregate query."""
    by_status = {status.value: Count("pk", filter=Q(status_code=status.value)) for status in Status}
    return files.aggregate(total=Count("pk"), **by_status)


def _status_tabs(counts, current):
    tabs = [StatusTab(code="", label="Tous", count=counts["total"], active=not current)]
    for status in STATUS_TABS:
        if counts[status] or status in ALWAYS_SHOWN_TABS or status == current:
            tabs.append(StatusTab(code=status, label=status.label, count=counts[status], active=status == current))
    return tabs


def _since(agent_ids):
    """The date the current referent (one of `agent_ids`, a list or a subquery) was designated."""
    current = ReferentAssignment.objects.current().filter(beneficiary=OuterRef("pk"), agent__in=agent_ids)
    return Subquery(current.values("designated_on")[:1])


def _portfolio_page(request, files, agent_ids):
    """Status tabs with the counts of `files`, then the files of the chosen status, sorted and paginated:
    three queries (the counts, the page's count, the page)."""
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    sort = request.GET.get("tri", PORTFOLIO_DEFAULT_SORT)
    sort = sort if sort.lstrip("-") in PORTFOLIO_SORTS else PORTFOLIO_DEFAULT_SORT
    counts = status_counts(files)
    listed = files.with_status_code(status) if status else files
    if sort.lstrip("-") in ("parcours", "depuis"):  # sorted by an annotation: the ids query needs it
        listed = listed.with_journey().annotate(referent_since=_since(agent_ids))
    listed = listed.order_by(*ordering_for(sort, PORTFOLIO_SORTS, PORTFOLIO_DEFAULT_SORT))
    page = files_page(
        listed,
        request.GET.get("page"),
        detail=lambda page_files: (
            page_files.with_journey().annotate(referent_since=_since(agent_ids)).select_related("commune")
        ),
    )
    log_list(Beneficiary, page.object_list)
    return {
        "page_obj": page,
        "tabs": _status_tabs(counts, status),
        "status": status,
        "status_label": Status(status).label if status else "",
        "columns": sort_columns(sort, PORTFOLIO_SORTS, PORTFOLIO_DEFAULT_SORT),
    }


@login_required
def portfolio(request):
    """ "Mes dossiers": the files the user is the current referent of, with their counts by status."""
    user = request.user
    require(user.has_role(Role.REFERENT), "« Mes dossiers » est la page des référents.")
    files = Beneficiary.objects.for_user(user).followed_by(user)
    context = {**_portfolio_page(request, files, [user.pk]), "nav_active": "portfolio"}
    return render(request, "accompaniment/referent_portfolio.html", context)


def team_referents(manager):
    """The members of the teams `manager` manages who are active referents or still follow files, each
    annotated with `followed_count` (one query)."""
    followed = (
        ReferentAssignment.objects.current()
        .filter(agent=OuterRef("pk"))
        .order_by()
        .values("agent")
        .annotate(count=Count("id"))
        .values("count")
    )
    referent_role = UserRole.objects.filter(user=OuterRef("pk"), role=Role.REFERENT)
    return (
        User.objects.filter(pk__in=User.objects.filter(teams__manager=manager).values("id"))
        .annotate(followed_count=Coalesce(Subquery(followed, output_field=IntegerField()), 0))
        .filter(Q(is_active=True, pk__in=referent_role.values("user_id")) | Q(followed_count__gt=0))
        .order_by("last_name", "first_name", "id")
    )


@login_required
def team_portfolio(request):
    """ "Dossiers de mon équipe": for a manager, the files followed by the members of the teams they manage,
    with the number each member follows and the counts by status; one member's files on demand."""
    user = request.user
    require(user.has_role(Role.MANAGER), "« Dossiers de mon équipe » est la page des responsables d'équipe.")
    referents = list(team_referents(user))
    chosen = next((r for r in referents if str(r.pk) == request.GET.get("referent", "")), None)
    agent_ids = [chosen.pk] if chosen else [r.pk for r in referents]
    followed = ReferentAssignment.objects.current().filter(agent__in=agent_ids).values("beneficiary_id")
    files = Beneficiary.objects.for_user(user).filter(pk__in=followed)
    context = {
        **_portfolio_page(request, files, agent_ids),
        "referents": referents,
        "team_total": sum(r.followed_count for r in referents),
        "chosen": chosen,
        "nav_active": "team_portfolio",
    }
    return render(request, "accompaniment/referent_team_portfolio.html", context)


sections.register(file_referent_context, side=["accompaniment/_file_referent.html"], order=20)
timeline.register(referent_events)
