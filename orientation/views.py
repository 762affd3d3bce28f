"""Diagnostics, orientation decisions, notification letters and the orientation officers' worklist.

Every file comes from `Beneficiary.objects.for_user(user)` (404 out of reach); the role is checked after
(403). Sensitive diagnostic comments (health, family) leave this module only for social workers: views and
`file_sections_context` hand templates `BarrierRow`s whose comment is already masked, never the barrier.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from accompaniment.enums import Status
from accompaniment.models import Beneficiary
from accompaniment.views import file_url, files_page, visible_file
from audit.models import Action
from audit.services import log_list, log_read, record
from partners.enums import Role
from partners.http import add_service_errors, is_partial, require

from . import services
from .enums import BARRIER_LEVEL_RANK, BarrierCategoryCode, BarrierLevel, Pathway
from .forms import (
    DiagnosticForm,
    NotifyForm,
    OrientationForm,
    QuickDecisionForm,
    WorklistFilterForm,
    grouped_organisation_choices,
    lead_organisations,
)
from .letters import orientation_letter_pdf
from .models import Diagnostic, Orientation

# Who records diagnostics and downloads letters (among the users who may see the file).
CASEWORKER_ROLES = (Role.REFERENT, Role.ORIENTATION_OFFICER, Role.MANAGER)

MASKED_DETAILS = "Situations et commentaire confidentiels (réservés aux travailleurs sociaux)"
NOTIFY_PREFIX = "notification"
LEVEL_BADGES = {
    BarrierLevel.STRONG: "text-bg-danger",
    BarrierLevel.MEDIUM: "text-bg-warning",
    BarrierLevel.NONE: "text-bg-success",
    BarrierLevel.NOT_ADDRESSED: "text-bg-light border",
}
CATEGORY_ORDER = {code: index for index, code in enumerate(BarrierCategoryCode.values)}


def may_decide(user):
    return user.has_role(Role.ORIENTATION_OFFICER)


def may_record_diagnostic(user):
    return user.has_role(*CASEWORKER_ROLES)


def _visible_orientation(user, pk):
    visible = Beneficiary.objects.for_user(user).values("id")
    orientations = Orientation.objects.filter(beneficiary__in=visible).select_related(
        "beneficiary", "organisation", "decided_by", "notified_by"
    )
    return get_object_or_404(orientations, pk=pk)


# Barriers, masked for whoever is not a social worker ---------------------------------------------------------
@dataclass(frozen=True)
class BarrierRow:
    """What a template may show of a barrier: the situations and the comment of a sensitive category (health,
    family) are left out unless the user may read them; `details_masked` says that some exist."""

    category: str
    label: str
    level: str
    level_label: str
    sensitive: bool
    situations: tuple[str, ...]
    comment: str
    details_masked: bool
    is_open: bool
    lifted_on: object = None

    @property
    def addressed(self):
        return self.level != BarrierLevel.NOT_ADDRESSED

    @property
    def badge_class(self):
        return LEVEL_BADGES[self.level]


def barrier_rows(barriers, user):
    """Rows strongest first, then in the categories' order. `barriers` should prefetch `situations`."""
    rows = []
    for barrier in sorted(barriers, key=lambda b: (BARRIER_LEVEL_RANK[b.level], CATEGORY_ORDER[b.category])):
        visible = services.details_visible(barrier, user)
        situations = tuple(s.label for s in barrier.situations.all())
        rows.append(
            BarrierRow(
                category=barrier.category,
                label=barrier.get_category_display(),
                level=barrier.level,
                level_label=barrier.get_level_display(),
                sensitive=barrier.is_sensitive,
                situations=situations if visible else (),
                comment=barrier.comment if visible else "",
                details_masked=bool(barrier.comment or situations) and not visible,
                is_open=barrier.is_open,
                lifted_on=barrier.lifted_on,
            )
        )
    return rows


@dataclass
class DiagnosticView:
    diagnostic: Diagnostic
    barriers: list = field(default_factory=list)
    participants: list = field(default_factory=list)


def _diagnostic_view(diagnostic, user):
    """Three queries: the barriers, their situations, the participants with their organisations."""
    return DiagnosticView(
        diagnostic=diagnostic,
        barriers=barrier_rows(diagnostic.barriers.prefetch_related("situations"), user),
        participants=list(diagnostic.participants.select_related("organisation")),
    )


# The file page's sections (included by the accompaniment file page) -----------------------------------------
@dataclass
class FileSections:
    file: Beneficiary
    current: Orientation | None
    history: list
    diagnostics: list
    latest: DiagnosticView | None
    may_decide: bool
    may_record_diagnostic: bool
    may_download_letter: bool
    notify_form: NotifyForm | None


def file_sections_context(request, beneficiary):
    """The context of templates/orientation/_file_orientation.html and _file_diagnostics.html, under one
    key, `orientation_sections`. A constant number of queries (five) whatever the history's length."""
    user = request.user
    orientations = list(
        beneficiary.orientations.select_related("organisation", "decided_by", "notified_by", "diagnostic")
    )
    current = next((o for o in orientations if o.ended_on is None), None)
    diagnostics = list(beneficiary.diagnostics.select_related("created_by__organisation"))
    deciding = may_decide(user)
    sections = FileSections(
        file=beneficiary,
        current=current,
        history=[o for o in orientations if o.ended_on is not None],
        diagnostics=diagnostics,
        latest=_diagnostic_view(diagnostics[0], user) if diagnostics else None,
        may_decide=deciding,
        may_record_diagnostic=may_record_diagnostic(user),
        may_download_letter=user.has_role(*CASEWORKER_ROLES),
        notify_form=NotifyForm(prefix=NOTIFY_PREFIX) if deciding and current and not current.notified_on else None,
    )
    return {"orientation_sections": sections}


# Diagnostic ---------------------------------------------------------------------------------------------
@login_required
def diagnostic_create(request, pk):
    file = visible_file(request.user, pk)
    require(may_record_diagnostic(request.user), "Seuls les référents, chargés d'orientation et responsables.")
    form = DiagnosticForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            diagnostic = services.diagnostic_record(beneficiary=file, by=request.user, **form.diagnostic_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Le diagnostic du {diagnostic.held_on:%d/%m/%Y} est enregistré.")
            return redirect(file_url(file, "#diagnostics"))
    log_read(file)
    return render(
        request,
        "orientation/diagnostic_form.html",
        {"file": file, "form": form, "nav_active": "files"},
    )


@login_required
def diagnostic_detail(request, diagnostic_pk):
    visible = Beneficiary.objects.for_user(request.user).values("id")
    diagnostics = Diagnostic.objects.filter(beneficiary__in=visible).select_related(
        "beneficiary", "created_by__organisation"
    )
    diagnostic = get_object_or_404(diagnostics, pk=diagnostic_pk)
    view = _diagnostic_view(diagnostic, request.user)
    log_read(diagnostic)
    partial = is_partial(request)
    template = "orientation/_diagnostic_body.html" if partial else "orientation/diagnostic_detail.html"
    response = render(request, template, {"view": view, "file": diagnostic.beneficiary, "nav_active": "files"})
    patch_vary_headers(response, ["HX-Request"])
    return response


# Orientation decision and reorientation ---------------------------------------------------------------------
@login_required
def decide(request, pk):
    return _decision(request, pk, reorientation=False)


@login_required
def reorient(request, pk):
    return _decision(request, pk, reorientation=True)


def _decision(request, pk, *, reorientation):
    file = visible_file(request.user, pk)
    require(may_decide(request.user), "Seuls les chargés d'orientation décident des orientations.")
    current = file.current_orientation
    # `decide` on an oriented file, or `reorient` on a file without a current orientation: say where to go.
    misdirected = (current is None) == reorientation
    form = None
    if not misdirected:
        diagnostics = list(file.diagnostics.all()[:20])
        form = OrientationForm(request.POST or None, diagnostics=diagnostics, reorientation=reorientation)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            fields = {
                "beneficiary": file,
                "pathway": data["pathway"],
                "organisation": data["organisation"],
                "decided_on": data["decided_on"],
                "reasoning": data["reasoning"],
                "diagnostic": data["diagnostic"],
                "by": request.user,
            }
            try:
                if reorientation:
                    orientation = services.orientation_reorient(**fields, reason=data["reason"])
                else:
                    orientation = services.orientation_decide(**fields)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Orientation enregistrée : {orientation.get_pathway_display()}, {orientation.organisation}. "
                    "Téléchargez le courrier de notification puis enregistrez son envoi.",
                )
                return redirect(file_url(file, "#orientation"))
    log_read(file)
    context = {
        "file": file,
        "current": current,
        "form": form,
        "reorientation": reorientation,
        "misdirected": misdirected,
        "nav_active": "files",
    }
    return render(request, "orientation/orientation_form.html", context)


# Notification ---------------------------------------------------------------------------------------------
@login_required
def notify(request, orientation_pk):
    orientation = _visible_orientation(request.user, orientation_pk)
    require(may_decide(request.user), "Seuls les chargés d'orientation enregistrent la notification.")
    form = NotifyForm(request.POST or None, prefix=NOTIFY_PREFIX)
    if request.method == "POST" and form.is_valid():
        try:
            services.orientation_notify(
                orientation=orientation, notified_on=form.cleaned_data["notified_on"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Date de notification enregistrée.")
            return redirect(file_url(orientation.beneficiary_id, "#orientation"))
    log_read(orientation)
    context = {"orientation": orientation, "file": orientation.beneficiary, "form": form, "nav_active": "files"}
    return render(request, "orientation/notify_form.html", context)


@login_required
def letter(request, orientation_pk):
    orientation = _visible_orientation(request.user, orientation_pk)
    require(request.user.has_role(*CASEWORKER_ROLES))
    pdf = orientation_letter_pdf(orientation)
    record(Action.DOWNLOAD, obj=orientation)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="orientation-{orientation.pk}.pdf"'
    return response


# Worklist -------------------------------------------------------------------------------------------------
@dataclass
class WorklistRow:
    file: Beneficiary
    days_waited: int | None
    form: QuickDecisionForm | None = None
    orientation: Orientation | None = None
    notice: str = ""

    @property
    def suggested_pathway_label(self):
        """The pathway the file's latest diagnostic suggests (annotated on the page's files), or ""."""
        code = getattr(self.file, "suggested_pathway", "")
        return Pathway(code).label if code else ""


def _awaiting(user):
    return Beneficiary.objects.for_user(user).awaiting_orientation()


def _worklist_details(files):
    """What a worklist row shows, for the page's files only."""
    latest_diagnostic = Diagnostic.objects.filter(beneficiary=OuterRef("pk")).order_by("-held_on", "-id")
    return files.select_related("commune", "sector").annotate(
        suggested_pathway=Subquery(latest_diagnostic.values("suggested_pathway")[:1])
    )


def _days_waited(file, today):
    return (today - file.flux_date).days if file.flux_date else None


@login_required
def worklist(request):
    user = request.user
    require(may_decide(user), "La liste des dossiers à orienter est réservée aux chargés d'orientation.")
    today = timezone.localdate()
    organisations = list(lead_organisations())
    choices = {
        "organisation_choices": grouped_organisation_choices(organisations),
        "organisations": {o.pk: o for o in organisations},
    }

    def quick_form(file, data=None):
        initial = {"pathway": file.suggested_pathway} if getattr(file, "suggested_pathway", "") else {}
        return QuickDecisionForm(data, prefix=f"d{file.pk}", initial=initial, **choices)

    invalid = {}
    if request.method == "POST":
        file = get_object_or_404(
            Beneficiary.objects.for_user(user).select_related("commune", "sector"),
            pk=request.POST.get("dossier") or 0,
        )
        row = WorklistRow(file=file, days_waited=_days_waited(file, today))
        if file.status != Status.TO_ORIENT:
            row.notice = f"Le dossier de {file.full_name} n'est plus à orienter ({file.status.label.lower()})."
            return _quick_answer(request, row, message_level=messages.WARNING)
        form = quick_form(file, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                row.orientation = services.orientation_decide(
                    beneficiary=file,
                    pathway=data["pathway"],
                    organisation=data["organisation"],
                    decided_on=data["decided_on"],
                    by=user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return _quick_answer(request, row)
        row.form = form
        if is_partial(request):
            return render(request, "orientation/_worklist_row.html", {"row": row, "query": request.GET.urlencode()})
        invalid[file.pk] = form
        messages.error(request, f"Le dossier de {file.full_name} n'a pas été orienté : voyez l'erreur sur sa ligne.")

    filter_form = WorklistFilterForm(request.GET or None)
    files = filter_form.filter(_awaiting(user), today)
    files = files.order_by(F("flux_date").asc(nulls_last=True), "created_at", "id")
    page = files_page(files, request.GET.get("page"), detail=_worklist_details)
    rows = [
        WorklistRow(file=file, days_waited=_days_waited(file, today), form=invalid.get(file.pk) or quick_form(file))
        for file in page.object_list
    ]
    log_list(Beneficiary, [row.file for row in rows])
    context = {
        "page_obj": page,
        "rows": rows,
        "filter_form": filter_form,
        "filtered": filter_form.is_bound,
        "query": request.GET.urlencode(),
        "today": today,
        "nav_active": "worklist",
    }
    return render(request, "orientation/worklist.html", context)


def _quick_answer(request, row, message_level=messages.SUCCESS):
    """After a quick decision: the confirmation row for htmx, else back to the worklist with a message."""
    if is_partial(request):
        return render(request, "orientation/_worklist_row_done.html", {"row": row})
    if row.orientation is not None:
        orientation = row.orientation
        text = (
            f"Le dossier de {row.file.full_name} est orienté vers {orientation.organisation} "
            f"({orientation.get_pathway_display()}) le {orientation.decided_on:%d/%m/%Y}."
        )
    else:
        text = row.notice
    messages.add_message(request, message_level, text)
    return redirect(request.get_full_path())
