"""Reports as stored figures: the dashboards' snapshots (materialised aggregates) and frozen reports."""

import datetime
import time

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accompaniment.models import Episode, ReferentAssignment
from partners.enums import PRIMARY_SECTOR_KIND
from partners.models import Sector, User

from . import pdf, report
from .indicators import Perimeter
from .models import ReportKind, StoredReport
from .periods import quarter_of


def _key(period, perimeter, as_of):
    return {
        "period_start": period.start,
        "period_end": period.end,
        "sector": perimeter.sector,
        "organisation": perimeter.organisation,
        "pathway": perimeter.pathway,
        "as_of": as_of,
        "mask_threshold": report.threshold(),
    }


def compute_and_store(period, perimeter, as_of, *, kind=ReportKind.SNAPSHOT, user=None, meeting=None):
    started = time.monotonic()
    data = report.build(period, perimeter, as_of)
    stored = StoredReport(
        kind=kind,
        quarter=period.code,
        data=data,
        generated_by=user,
        meeting=meeting,
        duration_ms=int((time.monotonic() - started) * 1000),
        **_key(period, perimeter, as_of),
    )
    with transaction.atomic():
        if kind == ReportKind.SNAPSHOT:
            StoredReport.objects.filter(kind=ReportKind.SNAPSHOT, **_key(period, perimeter, as_of)).delete()
        stored.save()
    return stored


def figures(period, perimeter, as_of, *, max_age_minutes=None):
    """The report data for the dashboards and the downloads: a snapshot younger than the setting
    (PARCOURS_REPORT_SNAPSHOT_MINUTES), else computed now and stored as the new snapshot. Its `generated_at`
    says when the figures were computed."""
    max_age = settings.PARCOURS_REPORT_SNAPSHOT_MINUTES if max_age_minutes is None else max_age_minutes
    fresh = (
        StoredReport.objects.filter(
            kind=ReportKind.SNAPSHOT,
            generated_at__gte=timezone.now() - datetime.timedelta(minutes=max_age),
            **_key(period, perimeter, as_of),
        )
        .order_by("-generated_at")
        .first()
    )
    if fresh is not None:
        return fresh
    return compute_and_store(period, perimeter, as_of)


def freeze(period, perimeter, as_of, *, user, meeting=None):
    """A report computed now and stored with its PDF (attached to a COPIL meeting if given): it never changes
    afterwards."""
    stored = compute_and_store(period, perimeter, as_of, kind=ReportKind.FROZEN, user=user, meeting=meeting)
    content = pdf.report_pdf(stored.data)
    name = f"rapport-copil-{period.code or period.start.isoformat()}-{stored.pk}.pdf"
    stored.pdf.save(name, ContentFile(content), save=True)
    return stored


def portfolio_day(period, as_of):
    """The day the referents' load is counted on: the end of the period, or the as-of date when earlier (the
    day the report's stocks, such as the accompaniments in progress, are counted on)."""
    return min(period.end, as_of)


def portfolio_load(manager, period, perimeter, as_of):
    """(name, files, active accompaniments) per referent of the teams `manager` manages, on `portfolio_day()`:
    the files of the perimeter (sector, organisation référent, pathway, as in the report) they are referent of
    that day, and those in accompaniment that day. Names of agents, not of persons; busiest first."""
    day = portfolio_day(period, as_of)
    members = User.objects.filter(teams__manager=manager).distinct()
    assignments = ReferentAssignment.objects.filter(agent__in=members, designated_on__lte=day).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=day)
    )
    rows = (
        perimeter.restrict(assignments, as_of)
        .values("agent_id", "agent__first_name", "agent__last_name")
        .annotate(
            files=Count("beneficiary", distinct=True),
            active=Count(
                "beneficiary", distinct=True, filter=Q(beneficiary__episodes__in=Episode.objects.open_on(day))
            ),
        )
        .order_by("-active", "agent__last_name", "agent_id")
    )
    return [(f"{row['agent__first_name']} {row['agent__last_name']}", row["files"], row["active"]) for row in rows]


def refresh_snapshots(today=None):
    """The current and previous quarters, for the Département and each primary sector: the dashboards'
    default views answer from stored figures."""
    today = today or timezone.localdate()
    current = quarter_of(today)
    perimeters = [Perimeter()] + [
        Perimeter(sector=sector) for sector in Sector.objects.filter(kind=PRIMARY_SECTOR_KIND).order_by("code")
    ]
    count = 0
    for period in (current, current.previous()):
        for perimeter in perimeters:
            compute_and_store(period, perimeter, today)
            count += 1
    StoredReport.objects.filter(kind=ReportKind.SNAPSHOT, as_of__lt=today).delete()
    return count
