"""The insertion offer: the catalogue of actions with places left, prescription from the file, and the
operators' list of the persons prescribed to their actions (SPEC §4).

Files come from `Beneficiary.objects.for_user(user)` (404 out of reach) and prescriptions from
`Prescription.objects.for_user(user)`: the files' own, plus, for an operator's staff, those made to their
organisation's actions. An operator sees of a person only what is needed to receive them (name, birth
date, contact, referent), never the file page. Referents, orientation officers and managers who see the
file prescribe; the operator's staff answer, record attendance and the outcome.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accompaniment.models import Beneficiary
from accompaniment.views import file_url, may_write_files, visible_file
from audit.services import log_list, log_read
from partners.enums import Role
from partners.http import add_service_errors, require

from . import services_offer
from .enums import BARRIER_LEVEL_RANK, PROPOSED_LEVELS, PrescriptionStatus
from .forms_offer import ActionFilterForm, ActionForm, FollowUpForm, PrescribeForm, RefuseForm
from .models import Diagnostic, DiagnosticBarrier
from .models_offer import InsertionAction, Prescription, Service
from .views import CATEGORY_ORDER, LEVEL_BADGES
from .views_directory import may_read_directory


def may_prescribe(user):
    """Referents, orientation officers and managers, on the files they see (they keep the action plan)."""
    return may_write_files(user)


def may_add_actions(user):
    return user.has_role(Role.ADMIN) or bool(user.has_role(Role.OPERATOR) and user.organisation_id)


def answers_for(user, prescription):
    """The operator's staff answer the prescriptions made to their organisation's actions."""
    return bool(
        user.has_role(Role.OPERATOR)
        and user.organisation_id
        and user.organisation_id == prescription.action.operator_id
    )


def _actions():
    return (
        InsertionAction.objects.with_places_left()
        .select_related("operator")
        .prefetch_related("pathways", "sectors")
        .order_by("starts_on", "title", "id")
    )


def _page(request, queryset):
    return Paginator(queryset, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))


# Catalogue ---------------------------------------------------------------------------------------------
@login_required
def action_list(request):
    user = request.user
    require(may_read_directory(user), "L'offre d'insertion est réservée aux professionnels du dispositif.")
    filter_form = ActionFilterForm(request.GET or None)
    actions = filter_form.filter(_actions().published().filter(ends_on__gte=timezone.localdate()))
    page = _page(request, actions)
    context = {
        "page_obj": page,
        "filter_form": filter_form,
        "filtered": filter_form.is_bound,
        "may_add": may_add_actions(user),
        "kept": set(InsertionAction.objects.kept_by(user).values_list("pk", flat=True))
        if may_add_actions(user)
        else (),
        "nav_active": "directory",
    }
    return render(request, "orientation/action_list.html", context)


@login_required
def action_detail(request, action_pk):
    user = request.user
    require(may_read_directory(user))
    action = get_object_or_404(_actions(), pk=action_pk)
    kept = InsertionAction.objects.kept_by(user).filter(pk=action.pk).exists()
    context = {"action": action, "may_edit": kept, "nav_active": "directory"}
    return render(request, "orientation/action_detail.html", context)


def _action_form(request, action):
    user = request.user
    own = None if user.has_role(Role.ADMIN) else user.organisation
    form = ActionForm(request.POST or None, instance=action, operator=own)
    if request.method == "POST" and form.is_valid():
        saved = services_offer.action_save(
            action=form.save(commit=False), pathways=form.cleaned_data["pathways"], sectors=form.cleaned_data["sectors"]
        )
        messages.success(request, f"L'action « {saved.title} » est enregistrée.")
        return redirect(reverse("orientation:action_detail", kwargs={"action_pk": saved.pk}))
    context = {"form": form, "action": action if action.pk else None, "nav_active": "directory"}
    return render(request, "orientation/action_form.html", context)


@login_required
def action_create(request):
    require(may_add_actions(request.user), "Seuls les administrateurs et les opérateurs ajoutent des actions.")
    return _action_form(request, InsertionAction())


@login_required
def action_edit(request, action_pk):
    require(may_read_directory(request.user))
    action = get_object_or_404(InsertionAction.objects.kept_by(request.user), pk=action_pk)
    return _action_form(request, action)


# From the file: the actions a person may be prescribed to, and the prescription ------------------------
@login_required
def file_actions(request, pk):
    """The actions open to the file's pathway and sector, with places left."""
    file = visible_file(request.user, pk)
    require(may_prescribe(request.user), "Seuls les référents, chargés d'orientation et responsables prescrivent.")
    orientation = file.current_orientation
    filter_form = ActionFilterForm(request.GET or None)
    filter_form.fields.pop("pathway")
    filter_form.fields.pop("sector")
    actions = _actions().published().filter(ends_on__gte=timezone.localdate())
    actions = actions.eligible_for(pathway=orientation.pathway if orientation else None, sector=file.sector)
    page = _page(request, filter_form.filter(actions))
    log_read(file)
    context = {
        "file": file,
        "orientation": orientation,
        "contract": services_offer.plan_contract(file),
        "page_obj": page,
        "filter_form": filter_form,
        "filtered": filter_form.is_bound,
        "nav_active": "files",
    }
    return render(request, "orientation/file_actions.html", context)


@login_required
def prescribe(request, pk, action_pk):
    file = visible_file(request.user, pk)
    require(may_prescribe(request.user), "Seuls les référents, chargés d'orientation et responsables prescrivent.")
    action = get_object_or_404(_actions(), pk=action_pk)
    form = PrescribeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            prescription = services_offer.prescription_prescribe(
                beneficiary=file, action=action, by=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"{file.full_name} est prescrite sur « {action.title} » : l'activité est ajoutée au plan d'action. "
                f"L'opérateur a jusqu'au {timezone.localtime(prescription.expires_at):%d/%m/%Y} pour répondre.",
            )
            return redirect(file_url(file, "#offre"))
    log_read(file)
    context = {"file": file, "action": action, "form": form, "nav_active": "files"}
    return render(request, "orientation/prescribe_form.html", context)


# Prescriptions: the operators' list and a prescription's page ------------------------------------------------
def _prescriptions():
    return Prescription.objects.select_related(
        "action__operator", "beneficiary", "activity__contract", "prescribed_by__organisation", "answered_by"
    )


PRESCRIPTION_FILTERS = {
    "a-traiter": ("À traiter", lambda qs, now: qs.filter(status=PrescriptionStatus.PENDING, expires_at__gt=now)),
    "acceptees": ("Acceptées", lambda qs, now: qs.filter(status=PrescriptionStatus.ACCEPTED)),
    "toutes": ("Toutes", lambda qs, now: qs),
}


@login_required
def prescription_list(request):
    user = request.user
    require(user.has_role(Role.OPERATOR), "La liste des prescriptions est celle des opérateurs.")
    now = timezone.now()
    shown = request.GET.get("statut") if request.GET.get("statut") in PRESCRIPTION_FILTERS else "a-traiter"
    prescriptions = PRESCRIPTION_FILTERS[shown][1](_prescriptions().for_operator(user), now)
    page = _page(request, prescriptions.order_by("expires_at" if shown == "a-traiter" else "-prescribed_at", "id"))
    log_list(Prescription, page.object_list)
    context = {
        "page_obj": page,
        "shown": shown,
        "filters": [(key, label) for key, (label, _) in PRESCRIPTION_FILTERS.items()],
        "nav_active": "prescriptions",
    }
    return render(request, "orientation/prescription_list.html", context)


def _visible_prescription(user, pk):
    return get_object_or_404(_prescriptions().for_user(user), pk=pk)


def _referent_of(file):
    assignment = file.current_referent_assignment
    return assignment.agent if assignment else None


@login_required
def prescription_detail(request, prescription_pk, *, refuse_form=None, follow_up_form=None):
    user = request.user
    prescription = _visible_prescription(user, prescription_pk)
    answering = answers_for(user, prescription)
    log_read(prescription)
    context = {
        "prescription": prescription,
        "file": prescription.beneficiary,
        "referent": _referent_of(prescription.beneficiary),
        "answering": answering,
        "sees_file": Beneficiary.objects.for_user(user).filter(pk=prescription.beneficiary_id).exists(),
        "refuse_form": refuse_form or RefuseForm(),
        "follow_up_form": follow_up_form
        or FollowUpForm(
            initial={
                "attendance": prescription.attendance,
                "outcome": prescription.outcome,
                "outcome_comment": prescription.outcome_comment,
            }
        ),
        "nav_active": "prescriptions" if answering else "files",
    }
    return render(request, "orientation/prescription_detail.html", context)


def _answering(request, prescription_pk):
    prescription = _visible_prescription(request.user, prescription_pk)
    require(answers_for(request.user, prescription), "Seul l'opérateur de l'action répond à la prescription.")
    return prescription


def _back(prescription):
    return redirect(reverse("orientation:prescription_detail", kwargs={"prescription_pk": prescription.pk}))


@login_required
@require_POST
def prescription_accept(request, prescription_pk):
    prescription = _answering(request, prescription_pk)
    try:
        services_offer.prescription_accept(prescription=prescription, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Prescription acceptée : {prescription.beneficiary.full_name} est attendue.")
    return _back(prescription)


@login_required
@require_POST
def prescription_refuse(request, prescription_pk):
    prescription = _answering(request, prescription_pk)
    form = RefuseForm(request.POST)
    if form.is_valid():
        try:
            services_offer.prescription_refuse(
                prescription=prescription,
                by=request.user,
                reason=form.cleaned_data["refusal_reason"],
                comment=form.cleaned_data["refusal_comment"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Prescription refusée : la place est libérée et le référent le voit au dossier.")
            return _back(prescription)
    return prescription_detail(request, prescription_pk, refuse_form=form)


@login_required
@require_POST
def prescription_follow_up(request, prescription_pk):
    prescription = _answering(request, prescription_pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services_offer.prescription_follow_up(
                prescription=prescription,
                by=request.user,
                attendance=data["attendance"],
                outcome=data["outcome"],
                comment=data["outcome_comment"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Assiduité et issue enregistrées.")
            return _back(prescription)
    return prescription_detail(request, prescription_pk, follow_up_form=form)


# The file page's section ----------------------------------------------------------------------------------
@dataclass
class Proposal:
    """A strong or medium barrier of the latest diagnostic and the services of the file's sector for it."""

    category: str
    label: str
    level: str
    level_label: str
    services: list = field(default_factory=list)

    @property
    def badge_class(self):
        return LEVEL_BADGES[self.level]


@dataclass
class OfferSection:
    file: Beneficiary
    proposals: list
    prescriptions: list
    may_prescribe: bool
    unassigned: bool
    has_open_barriers: bool


def proposals_for(beneficiary):
    """The services of the person's sector that address the open strong and medium barriers of their latest
    diagnostic, strongest barrier first. Two or three queries, whatever the data."""
    latest = Diagnostic.objects.filter(beneficiary=beneficiary).order_by("-held_on", "-id").values("pk")[:1]
    barriers = DiagnosticBarrier.objects.filter(
        diagnostic=Subquery(latest), level__in=PROPOSED_LEVELS, lifted_on__isnull=True
    )
    barriers = sorted(barriers, key=lambda b: (BARRIER_LEVEL_RANK[b.level], CATEGORY_ORDER[b.category]))
    if not barriers or beneficiary.sector_id is None:
        return [], bool(barriers)
    services = list(
        Service.objects.active()
        .serving(beneficiary.sector_id)
        .addressing(*[b.category for b in barriers])
        .select_related("provider")
        .prefetch_related("categories")
        .order_by("name", "id")
    )
    proposals = []
    for barrier in barriers:
        proposals.append(
            Proposal(
                category=barrier.category,
                label=barrier.get_category_display(),
                level=barrier.level,
                level_label=barrier.get_level_display(),
                services=[s for s in services if barrier.category in s.category_codes],
            )
        )
    return proposals, True


def file_offer_context(request, beneficiary):
    """The context of templates/orientation/_file_offer.html, under `offer_section`: at most four queries."""
    proposals, has_barriers = proposals_for(beneficiary)
    prescriptions = list(beneficiary.prescriptions.select_related("action__operator", "activity__contract"))
    section = OfferSection(
        file=beneficiary,
        proposals=proposals,
        prescriptions=prescriptions,
        may_prescribe=may_prescribe(request.user),
        unassigned=beneficiary.sector_id is None,
        has_open_barriers=has_barriers,
    )
    return {"offer_section": section}
