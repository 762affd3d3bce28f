"""Exports of the file list: requested from the list as filtered, listed on « Mes exports », downloaded by
the user who asked for them only, until they expire."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from audit.models import Action
from audit.services import record

from . import exports
from .enums import ExportStatus
from .forms import ExportForm
from .permissions import may_read_nominative_data

RECENT_EXPORTS = 20


def _require_list_reader(user):
    if not may_read_nominative_data(user):
        raise PermissionDenied


@login_required
@require_POST
def export_create(request):
    _require_list_reader(request.user)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez le format de l'export : CSV ou Excel.")
        return redirect(reverse("accompaniment:list") + "?" + exports.query_of(request.POST.get("query", "")))
    export = exports.request(user=request.user, query=form.cleaned_data["query"], format=form.cleaned_data["format"])
    if export.status == ExportStatus.READY:
        messages.success(request, f"Votre export de {export.row_count} dossiers est prêt : téléchargez-le ci-dessous.")
    elif export.status == ExportStatus.FAILED:
        messages.error(request, export.error)
    else:
        messages.info(request, "Votre export est en préparation : il apparaîtra ci-dessous dès qu'il sera prêt.")
    return redirect("accompaniment:exports")


@login_required
def export_list(request):
    """The user's recent exports; while one is being built, htmx refreshes the table every few seconds."""
    _require_list_reader(request.user)
    exports = list(request.user.exports.all()[:RECENT_EXPORTS])
    context = {
        "exports": exports,
        "pending": any(export.status == ExportStatus.PENDING for export in exports),
        "retention_days": settings.EXPORT_RETENTION_DAYS,
        "nav_active": "files",
    }
    htmx = request.htmx
    partial = bool(htmx and not htmx.boosted and not htmx.history_restore_request)
    template = "accompaniment/_export_table.html" if partial else "accompaniment/export_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def export_download(request, export_pk):
    _require_list_reader(request.user)
    export = get_object_or_404(request.user.exports.all(), pk=export_pk)
    if not export.is_downloadable():
        messages.warning(request, "Cet export n'est pas (ou plus) disponible : demandez-en un nouveau depuis la liste.")
        return redirect("accompaniment:exports")
    record(Action.DOWNLOAD, obj=export, count=export.row_count)
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.filename)
