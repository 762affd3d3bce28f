"""The COPIL report as data: the figures of `indicators.compute()` in SPEC §7's JSON shape, masked.

The PDF, the dashboard and `copil_report --format json` all render what `build()` returns, so that they
show exactly the same figures.
"""

from django.conf import settings
from django.utils import timezone

from accompaniment.enums import POSITIVE_EXIT_REASONS

from . import indicators
from .masking import Cells, Rate, suppress

# The counts and rates of each earlier quarter in `trend`.
TREND_KEYS = (
    "new_entrants",
    "orientation_rate",
    "oriented_within_6_weeks_rate",
    "referent_within_1_month_rate",
    "entry_within_15_days_rate",
    "contract_within_1_month_rate",
    "active_accompaniments",
    "exits",
    "positive_exit_rate",
    "contracts_signed",
)


def threshold():
    return int(getattr(settings, "PARCOURS_REPORT_MASK_THRESHOLD", 5))


def build(period, perimeter=None, as_of=None, *, mask_threshold=None, inspect=None):
    """The report's data. `inspect`, a dict, receives the cells and the masked paths (tests check that no
    masked value can be computed back from what is shown)."""
    perimeter = perimeter or indicators.Perimeter()
    as_of = as_of or timezone.localdate()
    raw = indicators.compute(period, perimeter, as_of)
    rules = raw.pop("rules")
    trend = raw.pop("trend")
    body = dict(raw)
    body["trend"] = {
        earlier["period"].code or earlier["period"].short_label: {key: earlier[key] for key in TREND_KEYS}
        for earlier in trend
    }
    cells = Cells()
    _register(cells, (), body)
    _relations(cells, body)
    masked = suppress(cells, threshold() if mask_threshold is None else mask_threshold)
    if inspect is not None:
        inspect.update(cells=cells, masked=masked)
    data = {
        "quarter": period.code or None,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label},
        "perimeter": perimeter.as_json(),
        "as_of": as_of.isoformat(),
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "mask_threshold": threshold() if mask_threshold is None else mask_threshold,
        "rules": {code: label for code, label in rules},
    }
    data.update(_render((), body, masked, mask_threshold=threshold() if mask_threshold is None else mask_threshold))
    return data


# Counts of things, not of people: never masked (SPEC §7's secrecy protects persons).
NOT_SENSITIVE = {
    ("conventions",),
    ("copil_actions",),
    ("childcare", "providers"),
    ("childcare", "places"),
    ("childcare", "avip_places"),
}


def _register(cells, path, value):
    if isinstance(value, Rate):
        cells.rate(path, value)
    elif isinstance(value, indicators.Mean):
        cells.count((*path, "count"), value.count, shown=False)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        cells.count(path, value, sensitive=not any(path[: len(prefix)] == prefix for prefix in NOT_SENSITIVE))
    elif isinstance(value, dict):
        for key, item in value.items():
            _register(cells, (*path, key), item)


def _relations(cells, body):
    """What a reader can add up or subtract in the report."""
    for prefix, figures in [((), body)] + [(("trend", key), quarter) for key, quarter in body["trend"].items()]:
        p = lambda *keys, prefix=prefix: (*prefix, *keys)  # noqa: E731
        cells.same(p("new_entrants"), p("orientation_rate", "denominator"))
        cells.same(p("exits"), p("positive_exit_rate", "denominator"))
        for name, code in indicators.NAMED_DEADLINE_RATES.items():
            if prefix == () and code in figures.get("deadlines", {}):
                cells.same(p(name, "numerator"), p("deadlines", code, "numerator"))
                cells.same(p(name, "denominator"), p("deadlines", code, "denominator"))
        if prefix == ():
            cells.same(p("new_entrants"), p("funnel", "new_entrants"))
            cells.same(p("orientation_rate", "numerator"), p("funnel", "oriented"))
            reasons = list(figures["exits_by_reason"])
            cells.relation(p("exits"), [p("exits_by_reason", reason) for reason in reasons])
            cells.relation(
                p("positive_exit_rate", "numerator"),
                [p("exits_by_reason", reason) for reason in reasons if reason in POSITIVE_EXIT_REASONS],
            )
            cells.same(p("contracts", "signed"), p("contracts", "at_least_15_hours", "denominator"))
            # The contracts below 15 h (the rate's hidden complement) are those of the reductions by reason.
            reductions = [
                p("contracts", "reductions_by_reason", reason)
                for reason in figures["contracts"]["reductions_by_reason"]
            ]
            cells.relation(p("contracts", "at_least_15_hours", "complement"), reductions)
            # The Département's deadlines are the sum of the sectors' (subjects without a file aside).
            for code in figures["deadlines"]:
                for side in ("numerator", "denominator"):
                    sectors = [
                        p("deadlines_by_sector", sector, code, side) for sector in figures["deadlines_by_sector"]
                    ]
                    if sectors:
                        cells.relation(p("deadlines", code, side), sectors)
    for key, function in indicators.SECTIONS.items():
        relate = getattr(function, "relations", None)
        if relate is not None:
            relate(cells, (key,), body[key])


def _render(path, value, masked, *, mask_threshold):
    if isinstance(value, dict):
        rendered, masked_keys = {}, []
        for key, item in value.items():
            item_path = (*path, key)
            if isinstance(item, Rate):
                if (*item_path, "numerator") in masked:
                    rendered[key] = {"value": None, "numerator": None, "denominator": None, "masked": True}
                    masked_keys.append(key)
                else:
                    rendered[key] = {"value": item.value, "numerator": item.numerator, "denominator": item.denominator}
            elif isinstance(item, indicators.Mean):
                if 0 < item.count < mask_threshold:
                    rendered[key] = None
                    masked_keys.append(key)
                else:
                    rendered[key] = item.value
            elif isinstance(item, int) and not isinstance(item, bool):
                if item_path in masked:
                    rendered[key] = None
                    masked_keys.append(key)
                else:
                    rendered[key] = item
            else:
                rendered[key] = _render(item_path, item, masked, mask_threshold=mask_threshold)
        if masked_keys:
            rendered["masked"] = masked_keys
        return rendered
    return value
