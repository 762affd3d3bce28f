"""The AVIP figures of the COPIL report (SPEC §7 `childcare`), for a period and optionally a sector, as of a
date: providers, places, AVIP places, families placed, outcomes per family, emergencies answered within 24 h.

A family is a household (a file without a household counts as its own family) and counts once in each
figure: `families_into_employment` and `families_into_training` may overlap (a family whose two placements
ended one in employment, one in training is in both); `outcomes_by_family` counts each family once, under
its best outcome (employment, then training, then still searching, then other). Aggregates only, no names:
the report applies its masking to these counts.
"""

from django.db.models import Q, Sum
from django.utils import timezone

from accompaniment.deadline_engine import day_end, day_start
from accompaniment.enums import DeadlineState
from accompaniment.models import Deadline

from .enums import OUTCOME_RANK, Outcome
from .models import ChildcareRequest, Placement, Provider


def rate(numerator, denominator):
    return {
        "value": round(numerator / denominator, 3) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def _family(household_id, beneficiary_id):
    return ("household", household_id) if household_id else ("file", beneficiary_id)


def copil_figures(*, starts_on, ends_on, sector=None, as_of=None):
    """The childcare indicators of a period [`starts_on`, `ends_on`] as of `as_of` (default: today). Only
    facts recorded on or before the as-of date count. A constant number of queries."""
    as_of = as_of or timezone.localdate()
    as_of_end = day_end(as_of)
    last_day = min(ends_on, as_of)

    providers = Provider.objects.filter(active=True).filter(
        Q(label_ends_on__isnull=True) | Q(label_ends_on__gte=starts_on, label_starts_on__lte=last_day)
    )
    if sector is not None:
        providers = providers.filter(pk__in=Provider.objects.filter(sectors=sector).values("pk"))
    capacity = providers.aggregate(count_places=Sum("total_places"), count_avip=Sum("avip_places"))

    placements = Placement.objects.filter(created_at__lte=as_of_end).running_between(starts_on, last_day)
    if sector is not None:
        placements = placements.filter(request__sector=sector)
    placed_families, best_outcome = set(), {}
    into_employment, into_training = set(), set()
    rows = placements.values_list(
        "request__beneficiary__household_id", "request__beneficiary_id", "ended_on", "outcome"
    ).order_by()
    for household_id, beneficiary_id, ended_on, outcome in rows:
        family = _family(household_id, beneficiary_id)
        placed_families.add(family)
        if not (ended_on and outcome and starts_on <= ended_on <= last_day):
            continue
        if outcome == Outcome.EMPLOYMENT:
            into_employment.add(family)
        elif outcome == Outcome.TRAINING:
            into_training.add(family)
        if family not in best_outcome or OUTCOME_RANK[outcome] < OUTCOME_RANK[best_outcome[family]]:
            best_outcome[family] = outcome

    outcomes_by_family = dict.fromkeys(Outcome.values, 0)
    for outcome in best_outcome.values():
        outcomes_by_family[outcome] += 1

    emergencies = (
        Deadline.objects.filter(rule_code="childcare_24h", starts_at__gte=day_start(starts_on))
        .filter(starts_at__lte=day_end(last_day), due_at__lte=as_of_end)
        .with_state_at(as_of_end)
        .exclude(state_at=DeadlineState.CANCELLED)
    )
    if sector is not None:
        emergencies = emergencies.filter(subject_id__in=ChildcareRequest.objects.filter(sector=sector).values("pk"))
    states = list(emergencies.values_list("state_at", flat=True))
    on_time = sum(1 for state in states if state == DeadlineState.MET)

    return {
        "providers": providers.count(),
        "places": capacity["count_places"] or 0,
        "avip_places": capacity["count_avip"] or 0,
        "families_placed": len(placed_families),
        "families_into_employment": len(into_employment),
        "families_into_training": len(into_training),
        "outcomes_by_family": outcomes_by_family,
        "emergencies_answered_within_24h": rate(on_time, len(states)),
    }
