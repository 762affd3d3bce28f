"""The directory of social resources: who can lift a barrier, by category and sector (SPEC §4).

The directory holds no nominative data: every user with a role reads it. Functional admins edit every
service; an operator's staff keep their own organisation's services (`Service.objects.kept_by(user)`).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from partners.enums import Role
from partners.http import require

from . import services_offer
from .forms_offer import ServiceFilterForm, ServiceForm
from .models_offer import Service


def may_read_directory(user):
    return bool(user.role_codes)


def may_add_services(user):
    return user.has_role(Role.ADMIN) or bool(user.has_role(Role.OPERATOR) and user.organisation_id)


def _services():
    return Service.objects.select_related("provider").prefetch_related("categories", "sectors")


@login_required
def service_list(request):
    user = request.user
    require(may_read_directory(user), "L'annuaire est réservé aux professionnels du dispositif.")
    filter_form = ServiceFilterForm(request.GET or None)
    services = filter_form.filter(Service.objects.active()).order_by("name", "id").values_list("pk", flat=True)
    page = Paginator(services, settings.PARCOURS_PAGE_SIZE).get_page(request.GET.get("page"))
    ids = list(page.object_list)
    rows = _services().in_bulk(ids)
    page.object_list = [rows[pk] for pk in ids]
    editable = set(Service.objects.kept_by(user).filter(pk__in=ids).values_list("pk", flat=True))
    context = {
        "page_obj": page,
        "filter_form": filter_form,
        "filtered": filter_form.is_bound,
        "editable": editable,
        "may_add": may_add_services(user),
        "nav_active": "directory",
    }
    return render(request, "orientation/service_list.html", context)


@login_required
def service_detail(request, service_pk):
    require(may_read_directory(request.user))
    service = get_object_or_404(_services(), pk=service_pk)
    context = {
        "service": service,
        "may_edit": Service.objects.kept_by(request.user).filter(pk=service.pk).exists(),
        "nav_active": "directory",
    }
    return render(request, "orientation/service_detail.html", context)


def _service_form(request, service):
    user = request.user
    own = None if user.has_role(Role.ADMIN) else user.organisation
    form = ServiceForm(request.POST or None, instance=service, provider=own)
    if request.method == "POST" and form.is_valid():
        saved = services_offer.service_save(
            service=form.save(commit=False),
            by=user,
            categories=form.cleaned_data["categories"],
            sectors=form.cleaned_data["sectors"],
        )
        messages.success(request, f"Le service « {saved.name} » est enregistré dans l'annuaire.")
        return redirect(reverse("orientation:service_detail", kwargs={"service_pk": saved.pk}))
    context = {"form": form, "service": service if service.pk else None, "nav_active": "directory"}
    return render(request, "orientation/service_form.html", context)


@login_required
def service_create(request):
    require(may_add_services(request.user), "Seuls les administrateurs et les structures ajoutent des services.")
    return _service_form(request, Service())


@login_required
def service_edit(request, service_pk):
    require(may_read_directory(request.user))
    service = get_object_or_404(Service.objects.kept_by(request.user), pk=service_pk)
    return _service_form(request, service)
