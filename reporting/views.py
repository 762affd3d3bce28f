"""Dashboards and COPIL reports: aggregates only (managers, COPIL members)."""

import json

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from audit.models import Action
from audit.services import record
from partners.decorators import role_required
from partners.enums import Role
from partners.models import CopilMeeting

from . import charts, pdf, presentation, report, services
from .definitions import DEFINITIONS
from .forms import DashboardFilterForm
from .models import ReportKind, StoredReport

READERS = (Role.MANAGER, Role.COPIL)


def _filters(request):
    form = DashboardFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, (form.period(), form.perimeter(), form.as_of())


def _json_attachment(data, filename):
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(*READERS)
def dashboard(request):
    form, chosen = _filters(request)
    context = {"form": form, "nav_active": "dashboard", "mask_threshold": report.threshold()}
    if chosen is not None:
        period, perimeter, as_of = chosen
        stored = services.figures(period, perimeter, as_of)
        data = stored.data
        context.update(
            data=data,
            stored=stored,
            sections=presentation.sections(data),
            sector_table=presentation.deadlines_by_sector_table(data),
            query=request.GET.urlencode(),
            definitions=DEFINITIONS,
        )
        if request.user.has_role(Role.MANAGER):
            load = services.portfolio_load(request.user, period, perimeter, as_of)
            context["portfolio"] = load
            context["portfolio_on"] = services.portfolio_day(period, as_of)
            context["portfolio_chart"] = charts.horizontal_bars(
                "chart-portfolio",
                "Accompagnements en cours par référent",
                [(name, active) for name, _f, active in load],
            )
    return render(request, "reporting/dashboard.html", context)


@role_required(*READERS)
def report_download(request):
    """The COPIL report of the dashboard's filters, as PDF (default) or JSON: the figures the dashboard shows
    (its stored snapshot while it is fresh, else computed now and stored), with the time they were computed.
    A report that must never change is frozen instead (`report_freeze`)."""
    form, chosen = _filters(request)
    if chosen is None:
        return render(request, "reporting/dashboard.html", {"form": form, "nav_active": "dashboard"}, status=400)
    period, perimeter, as_of = chosen
    data = services.figures(period, perimeter, as_of).data
    name = f"rapport-copil-{period.code or period.start.isoformat()}"
    record(Action.DOWNLOAD, model=StoredReport, count=0)
    if request.GET.get("format") == "json":
        return _json_attachment(data, f"{name}.json")
    response = HttpResponse(pdf.report_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@role_required(*READERS)
@require_POST
def report_freeze(request):
    """Stores the report of the filters with its PDF: it will never be recomputed."""
    form = DashboardFilterForm(request.POST)
    if not form.is_valid():
        return render(request, "reporting/dashboard.html", {"form": form, "nav_active": "dashboard"}, status=400)
    meeting = None
    if request.POST.get("reunion"):
        meeting = get_object_or_404(CopilMeeting.objects.for_user(request.user), pk=request.POST["reunion"])
    stored = services.freeze(form.period(), form.perimeter(), form.as_of(), user=request.user, meeting=meeting)
    label = f"{stored.data['period']['label']}, {stored.data['perimeter']['label']}"
    if meeting is not None:
        messages.success(request, f"Rapport COPIL joint à la réunion et figé : {label}.")
        return redirect("partners:copil_detail", meeting_pk=meeting.pk)
    messages.success(request, f"Rapport figé : {label}.")
    return redirect("reporting:report_list")


@role_required(*READERS)
def report_list(request):
    reports = StoredReport.objects.filter(kind=ReportKind.FROZEN).select_related("generated_by")[:100]
    return render(request, "reporting/report_list.html", {"reports": reports, "nav_active": "reports"})


@role_required(*READERS)
def frozen_download(request, report_pk):
    stored = get_object_or_404(StoredReport, pk=report_pk, kind=ReportKind.FROZEN)
    if stored.meeting_id and not CopilMeeting.objects.for_user(request.user).filter(pk=stored.meeting_id).exists():
        raise Http404("Rapport introuvable.")
    if request.GET.get("format") == "json":
        return _json_attachment(stored.data, f"rapport-copil-{stored.pk}.json")
    if not stored.pdf:
        raise Http404("Ce rapport n'a pas de PDF.")
    return FileResponse(stored.pdf.open("rb"), as_attachment=True, filename=stored.pdf.name.rsplit("/", 1)[-1])
