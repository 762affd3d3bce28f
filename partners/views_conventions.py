"""Conventions between partners: list with filters, page, creation and edition (with parties, committed staff
and funding lines), renewal, PDF documents.

Every convention is reached through `Convention.objects.for_user(user)`: out of reach is a 404 (the page and
its documents alike). Editing is for functional administrators and the convention's owners (403 for the
others who see it); managers and administrators create conventions (the creator follows it).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, F, IntegerField, Prefetch, Q, Value, When
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.models import Action, AuditLog
from audit.services import record

from .enums import CONVENTION_RENEWAL_WARNING_DAYS, Role
from .forms_conventions import ConventionDocumentForm, ConventionFilterForm, ConventionForm, convention_formsets
from .http import require
from .models import (
    Convention,
    ConventionDocument,
    ConventionParty,
    ConventionResource,
    FundingLine,
)
from .models_conventions import convention_renew, renewal_alerts_of, renewal_alerts_read

PAGE_SIZE = 50


def may_create_conventions(user):
    return user.has_role(Role.ADMIN, Role.MANAGER)


def may_edit_convention(user, convention):
    return user.has_role(Role.ADMIN) or convention.owner_links.filter(user=user).exists()


def visible_convention(user, pk):
    return get_object_or_404(Convention.objects.for_user(user), pk=pk)


@login_required
def convention_list(request):
    today = timezone.localdate()
    form = ConventionFilterForm(request.GET or None)
    conventions = Convention.objects.for_user(request.user)
    if form.is_valid():
        if form.cleaned_data["party"]:
            conventions = conventions.filter(parties__organisation=form.cleaned_data["party"])
        if form.cleaned_data["status"]:
            conventions = conventions.with_status(form.cleaned_data["status"], today)
        if form.cleaned_data["expiring_within"]:
            conventions = conventions.expiring_within(form.cleaned_data["expiring_within"], today)
    conventions = (
        conventions.with_current_term(today)
        .prefetch_related(Prefetch("parties", queryset=ConventionParty.objects.select_related("organisation")))
        .annotate(
            ended=Case(
                When(Q(term_ends_on__lt=today) | Q(terminated_on__lte=today), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("ended", F("term_ends_on").asc(nulls_last=True), "title", "id")
    )
    page = Paginator(conventions, PAGE_SIZE).get_page(request.GET.get("page"))
    expiring = set(
        Convention.objects.for_user(request.user)
        .expiring_within(CONVENTION_RENEWAL_WARNING_DAYS, today)
        .filter(pk__in=[c.pk for c in page])
        .values_list("pk", flat=True)
    )
    alerted = renewal_alerts_of(request.user)
    return render(
        request,
        "partners/convention_list.html",
        {
            "alerts": list(
                Convention.objects.for_user(request.user)
                .filter(pk__in=list(alerted))
                .with_current_term(today)
                .order_by("term_ends_on", "id")
            ),
            "form": form,
            "page_obj": page,
            "expiring": expiring,
            "may_create": may_create_conventions(request.user),
            "warning_days": CONVENTION_RENEWAL_WARNING_DAYS,
            "nav_active": "partnerships",
        },
    )


def _history(convention):
    """The changes of the convention and of its parts, from the audit log (field names, never values)."""
    children = {
        ConventionParty: convention.parties.values_list("pk", flat=True),
        ConventionResource: convention.resources.values_list("pk", flat=True),
        FundingLine: convention.funding_lines.values_list("pk", flat=True),
        ConventionDocument: convention.documents.values_list("pk", flat=True),
    }
    about = Q(object_type=Convention._meta.label_lower, object_id=str(convention.pk))
    for model, ids in children.items():
        about |= Q(object_type=model._meta.label_lower, object_id__in=[str(pk) for pk in ids])
    labels = {
        Convention._meta.label_lower: "convention",
        ConventionParty._meta.label_lower: "partie",
        ConventionResource._meta.label_lower: "moyen engagé",
        FundingLine._meta.label_lower: "financement",
        ConventionDocument._meta.label_lower: "document",
    }
    entries = list(
        AuditLog.objects.filter(about, action__in=[Action.CREATE, Action.UPDATE, Action.DELETE, Action.DOWNLOAD])
        .select_related("user", "organisation")
        .order_by("-at", "-id")[:50]
    )
    for entry in entries:
        entry.part_label = labels.get(entry.object_type, entry.object_type)
    return entries


@login_required
def convention_detail(request, convention_pk):
    convention = visible_convention(request.user, convention_pk)
    today = timezone.localdate()
    may_edit = may_edit_convention(request.user, convention)
    renewal_alerts_read(request.user, convention)
    term_start, term_end = convention.term_on(today)
    return render(
        request,
        "partners/convention_detail.html",
        {
            "convention": convention,
            "status": convention.status_on(today),
            "term_start": term_start,
            "term_end": term_end,
            "renewed_tacitly": convention.continues_tacitly_on(today),
            "parties": convention.parties.select_related("organisation"),
            "resources": convention.resources.select_related("organisation"),
            "funding_lines": convention.funding_lines.all(),
            "owners": convention.owners.select_related("organisation"),
            "documents": convention.documents.select_related("uploaded_by"),
            "renewals": Convention.objects.for_user(request.user).filter(renews=convention),
            "renews": (
                Convention.objects.for_user(request.user).filter(pk=convention.renews_id).first()
                if convention.renews_id
                else None
            ),
            "expiring": Convention.objects.filter(pk=convention.pk)
            .expiring_within(CONVENTION_RENEWAL_WARNING_DAYS, today)
            .exists(),
            "meetings": convention.copil_meetings.for_user(request.user),
            "history": _history(convention),
            "may_edit": may_edit,
            "document_form": ConventionDocumentForm() if may_edit else None,
            "nav_active": "partnerships",
        },
    )


def _save_convention(request, form, formsets, *, creating):
    with transaction.atomic():
        convention = form.save(commit=False)
        convention.save()
        owners = list(form.cleaned_data["owners"])
        if creating and not owners:
            owners = [request.user]
        before = set() if creating else set(convention.owners.values_list("pk", flat=True))
        convention.owners.set(owners)
        if not creating and before != {owner.pk for owner in owners}:
            record(Action.UPDATE, obj=convention, fields=["owners"])  # the link table is not audited by itself
        for formset in formsets.values():
            formset.instance = convention
            formset.save()
    return convention


@login_required
def convention_create(request):
    require(
        may_create_conventions(request.user), "Seuls les administrateurs et les responsables créent une convention."
    )
    convention = Convention()
    form = ConventionForm(request.POST or None, instance=convention, user=request.user)
    formsets = convention_formsets(request.POST or None, instance=convention)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        convention = _save_convention(request, form, formsets, creating=True)
        messages.success(request, "Convention enregistrée.")
        return redirect("partners:convention_detail", convention_pk=convention.pk)
    return render(
        request,
        "partners/convention_form.html",
        {"form": form, "formsets": formsets, "convention": None, "nav_active": "partnerships"},
    )


@login_required
def convention_edit(request, convention_pk):
    convention = visible_convention(request.user, convention_pk)
    require(
        may_edit_convention(request.user, convention), "Seuls ses responsables et les administrateurs la modifient."
    )
    form = ConventionForm(
        request.POST or None,
        instance=convention,
        user=request.user,
        initial={"owners": list(convention.owners.all())},
    )
    formsets = convention_formsets(request.POST or None, instance=convention)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in formsets.values()):
        _save_convention(request, form, formsets, creating=False)
        messages.success(request, "Convention modifiée.")
        return redirect("partners:convention_detail", convention_pk=convention.pk)
    return render(
        request,
        "partners/convention_form.html",
        {"form": form, "formsets": formsets, "convention": convention, "nav_active": "partnerships"},
    )


@login_required
@require_POST
def convention_renewal(request, convention_pk):
    """Creates the next convention, as a draft pre-filled from this one, and opens it for edition."""
    convention = visible_convention(request.user, convention_pk)
    require(
        may_edit_convention(request.user, convention), "Seuls ses responsables et les administrateurs la renouvellent."
    )
    renewal = convention_renew(convention=convention, by=request.user)
    messages.success(
        request,
        "Le renouvellement est créé en projet, prérempli à partir de la convention précédente : vérifiez-le, "
        "puis saisissez sa date de signature.",
    )
    return redirect("partners:convention_edit", convention_pk=renewal.pk)


@login_required
@require_POST
def document_upload(request, convention_pk):
    convention = visible_convention(request.user, convention_pk)
    require(
        may_edit_convention(request.user, convention),
        "Seuls ses responsables et les administrateurs ajoutent un document.",
    )
    form = ConventionDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        document = form.save(commit=False)
        document.convention = convention
        document.uploaded_by = request.user
        document.size = form.cleaned_data["file"].size
        document.save()
        messages.success(request, "Document ajouté.")
        return redirect("partners:convention_detail", convention_pk=convention.pk)
    messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
    return redirect(f"{convention.get_absolute_url()}#documents")


@login_required
def document_download(request, convention_pk, document_pk):
    convention = visible_convention(request.user, convention_pk)
    document = get_object_or_404(convention.documents.all(), pk=document_pk)
    record(Action.DOWNLOAD, obj=document)
    return FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.filename, content_type="application/pdf"
    )
