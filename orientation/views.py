"""Orientation decisions from the file: decide or reorient, record the letter as sent, download it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accompaniment.models import Beneficiary
from audit.models import Action
from audit.services import log_read, record
from partners.enums import Role

from . import services
from .forms import NotifyForm, OrientationForm
from .letters import orientation_letter_pdf
from .models import Orientation


def _officer_file(user, pk):
    """A file the user may see (404 otherwise), for an orientation officer (403 otherwise)."""
    file = get_object_or_404(Beneficiary.objects.for_user(user).with_status(), pk=pk)
    if not user.has_role(Role.ORIENTATION_OFFICER):
        raise PermissionDenied("Seuls les chargés d'orientation décident des orientations.")
    return file


def _visible_orientation(user, pk):
    visible = Beneficiary.objects.for_user(user).values("id")
    return get_object_or_404(
        Orientation.objects.select_related("beneficiary", "organisation").filter(beneficiary__in=visible), pk=pk
    )


def _add_errors(form, error):
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
def decide(request, pk):
    file = _officer_file(request.user, pk)
    current = file.current_orientation
    form = OrientationForm(request.POST or None, reorientation=current is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "beneficiary": file,
            "pathway": data["pathway"],
            "organisation": data["organisation"],
            "decided_on": data["decided_on"],
            "reasoning": data["reasoning"],
            "by": request.user,
        }
        try:
            if current is None:
                services.orientation_decide(**fields)
            else:
                services.orientation_reorient(**fields, reason=data["reason"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Orientation enregistrée. Envoyez le courrier de notification.")
            return redirect("accompaniment:detail", pk=file.pk)
    log_read(file)
    return render(
        request,
        "orientation/orientation_form.html",
        {"file": file, "current": current, "form": form, "nav_active": "files"},
    )


@login_required
@require_POST
def notify(request, orientation_pk):
    orientation = _visible_orientation(request.user, orientation_pk)
    if not request.user.has_role(Role.ORIENTATION_OFFICER):
        raise PermissionDenied
    form = NotifyForm(request.POST)
    if form.is_valid():
        try:
            services.orientation_notify(
                orientation=orientation, notified_on=form.cleaned_data["notified_on"], by=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Date de notification enregistrée.")
    else:
        messages.error(request, "Date de notification invalide : utilisez le format jj/mm/aaaa.")
    return redirect("accompaniment:detail", pk=orientation.beneficiary_id)


@login_required
def letter(request, orientation_pk):
    orientation = _visible_orientation(request.user, orientation_pk)
    pdf = orientation_letter_pdf(orientation)
    record(Action.DOWNLOAD, obj=orientation)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="orientation-{orientation.pk}.pdf"'
    return response
