"""Pages of the beneficiary's file. Every file comes from `Beneficiary.objects.for_user(user)`."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from audit.services import log_list, log_read
from partners.enums import Role
from partners.http import require
from partners.models import SectorCommune

from . import exports, sections, services, timeline
from .filters import BeneficiaryFilter, sort_columns
from .forms import AssignForm, BeneficiaryForm, FileShareForm, departement_communes, primary_sectors
from .models import Beneficiary
from .permissions import may_read_nominative_data

# Who may create and edit files, and share them (among the files they may see).
WRITER_ROLES = (Role.REFERENT, Role.ORIENTATION_OFFICER, Role.MANAGER)


def may_write_files(user):
    return user.has_role(*WRITER_ROLES)


def works_unassigned_queue(user):
    """The Département's orientation officers keep the queue of files with no primary sector (SPEC §1)."""
    return bool(user.has_role(Role.ORIENTATION_OFFICER) and user.organisation and user.organisation.is_departement)


def visible_file(user, pk):
    """The file `pk` if `user` may see it (through `for_user()`), with its status; 404 otherwise."""
    files = Beneficiary.objects.for_user(user)
    return get_object_or_404(files.select_related("commune", "sector", "household", "created_by"), pk=pk)


def file_url(file, anchor=""):
    """The file page (of a file or a file id), at a section's anchor."""
    return reverse("accompaniment:detail", kwargs={"pk": getattr(file, "pk", file)}) + anchor


def files_page(files, page_number, *, detail):
    """One page of `files` (filtered and ordered): the page's ids are read first, then `detail(queryset)` adds
    the per-file annotations (status, pathway, referent…) for those ids only, so that the database evaluates
    them for the rows shown, never for every file the user may see. Three queries: count, ids, rows."""
    page = Paginator(files.values_list("pk", flat=True), settings.PARCOURS_PAGE_SIZE).get_page(page_number)
    ids = list(page.object_list)
    rows = detail(Beneficiary.objects.filter(pk__in=ids)).in_bulk(ids) if ids else {}
    page.object_list = [rows[pk] for pk in ids]
    return page


# List -----------------------------------------------------------------------------------------------------
@login_required
def beneficiary_list(request):
    require(may_read_nominative_data(request.user))
    filterset = BeneficiaryFilter(request.GET, queryset=Beneficiary.objects.for_user(request.user), request=request)
    page = files_page(
        filterset.qs,
        request.GET.get("page"),
        detail=lambda files: files.with_journey().select_related("commune", "sector"),
    )
    log_list(Beneficiary, page.object_list)
    htmx = request.htmx
    partial = bool(htmx and not htmx.boosted and not htmx.history_restore_request)
    context = {
        "filter": filterset,
        "page_obj": page,
        "columns": sort_columns(filterset.current_sort),
        "may_create": may_write_files(request.user),
        "export_query": exports.query_of(request.GET),
        "partial": partial,
        "nav_active": "files",
    }
    template = "accompaniment/_beneficiary_table.html" if partial else "accompaniment/beneficiary_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# Unassigned queue -------------------------------------------------------------------------------------------
@login_required
def unassigned_queue(request):
    require(works_unassigned_queue(request.user))
    files = Beneficiary.objects.for_user(request.user).unassigned().select_related("commune")
    sector_choices = list(primary_sectors().values_list("id", "name"))

    if request.method == "POST":
        file = get_object_or_404(files, pk=request.POST.get("dossier") or 0)
        form = AssignForm(request.POST, prefix=f"d{file.pk}", sector_choices=sector_choices)
        if form.is_valid():
            file = services.beneficiary_assign(
                beneficiary=file,
                by=request.user,
                commune=form.cleaned_data["commune"],
                sector=form.cleaned_data["sector"],
            )
            if file.is_unassigned:
                messages.warning(
                    request,
                    f"La commune du dossier de {file.full_name} n'appartient à aucune circonscription : "
                    "le dossier reste à affecter.",
                )
            else:
                messages.success(request, f"Le dossier de {file.full_name} est affecté à {file.sector}.")
            return redirect(request.get_full_path())
        invalid = {file.pk: form}
        messages.error(request, f"Le dossier de {file.full_name} n'a pas été affecté : voyez l'erreur sur sa ligne.")
    else:
        invalid = {}

    queue = files.order_by(F("flux_date").asc(nulls_last=True), "created_at", "id")
    page = files_page(queue, request.GET.get("page"), detail=lambda page_files: page_files.select_related("commune"))
    rows = [
        (file, invalid.get(file.pk) or AssignForm(prefix=f"d{file.pk}", sector_choices=sector_choices))
        for file in page.object_list
    ]
    log_list(Beneficiary, [file for file, _form in rows])
    context = {
        "page_obj": page,
        "rows": rows,
        "communes": departement_communes(),
        "nav_active": "unassigned",
    }
    return render(request, "accompaniment/unassigned_queue.html", context)


# File page ------------------------------------------------------------------------------------------------
def _detail_context(request, file, share_form=None):
    may_write = may_write_files(request.user)
    return {
        "file": file,
        "members": list(file.household.members.all()) if file.household_id else [],
        "commune_sectors": (
            list(SectorCommune.objects.filter(commune_id=file.commune_id).select_related("sector"))
            if file.commune_id
            else []
        ),
        "events": timeline.events_for(file),
        "glance": _glance(file),
        **sections.context_for(request, file),
        "active_shares": [
            share for share in file.shares.select_related("user", "organisation", "created_by") if share.is_active
        ],
        "may_write": may_write,
        "share_form": (share_form or FileShareForm()) if may_write else None,
        "nav_active": "files",
    }


def _glance(file):
    """Referent, contract, episode and last exit for the file's summary: four queries, whatever the history."""
    return {
        "referent": file.current_referent_assignment,
        "contract": file.current_contract,
        "episode": file.open_episode,
        "last_exit": file.exits.order_by("-exited_on", "-id").first(),
    }


@login_required
def beneficiary_detail(request, pk):
    file = visible_file(request.user, pk)
    log_read(file)
    return render(request, "accompaniment/beneficiary_detail.html", _detail_context(request, file))


# Create and edit ------------------------------------------------------------------------------------------
@login_required
def beneficiary_create(request):
    require(may_write_files(request.user))
    form = BeneficiaryForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        file = services.beneficiary_create(by=request.user, nir=form.cleaned_data["nir"], **form.file_fields())
        messages.success(request, f"Le dossier de {file.full_name} a été créé.")
        if Beneficiary.objects.for_user(request.user).filter(pk=file.pk).exists():
            return redirect("accompaniment:detail", pk=file.pk)
        messages.info(request, "Ce dossier ne relève pas de votre périmètre : vous ne pourrez pas le consulter.")
        return redirect("accompaniment:list")
    return render(
        request,
        "accompaniment/beneficiary_form.html",
        {"form": form, "nav_active": "files"},
    )


@login_required
def beneficiary_edit(request, pk):
    file = visible_file(request.user, pk)
    require(may_write_files(request.user))
    title_name = file.full_name  # the form changes the instance in place while validating
    form = BeneficiaryForm(request.POST or None, instance=file, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.beneficiary_update(
            beneficiary=file, by=request.user, nir=form.cleaned_data["nir"], **form.file_fields()
        )
        messages.success(request, "Les modifications du dossier ont été enregistrées.")
        return redirect("accompaniment:detail", pk=file.pk)
    log_read(file)
    return render(
        request,
        "accompaniment/beneficiary_form.html",
        {"form": form, "file_pk": file.pk, "title_name": title_name, "nav_active": "files"},
    )


# Shares ---------------------------------------------------------------------------------------------------
@login_required
@require_POST
def file_share(request, pk):
    file = visible_file(request.user, pk)
    require(may_write_files(request.user))
    form = FileShareForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        services.file_share(
            beneficiary=file,
            by=request.user,
            reason=data["reason"],
            ends_on=data["ends_on"],
            user=data["user_email"],
            organisation=data["organisation"],
        )
        messages.success(request, "Le dossier a été partagé.")
        return redirect("accompaniment:detail", pk=file.pk)
    log_read(file)
    context = _detail_context(request, file, share_form=form)
    return render(request, "accompaniment/beneficiary_detail.html", context)


@login_required
@require_POST
def file_share_revoke(request, pk, share_pk):
    file = visible_file(request.user, pk)
    require(may_write_files(request.user))
    share = get_object_or_404(file.shares.filter(revoked_at__isnull=True), pk=share_pk)
    services.file_share_revoke(share=share, by=request.user)
    messages.success(request, "Le partage a été retiré.")
    return redirect("accompaniment:detail", pk=file.pk)
