"""Childcare pages: a request from the file, the CAF's eligibility decision, the coordinator's worklist,
proposals and placement, the review at 6 months, the providers' screen, and the file page's section.

Requests come from `ChildcareRequest.objects.for_user(user)` (404 out of reach); the role is checked after
(403). A request is filed from a file reached through `Beneficiary.objects.for_user(user)`. CAF agents and
coordinators reach requests, never files: their pages show only what is needed to check and to place.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accompaniment.enums import MemberRole
from accompaniment.models import Beneficiary, Deadline, Notification
from accompaniment.views import file_url, visible_file
from audit.services import log_list, log_read
from partners.http import add_service_errors, require

from . import permissions, services
from .enums import RequestStatus, ReviewDecision
from .forms import DeclineForm, EligibilityForm, PlacementForm, ProviderForm, RequestForm, ReviewForm
from .models import ChildcareRequest, Placement, Provider, age_in_months

WORKLIST_LIMIT = 200
EMERGENCY_RULE = "childcare_24h"


def request_url(request_obj, anchor=""):
    return reverse("childcare:request_detail", kwargs={"request_pk": request_obj.pk}) + anchor


def _visible_request(user, pk):
    requests = ChildcareRequest.objects.for_user(user).select_related(
        "beneficiary__commune",
        "requested_by__organisation",
        "eligibility_checked_by__organisation",
        "answered_by__organisation",
        "sector",
        "commune",
    )
    return get_object_or_404(requests, pk=pk)


def _visible_placement(user, pk):
    placements = permissions.visible_placements(Placement.objects.all(), user)
    return get_object_or_404(placements.select_related("request", "provider"), pk=pk)


def with_emergency_due(requests):
    """Annotates `due_at`: the running `childcare_24h` deadline of each request (none for other kinds)."""
    deadlines = Deadline.objects.filter(
        rule_code=EMERGENCY_RULE, subject_type="childcare.childcarerequest", subject_id=OuterRef("pk")
    ).order_by("-starts_at")
    return requests.annotate(due_at=Subquery(deadlines.values("due_at")[:1]))


def time_left(due_at, now=None):
    """« 5 h 12 min » left, or « en retard de 2 h 03 min »; None without a deadline."""
    if due_at is None:
        return None
    now = now or timezone.now()
    seconds = int((due_at - now).total_seconds())
    late = seconds < 0
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    text = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return {"late": late, "text": f"en retard de {text}" if late else f"reste {text}"}


# Request from the file ------------------------------------------------------------------------------------
@login_required
def request_create(request, pk):
    file = visible_file(request.user, pk)
    require(permissions.may_request(request.user), "Seuls les référents de parcours demandent une garde.")
    children = (
        list(file.household.members.filter(role=MemberRole.CHILD).order_by("birth_date")) if file.household_id else []
    )
    form = RequestForm(request.POST or None, children=children)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_file(beneficiary=file, by=request.user, **form.request_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Demande de garde enregistrée pour {created.child_first_name} : la CAF vérifie son éligibilité"
                + (", réponse attendue sous 24 heures." if created.is_emergency else "."),
            )
            return redirect(file_url(file, "#garde"))
    log_read(file)
    return render(request, "childcare/request_form.html", {"file": file, "form": form, "nav_active": "files"})


# Request page ---------------------------------------------------------------------------------------------
@dataclass
class Proposal:
    provider: Provider
    free: int


def proposals_for(request_obj, user):
    """The providers serving the request's sector that fit its kind and the child's age, with a valid label on
    the first day, and the free AVIP places on the dates (AVIP places minus running placements)."""
    months = age_in_months(request_obj.child_birth_date, request_obj.starts_on)
    providers = (
        permissions.editable_providers(Provider.objects.all(), user)
        .serving(sector_id=request_obj.sector_id, commune_id=request_obj.commune_id)
        .labelled_on(request_obj.starts_on)
        .filter(kind=request_obj.provider_kind, min_age_months__lte=months, max_age_months__gte=months)
        .with_free_places(request_obj.starts_on, request_obj.ends_on)
        .order_by("-free", "name")
    )
    return [Proposal(provider=provider, free=max(provider.free, 0)) for provider in providers]


def waiting_list_position(request_obj):
    """The request's rank among the open, eligible requests of its sector (or commune) for the same mode of
    care, the oldest first."""
    queue = ChildcareRequest.objects.filter(status=RequestStatus.ELIGIBLE, provider_kind=request_obj.provider_kind)
    if request_obj.sector_id is not None:
        queue = queue.filter(sector_id=request_obj.sector_id)
    else:
        queue = queue.filter(sector__isnull=True, commune_id=request_obj.commune_id)
    earlier = Q(created_at__lt=request_obj.created_at) | Q(created_at=request_obj.created_at, pk__lt=request_obj.pk)
    return queue.filter(earlier).count() + 1


def _request_page(request, request_obj, *, eligibility_form=None, placement_form=None, decline_form=None):
    user = request.user
    placements = list(request_obj.placements.select_related("provider", "created_by").order_by("starts_on", "id"))
    context = {
        "req": request_obj,
        "placements": placements,
        "file_visible": Beneficiary.objects.for_user(user).filter(pk=request_obj.beneficiary_id).exists(),
        "nav_active": "childcare",
        "time_left": None,
    }
    if request_obj.is_emergency and request_obj.is_open:
        due = with_emergency_due(ChildcareRequest.objects.filter(pk=request_obj.pk)).values_list("due_at", flat=True)
        context["time_left"] = time_left(due.first())
    if permissions.checks_eligibility(user) and request_obj.status == RequestStatus.SUBMITTED:
        context["eligibility_form"] = eligibility_form or EligibilityForm()
    if permissions.coordinates(user) and request_obj.status == RequestStatus.ELIGIBLE:
        proposals = proposals_for(request_obj, user)
        free = [proposal for proposal in proposals if proposal.free > 0]
        providers = Provider.objects.filter(pk__in=[proposal.provider.pk for proposal in proposals])
        initial = {"starts_on": request_obj.starts_on, "provider": free[0].provider.pk if free else None}
        form = placement_form or PlacementForm(initial=initial, providers=providers)
        form.fields["provider"].queryset = providers.filter(pk__in=[p.provider.pk for p in free])
        context.update(
            proposals=proposals,
            free_proposals=free,
            placement_form=form,
            decline_form=decline_form or DeclineForm(),
            waiting_position=None if free else waiting_list_position(request_obj),
        )
    if permissions.coordinates(user):
        context["review_forms"] = {
            placement.pk: ReviewForm(prefix=f"bilan{placement.pk}", initial={"reviewed_on": timezone.localdate()})
            for placement in placements
            if placement.awaits_review
        }
    log_read(request_obj)
    return render(request, "childcare/request_detail.html", context)


@login_required
def request_detail(request, request_pk):
    return _request_page(request, _visible_request(request.user, request_pk))


@login_required
@require_POST
def eligibility_decide(request, request_pk):
    request_obj = _visible_request(request.user, request_pk)
    require(permissions.checks_eligibility(request.user), "Seule la CAF confirme l'éligibilité.")
    form = EligibilityForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == EligibilityForm.CONFIRM:
                services.eligibility_confirm(request=request_obj, by=request.user)
                messages.success(request, "Éligibilité confirmée : la demande attend une place de la coordination.")
            else:
                services.eligibility_refuse(request=request_obj, by=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, "Non-éligibilité enregistrée avec son motif : le référent en est informé.")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("childcare:worklist")
    return _request_page(request, request_obj, eligibility_form=form)


@login_required
@require_POST
def place(request, request_pk):
    request_obj = _visible_request(request.user, request_pk)
    require(permissions.coordinates(request.user), "Seule la coordination garde d'enfants place un enfant.")
    providers = permissions.editable_providers(Provider.objects.all(), request.user)
    form = PlacementForm(request.POST, providers=providers)
    if form.is_valid():
        try:
            placement = services.placement_create(
                request=request_obj,
                provider=form.cleaned_data["provider"],
                by=request.user,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Accueil enregistré chez {placement.provider} du {placement.starts_on:%d/%m/%Y} "
                f"au {placement.ends_on:%d/%m/%Y}.",
            )
            return redirect("childcare:worklist")
    messages.error(request, "L'accueil n'a pas été enregistré : voyez le message sous le formulaire.")
    return _request_page(request, _visible_request(request.user, request_pk), placement_form=form)


@login_required
@require_POST
def decline(request, request_pk):
    request_obj = _visible_request(request.user, request_pk)
    require(permissions.coordinates(request.user), "Seule la coordination garde d'enfants refuse une demande.")
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.request_decline(request=request_obj, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Refus enregistré avec son motif : le référent en est informé.")
            return redirect("childcare:worklist")
    return _request_page(request, request_obj, decline_form=form)


@login_required
@require_POST
def review(request, placement_pk):
    placement = _visible_placement(request.user, placement_pk)
    require(permissions.coordinates(request.user), "Seule la coordination garde d'enfants fait le bilan.")
    form = ReviewForm(request.POST, prefix=f"bilan{placement.pk}")
    if form.is_valid():
        try:
            reviewed, renewal = services.placement_review(
                placement=placement,
                by=request.user,
                decision=form.cleaned_data["decision"],
                reviewed_on=form.cleaned_data["reviewed_on"],
                outcome=form.cleaned_data["outcome"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if form.cleaned_data["decision"] == ReviewDecision.RENEW:
                messages.success(request, f"Accueil renouvelé jusqu'au {renewal.ends_on:%d/%m/%Y}.")
            else:
                messages.success(request, f"Accueil terminé le {reviewed.ended_on:%d/%m/%Y}, situation enregistrée.")
            return redirect(request_url(placement.request))
    for error in form.errors.values():
        messages.error(request, f"Le bilan n'est pas enregistré : {' '.join(error)}")
    return redirect(request_url(placement.request, "#accueils"))


# Worklist -------------------------------------------------------------------------------------------------
REQUEST_SUBJECT, PLACEMENT_SUBJECT = "childcare.childcarerequest", "childcare.placement"


@dataclass
class AlertRow:
    notification: Notification
    request_id: int


def worklist_alerts(user):
    """The user's unread alerts about what they can act on, while the deadline still runs (the alerts page lists
    alerts of files, which coordinators and CAF agents never see): for a coordinator, the requests and placements
    they see; for a CAF agent, the requests still waiting for their eligibility check. Two queries."""
    requests = ChildcareRequest.objects.for_user(user)
    subjects = Q(pk__in=[])
    if permissions.coordinates(user):
        placements = permissions.visible_placements(Placement.objects.all(), user).values("pk")
        subjects |= Q(
            alert__deadline__subject_type=REQUEST_SUBJECT, alert__deadline__subject_id__in=requests.values("pk")
        )
        subjects |= Q(alert__deadline__subject_type=PLACEMENT_SUBJECT, alert__deadline__subject_id__in=placements)
    if permissions.checks_eligibility(user):
        to_check = requests.filter(status=RequestStatus.SUBMITTED).values("pk")
        subjects |= Q(alert__deadline__subject_type=REQUEST_SUBJECT, alert__deadline__subject_id__in=to_check)
    notifications = list(
        Notification.objects.unread()
        .filter(recipient=user, alert__deadline__met_at__isnull=True, alert__deadline__cancelled_at__isnull=True)
        .filter(subjects)
        .select_related("alert__deadline__rule")
        .order_by("alert__deadline__due_at", "id")[:WORKLIST_LIMIT]
    )
    placement_ids = [
        n.alert.deadline.subject_id for n in notifications if n.alert.deadline.subject_type == PLACEMENT_SUBJECT
    ]
    request_of = (
        dict(Placement.objects.filter(pk__in=placement_ids).values_list("pk", "request_id")) if placement_ids else {}
    )
    return [
        AlertRow(
            notification=n,
            request_id=request_of.get(n.alert.deadline.subject_id)
            if n.alert.deadline.subject_type == PLACEMENT_SUBJECT
            else n.alert.deadline.subject_id,
        )
        for n in notifications
    ]


@dataclass
class WorkRow:
    req: ChildcareRequest
    time_left: dict | None


@login_required
def worklist(request):
    """The coordinator's home: emergencies first with the time left, then the oldest; placements to review.
    CAF agents: the requests waiting for their eligibility decision. Both: their deadline alerts on top.
    Referents: the requests they made."""
    user = request.user
    require(
        permissions.coordinates(user) or permissions.checks_eligibility(user) or permissions.may_request(user),
        "Votre rôle ne donne pas accès à la garde d'enfants.",
    )
    visible = ChildcareRequest.objects.for_user(user).select_related("beneficiary", "commune", "requested_by")
    now = timezone.now()
    context = {"nav_active": "childcare"}
    shown = []
    if permissions.coordinates(user):
        to_place = list(
            with_emergency_due(visible.filter(status=RequestStatus.ELIGIBLE)).emergencies_first()[:WORKLIST_LIMIT]
        )
        context["to_place"] = [WorkRow(req=r, time_left=time_left(r.due_at, now)) for r in to_place]
        placements = permissions.visible_placements(Placement.objects.to_review(), user).filter(
            provider__in=permissions.editable_providers(Provider.objects.all(), user).values("pk")
        )
        context["to_review"] = list(
            placements.select_related("request__beneficiary", "provider").order_by("starts_on", "id")[:WORKLIST_LIMIT]
        )
        shown += to_place + [placement.request for placement in context["to_review"]]
    if permissions.checks_eligibility(user):
        to_check = list(
            with_emergency_due(visible.filter(status=RequestStatus.SUBMITTED)).emergencies_first()[:WORKLIST_LIMIT]
        )
        context["to_check"] = [WorkRow(req=r, time_left=time_left(r.due_at, now)) for r in to_check]
        shown += to_check
    if permissions.coordinates(user) or permissions.checks_eligibility(user):
        context["alerts"] = worklist_alerts(user)
    if permissions.may_request(user):
        mine = list(visible.filter(requested_by=user).order_by("-created_at", "-id")[:WORKLIST_LIMIT])
        context["mine"] = mine
        shown += mine
    log_list(ChildcareRequest, {r.pk: r for r in shown}.values())
    return render(request, "childcare/worklist.html", context)


# Providers ------------------------------------------------------------------------------------------------
@login_required
def provider_list(request):
    require(permissions.coordinates(request.user), "Seule la coordination garde d'enfants tient les structures.")
    today = timezone.localdate()
    providers = (
        permissions.editable_providers(Provider.objects.all(), request.user)
        .select_related("organisation")
        .with_free_places(today, today)
        .order_by("kind", "name")
    )
    context = {"providers": list(providers), "today": today, "nav_active": "childcare_providers"}
    return render(request, "childcare/provider_list.html", context)


@login_required
def provider_edit(request, provider_pk):
    require(permissions.coordinates(request.user), "Seule la coordination garde d'enfants tient les structures.")
    provider = get_object_or_404(permissions.editable_providers(Provider.objects.all(), request.user), pk=provider_pk)
    form = ProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{provider} est à jour.")
        return redirect("childcare:providers")
    context = {"provider": provider, "form": form, "nav_active": "childcare_providers"}
    return render(request, "childcare/provider_form.html", context)


# The file page's section (included by the accompaniment file page) --------------------------------------
@dataclass
class FileRequest:
    req: ChildcareRequest
    placements: list


def file_sections_context(request, beneficiary):
    """Two queries whatever the file's history: its requests, their placements."""
    requests = list(
        ChildcareRequest.objects.filter(beneficiary=beneficiary)
        .select_related("requested_by", "eligibility_checked_by")
        .order_by("-created_at", "-id")
    )
    by_request = {req.pk: FileRequest(req=req, placements=[]) for req in requests}
    for placement in Placement.objects.filter(request__beneficiary=beneficiary).select_related("provider"):
        by_request[placement.request_id].placements.append(placement)
    for item in by_request.values():
        item.placements.sort(key=lambda placement: (placement.starts_on, placement.pk))
    return {
        "childcare_section": {
            "file": beneficiary,
            "requests": list(by_request.values()),
            "may_request": permissions.may_request(request.user),
        }
    }
