"""The AVIP figures of the COPIL report (SPEC §7 `childcare`), for a period and optionally a sector and a set of
files, as of a date: providers, places, AVIP places, families placed, outcomes per family, emergencies answered
within 24 h.

A family is a household (a file without a household counts as its own family) and counts once in each
figure: `families_into_employment` and `families_into_training` may overlap (a family whose two placements
ended one in employment, one in training is in both); `outcomes_by_family` counts each family once, under
its best outcome (employment, then training, then still searching, then other). Aggregates only, no names:
the report applies its masking to these counts.

Three aggregate statements whatever the number of providers, placements and requests: the families are
counted in SQL (distinct households, plus distinct files without a household), and a family's best outcome is
the difference of two cumulative counts (families with an outcome of rank ≤ k, minus those of rank < k).
"""

from django.db.models import Count, Q, Sum
from django.utils import timezone

from accompaniment.deadline_engine import day_end, day_start
from accompaniment.enums import DeadlineState
from accompaniment.models import Deadline

from .enums import OUTCOME_RANK
from .models import ChildcareRequest, Placement, Provider

# Outcomes from the best to the least good.
RANKED_OUTCOMES = [outcome.value for outcome in sorted(OUTCOME_RANK, key=OUTCOME_RANK.get)]


def rate(numerator, denominator):
    return {
        "value": round(numerator / denominator, 3) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def _count_families(name, condition):
    """Two aggregates whose sum is the number of distinct families of the placements meeting `condition`."""
    in_household = Q(request__beneficiary__household__isnull=False)
    return {
        f"{name}_households": Count("request__beneficiary__household", distinct=True, filter=condition & in_household),
        f"{name}_files": Count("request__beneficiary", distinct=True, filter=condition & ~in_household),
    }


def _families(totals, name):
    return totals[f"{name}_households"] + totals[f"{name}_files"]


def copil_figures(*, starts_on, ends_on, sector=None, files=None, as_of=None):
    """The childcare indicators of a period [`starts_on`, `ends_on`] as of `as_of` (default: today). Only
    facts recorded on or before the as-of date count.

    `sector` narrows providers to those serving it, and families and emergencies to the requests placed in it.
    `files` (a queryset of files) narrows families and emergencies to the requests made for those files (an
    organisation's or a pathway's perimeter); providers and places do not depend on it. Three statements."""
    as_of = as_of or timezone.localdate()
    as_of_end = day_end(as_of)
    last_day = min(ends_on, as_of)

    providers = Provider.objects.filter(active=True).filter(
        Q(label_ends_on__isnull=True) | Q(label_ends_on__gte=starts_on, label_starts_on__lte=last_day)
    )
    if sector is not None:
        providers = providers.filter(pk__in=Provider.objects.filter(sectors=sector).values("pk"))
    capacity = providers.aggregate(providers=Count("pk"), places=Sum("total_places"), avip=Sum("avip_places"))

    requests = ChildcareRequest.objects.all()
    if sector is not None:
        requests = requests.filter(sector=sector)
    if files is not None:
        requests = requests.filter(beneficiary__in=files.values("pk"))
    narrowed = sector is not None or files is not None

    placements = Placement.objects.filter(created_at__lte=as_of_end).running_between(starts_on, last_day)
    if narrowed:
        placements = placements.filter(request__in=requests.values("pk"))
    ended_in_period = Q(ended_on__isnull=False, ended_on__gte=starts_on, ended_on__lte=last_day) & ~Q(outcome="")
    aggregates = _count_families("placed", Q())
    for rank in range(len(RANKED_OUTCOMES)):
        aggregates |= _count_families(f"best_{rank}", ended_in_period & Q(outcome__in=RANKED_OUTCOMES[: rank + 1]))
    aggregates |= _count_families("training", ended_in_period & Q(outcome=RANKED_OUTCOMES[1]))
    totals = placements.order_by().aggregate(**aggregates)
    # Families whose best outcome is of rank k: those with an outcome of rank ≤ k, less those of rank < k.
    cumulative = [0] + [_families(totals, f"best_{rank}") for rank in range(len(RANKED_OUTCOMES))]
    outcomes_by_family = {
        outcome: cumulative[rank + 1] - cumulative[rank] for rank, outcome in enumerate(RANKED_OUTCOMES)
    }

    emergencies = (
        Deadline.objects.filter(rule_code="childcare_24h", starts_at__gte=day_start(starts_on))
        .filter(starts_at__lte=day_end(last_day), due_at__lte=as_of_end)
        .with_state_at(as_of_end)
        .exclude(state_at=DeadlineState.CANCELLED)
    )
    if narrowed:
        emergencies = emergencies.filter(subject_id__in=requests.values("pk"))
    answered = emergencies.order_by().aggregate(
        due=Count("pk"), on_time=Count("pk", filter=Q(state_at=DeadlineState.MET))
    )

    return {
        "providers": capacity["providers"],
        "places": capacity["places"] or 0,
        "avip_places": capacity["avip"] or 0,
        "families_placed": _families(totals, "placed"),
        "families_into_employment": outcomes_by_family[RANKED_OUTCOMES[0]],
        "families_into_training": _families(totals, "training"),
        "outcomes_by_family": outcomes_by_family,
        "emergencies_answered_within_24h": rate(answered["on_time"], answered["due"]),
    }
