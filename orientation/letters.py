"""The letter notifying a person of their orientation decision, rendered to PDF by WeasyPrint.

The letter is addressed to the person (name and postal address): it never carries the NIR.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

DEFAULT_ADMINISTRATIVE_COURT = "tribunal administratif de Marseille"


def letter_context(orientation):
    beneficiary = orientation.beneficiary
    assignment = beneficiary.current_referent_assignment
    # The referent is named only when the lead organisation of this decision designated them.
    referent = assignment if assignment and assignment.organisation_id == orientation.organisation_id else None
    return {
        "orientation": orientation,
        "beneficiary": beneficiary,
        "organisation": orientation.organisation,
        "referent": referent,
        "operator_name": settings.PARCOURS_OPERATOR_NAME,
        "primary_color": settings.PARCOURS_PRIMARY_COLOR,
        "accent_color": settings.PARCOURS_ACCENT_COLOR,
        "contact_email": settings.PARCOURS_CONTACT_EMAIL,
        "administrative_court": getattr(settings, "PARCOURS_ADMINISTRATIVE_COURT", DEFAULT_ADMINISTRATIVE_COURT),
        "today": timezone.localdate(),
    }


def orientation_letter_html(orientation):
    return render_to_string("orientation/letter.html", letter_context(orientation))


def orientation_letter_pdf(orientation):
    from weasyprint import HTML  # imported on use: loading Pango costs ~0.3 s at start-up

    return HTML(string=orientation_letter_html(orientation)).write_pdf()
