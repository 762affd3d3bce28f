"""The COPIL report as a PDF (WeasyPrint), drawn from the data of `report.build()` only."""

import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime

from . import presentation
from .definitions import DEFINITIONS, MASKING_NOTE


def context(data):
    sections = presentation.sections(data)
    # The figures compared with the previous quarter, once each.
    key_figures, seen = [], set()
    for section in sections:
        for figure in section.key_figures:
            if figure[0] not in seen and (figure[2] or section is sections[0]):
                seen.add(figure[0])
                key_figures.append(figure)
    threshold = data.get("mask_threshold") or 0
    return {
        "data": data,
        "sections": sections,
        "key_figures": key_figures,
        "definitions": DEFINITIONS,
        "masking_note": MASKING_NOTE.format(threshold_minus_one=max(threshold - 1, 0)),
        "threshold_minus_one": max(threshold - 1, 0),
        "as_of": datetime.date.fromisoformat(data["as_of"]),
        "period_start": datetime.date.fromisoformat(data["period"]["start"]),
        "period_end": datetime.date.fromisoformat(data["period"]["end"]),
        "generated_at": parse_datetime(data["generated_at"]),
        "operator_name": settings.PARCOURS_OPERATOR_NAME,
        "primary_color": settings.PARCOURS_PRIMARY_COLOR,
        "accent_color": settings.PARCOURS_ACCENT_COLOR,
    }


def report_html(data):
    return render_to_string("reporting/pdf/copil_report.html", context(data))


def report_pdf(data):
    from weasyprint import HTML  # imported on use: loading Pango costs ~0.3 s at start-up

    return HTML(string=report_html(data)).write_pdf()
