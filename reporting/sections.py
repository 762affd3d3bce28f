"""The report's sections drawn from the other apps' facts: conventions and COPIL actions (partners), childcare
(childcare). Each is a function (period, perimeter, as_of) -> dict of counts, a few aggregate statements.

Conventions bind organisations, not territories: they are counted for the whole Département whatever the
perimeter. COPIL actions are those of the perimeter's meetings (a sector's, or all for the Département).
"""

from django.db.models import Count, Q, Sum

from partners.enums import OPEN_COPIL_ACTION_STATUSES
from partners.models import Convention, ConventionResource, CopilAction
from reporting.masking import Rate

EXPIRING_DAYS = 90


def conventions(period, perimeter, as_of):
    active = Convention.objects.active(as_of)
    staff = ConventionResource.objects.filter(convention__in=active.values("pk")).aggregate(n=Sum("count"))["n"]
    return {
        "active": active.count(),
        "expiring_within_90_days": Convention.objects.expiring_within(EXPIRING_DAYS, as_of).count(),
        "committed_staff": staff or 0,
    }


def copil_actions(period, perimeter, as_of):
    actions = CopilAction.objects.filter(meeting__held_on__lte=as_of)
    if perimeter.sector is not None:
        actions = actions.filter(meeting__sector=perimeter.sector)
    # Open on the as-of date: still open, or closed after it.
    still_open = Q(status__in=OPEN_COPIL_ACTION_STATUSES) | Q(closed_on__gt=as_of)
    return actions.aggregate(
        open=Count("pk", filter=still_open),
        late=Count("pk", filter=still_open & Q(due_on__isnull=False, due_on__lt=as_of)),
    )


def copil_actions_relations(cells, path, figures):
    """Late actions are part of the open ones: their difference (on time) is a hidden cell."""
    cells.count((*path, "on_time"), figures["open"] - figures["late"], shown=False, sensitive=False)
    cells.relation((*path, "open"), [(*path, "late"), (*path, "on_time")])


copil_actions.relations = copil_actions_relations


def childcare(period, perimeter, as_of):
    from childcare.figures import copil_figures

    figures = copil_figures(starts_on=period.start, ends_on=period.end, sector=perimeter.sector, as_of=as_of)
    emergencies = figures.pop("emergencies_answered_within_24h")
    return {**figures, "emergencies_answered_within_24h": Rate(emergencies["numerator"], emergencies["denominator"])}


def childcare_relations(cells, path, figures):
    """A family into employment is counted under employment in `outcomes_by_family` (its best outcome)."""
    cells.same((*path, "families_into_employment"), (*path, "outcomes_by_family", "emploi"))
    outcomes = [(*path, "outcomes_by_family", code) for code in figures["outcomes_by_family"]]
    # The families placed whose placement has not ended in the period are the hidden remainder.
    remainder = figures["families_placed"] - sum(figures["outcomes_by_family"].values())
    cells.count((*path, "without_outcome"), remainder, shown=False)
    cells.relation((*path, "families_placed"), [*outcomes, (*path, "without_outcome")])


childcare.relations = childcare_relations
