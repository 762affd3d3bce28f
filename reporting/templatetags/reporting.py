"""`{% meeting_reports meeting user %}`: the COPIL reports attached to a meeting, and the form that attaches one
(the partners app's meeting page, without partners importing reporting)."""

from django import template
from django.utils import timezone

from partners.enums import Role
from reporting.forms import quarter_choices
from reporting.models import ReportKind
from reporting.periods import quarter_of

register = template.Library()


@register.inclusion_tag("reporting/_meeting_reports.html")
def meeting_reports(meeting, user):
    today = timezone.localdate()
    return {
        "meeting": meeting,
        "reports": meeting.reports.filter(kind=ReportKind.FROZEN).select_related("generated_by"),
        "may_attach": user.has_role(Role.MANAGER, Role.COPIL),
        "quarters": quarter_choices(today),
        "default_quarter": quarter_of(min(meeting.held_on, today)).previous().code,
        "as_of": min(meeting.held_on, today),
    }
