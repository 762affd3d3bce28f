"""Data exchange pages of `accompaniment`.

- « Imports » (admins and orientation officers): upload a CAF/MSA flux or a France Travail extract, follow its
  import (a Celery task) live, read its report; past imports with their counts. The rejected households or rows
  are nominative: shown and downloaded only by the orientation officers `may_read_import_rejections` names,
  audited; admins see counts. The stored file itself is never downloadable (it holds NIRs).
- The France Travail review queue (rows of an extract that matched no file for sure): orientation officers only;
  the rows are nominative (audited) and scoped to their sectors.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers

from audit.models import Action
from audit.services import log_list, record
from partners.http import add_service_errors, is_partial, require

from .enums import ImportStatus
from .exchange import france_travail, registry, reports
from .exchange.forms import ImportUploadForm, ReviewDismissForm, ReviewLinkForm
from .models import Beneficiary, DataImport, FranceTravailReviewRow, ImportRejection
from .permissions import may_read_import_rejections, may_review_france_travail_rows, may_run_imports

# The first rejected households or rows shown on an import's report; all of them are in its CSV.
REJECTIONS_SHOWN = 20


# Imports ---------------------------------------------------------------------------------------------------
def _require_import_user(user):
    require(may_run_imports(user), "Les imports sont réservés aux administrateurs et aux chargés d'orientation.")


@login_required
def import_list(request):
    """Past imports, newest first, and the upload form: a file received goes to its import's page."""
    user = request.user
    _require_import_user(user)
    form = ImportUploadForm()
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                data_import = registry.import_submit(
                    source=upload, file_name=upload.name, kind=form.cleaned_data["import_kind"], by=user
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if data_import.status == ImportStatus.DUPLICATE:
                    messages.info(request, data_import.message)
                else:
                    messages.success(
                        request,
                        f"Le fichier « {data_import.file_name} » est bien reçu : son import et son rapport s'affichent "
                        "ci-dessous.",
                    )
                return redirect("accompaniment:import_detail", import_pk=data_import.pk)
    imports = DataImport.objects.select_related("imported_by")
    page = Paginator(imports, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "retention_days": settings.IMPORT_RETENTION_DAYS,
        "nav_active": "imports",
    }
    return render(request, "accompaniment/import_list.html", context)


@login_required
def import_detail(request, import_pk):
    """While the import runs: its progress, which htmx refreshes every 2 seconds (the partial), with a
    « Rafraîchir » link without JavaScript. Once finished: the report, and for the officers who may read them the
    first rejected households or rows (audited) with the link to all of them as CSV."""
    user = request.user
    _require_import_user(user)
    data_import = get_object_or_404(DataImport.objects.select_related("imported_by", "duplicate_of"), pk=import_pk)
    may_read_rejections = may_read_import_rejections(user, data_import)
    expired = data_import.is_expired()
    rejections = []
    if data_import.is_finished and data_import.rejected and may_read_rejections and not expired:
        rejections = list(data_import.rejections.order_by("position", "id")[:REJECTIONS_SHOWN])
        if rejections:
            log_list(ImportRejection, rejections)
    partial = is_partial(request)
    context = {
        "data_import": data_import,
        "may_read_rejections": may_read_rejections,
        "expired": expired,
        "rejections": rejections,
        "announce": partial and data_import.is_finished,
        "retention_days": settings.IMPORT_RETENTION_DAYS,
        "nav_active": "imports",
    }
    template = "accompaniment/_import_state.html" if partial else "accompaniment/import_detail.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def import_rejections_csv(request, import_pk):
    """All the rejected households or rows of an import, as CSV: nominative, so audited as a download."""
    user = request.user
    _require_import_user(user)
    data_import = get_object_or_404(DataImport, pk=import_pk)
    require(
        may_read_import_rejections(user, data_import),
        "Les foyers et lignes rejetés sont nominatifs : leur liste est réservée aux chargés d'orientation.",
    )
    if data_import.is_expired():
        messages.warning(
            request,
            "Les rejets de cet import ont été supprimés au terme de leur durée de conservation ; seuls les "
            "compteurs restent.",
        )
        return redirect("accompaniment:import_detail", import_pk=data_import.pk)
    record(Action.DOWNLOAD, obj=data_import, count=data_import.rejections.count())
    response = StreamingHttpResponse(reports.rejections_csv(data_import), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{reports.rejections_filename(data_import)}"'
    return response


# France Travail review queue ---------------------------------------------------------------------------------


def _add_errors(form, error):
    """A service's ValidationError next to the field it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error("other_file" if name == "beneficiary" else (name if name in form.fields else None), errors)
    else:
        form.add_error(None, error.messages)


def _decide(request, row, files, candidates):
    """Handles the POST of one row's form; returns the bound invalid form, or None after a success."""
    action = request.POST.get("action")
    prefix = f"r{row.pk}"
    if action == "dismiss":
        form = ReviewDismissForm(request.POST, prefix=f"{prefix}-x")
        if form.is_valid():
            try:
                france_travail.review_row_dismiss(row=row, by=request.user, comment=form.cleaned_data["comment"])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"La ligne de {row.full_name} est écartée de la file.")
                return None
        return form
    form = ReviewLinkForm(request.POST, prefix=prefix, candidates=candidates)
    if form.is_valid():
        file = files.filter(pk=form.cleaned_data["file_pk"]).first()
        if file is None:
            form.add_error("other_file", "Aucun dossier de votre périmètre ne porte ce numéro.")
            return form
        try:
            france_travail.review_row_link(
                row=row, beneficiary=file, by=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request, f"La ligne France Travail de {row.full_name} est rattachée au dossier n° {file.pk}."
            )
            return None
    return form


@login_required
def ft_review(request):
    user = request.user
    if not may_review_france_travail_rows(user):
        raise PermissionDenied("La file de rapprochement France Travail est réservée aux chargés d'orientation.")
    rows = FranceTravailReviewRow.objects.for_user(user).open().select_related("data_import", "commune")
    files = Beneficiary.objects.for_user(user)

    invalid = {}
    if request.method == "POST":
        row = get_object_or_404(rows, pk=request.POST.get("ligne") or 0)
        form = _decide(request, row, files, france_travail.candidate_files([row], files)[row.pk])
        if form is None:
            return redirect(request.get_full_path())
        invalid[row.pk] = form
        messages.error(request, f"La ligne de {row.full_name} n'a pas été traitée : voyez l'erreur sous la ligne.")

    page = Paginator(rows.order_by("created_at", "id"), settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    candidates = france_travail.candidate_files(page.object_list, files)
    entries = []
    for row in page.object_list:
        form = invalid.get(row.pk)
        entries.append(
            {
                "row": row,
                "candidates": candidates[row.pk],
                "link_form": form
                if isinstance(form, ReviewLinkForm)
                else ReviewLinkForm(prefix=f"r{row.pk}", candidates=candidates[row.pk]),
                "dismiss_form": form
                if isinstance(form, ReviewDismissForm)
                else ReviewDismissForm(prefix=f"r{row.pk}-x"),
            }
        )
    log_list(FranceTravailReviewRow, page.object_list)
    shown_files = [file for entry in entries for file in entry["candidates"]]
    if shown_files:
        log_list(Beneficiary, shown_files)
    context = {"page_obj": page, "entries": entries, "nav_active": "ft_review"}
    return render(request, "accompaniment/ft_review.html", context)
