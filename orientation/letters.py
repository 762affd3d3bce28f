"""The notification letter of an orientation decision, rendered as a PDF by WeasyPrint."""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML


def orientation_letter_pdf(orientation):
    beneficiary = orientation.beneficiary
    referent = beneficiary.current_referent_assignment
    html = render_to_string(
        "orientation/letter.html",
        {
            "orientation": orientation,
            "beneficiary": beneficiary,
            "referent": referent if referent and referent.organisation_id == orientation.organisation_id else None,
            "operator_name": settings.PARCOURS_OPERATOR_NAME,
            "primary_color": settings.PARCOURS_PRIMARY_COLOR,
            "administrative_court": settings.PARCOURS_ADMINISTRATIVE_COURT,
            "today": timezone.localdate(),
        },
    )
    return HTML(string=html).write_pdf()
