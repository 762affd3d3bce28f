"""Data exchange pages of `accompaniment`: the France Travail review queue (rows of an extract that matched no
file for sure). Orientation officers only; the rows are nominative (audited) and scoped to their sectors."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from audit.services import log_list

from .exchange import france_travail
from .exchange.forms import ReviewDismissForm, ReviewLinkForm
from .models import Beneficiary, FranceTravailReviewRow
from .permissions import may_review_france_travail_rows


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
