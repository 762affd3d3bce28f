"""Statistical secrecy: small counts masked, and not recoverable from what is shown."""

import datetime

import pytest

from accompaniment.enums import ExitReason
from reporting import report
from reporting.masking import Cells, Rate, _closure, suppress
from reporting.periods import parse_quarter

from .cohorts import Cohort


def known(cells, masked):
    return _closure(cells, {path for path in cells.shown if path not in masked})


def test_a_small_part_of_a_shown_total_is_protected_by_a_second_suppression():
    cells = Cells()
    cells.count(("total",), 153)
    parts = [cells.count(("by", key), value) for key, value in {"a": 3, "b": 100, "c": 50}.items()]
    cells.relation(("total",), parts)

    masked = suppress(cells, 5)

    assert ("by", "a") in masked
    assert ("by", "c") in masked  # the smallest other part, so that a = total - b - c cannot be computed
    assert ("by", "a") not in known(cells, masked)


def test_a_rate_with_a_small_complement_is_masked_whole():
    cells = Cells()
    cells.rate(("rate",), Rate(98, 100))
    masked = suppress(cells, 5)
    assert {("rate", "numerator"), ("rate", "denominator")} <= masked
    assert ("rate", "complement") not in known(cells, masked)


def test_zero_and_large_counts_are_shown():
    cells = Cells()
    cells.count(("zero",), 0)
    cells.count(("large",), 12)
    assert suppress(cells, 5) == set()


def test_threshold_zero_disables_masking():
    cells = Cells()
    cells.count(("small",), 1)
    assert suppress(cells, 0) == set()


@pytest.mark.django_db
def test_a_count_of_three_in_the_report_is_masked_and_not_derivable():
    cohort = Cohort()
    exited_on = datetime.date(2026, 8, 20)
    cohort.exits(cohort.files(3), reason=ExitReason.FORMATION, exited_on=exited_on)
    cohort.exits(cohort.files(40), reason=ExitReason.EMPLOI_DURABLE, exited_on=exited_on)
    cohort.exits(cohort.files(20), reason=ExitReason.ABANDON, exited_on=exited_on)

    inspected = {}
    data = report.build(
        parse_quarter("2026-Q3"), None, datetime.date(2026, 11, 30), mask_threshold=5, inspect=inspected
    )
    # Whatever a reader adds up or subtracts from the shown figures, no masked or small hidden value comes out.
    cells, masked = inspected["cells"], inspected["masked"]
    derivable = known(cells, masked)
    protected = masked | {path for path, value in cells.values.items() if 0 < value < 5}
    assert ("exits_by_reason", "formation") in masked
    assert not (protected & derivable - (cells.shown - masked))

    by_reason = data["exits_by_reason"]
    assert by_reason["formation"] is None
    assert "formation" in by_reason["masked"]
    # Neither the total minus the other reasons, nor the positive exits minus the durable jobs, give it back.
    shown = {key: value for key, value in by_reason.items() if key != "masked" and value is not None}
    hidden = [key for key, value in by_reason.items() if key != "masked" and value is None]
    assert len(hidden) >= 2 or data["exits"] is None
    positive = data["positive_exit_rate"]
    if positive.get("masked") is not True:
        others = [by_reason[key] for key in ("emploi_durable", "emploi_transition")]
        assert None in others, "the positive exits minus the shown positive reasons would give the 3 back"
    assert sum(shown.values()) != data["exits"] or data["exits"] is None
    # The JSON shape of a masked rate.
    masked_rate = {"value": None, "numerator": None, "denominator": None, "masked": True}
    assert all(
        value == masked_rate or value["value"] is not None or value["denominator"] == 0
        for value in data["deadlines"].values()
    )


@pytest.mark.django_db
def test_a_masked_reduction_reason_cannot_be_recovered_from_the_contracts_below_15_hours():
    from accompaniment.enums import HoursReductionReason

    cohort = Cohort()
    signed = datetime.date(2026, 8, 1)
    cohort.contracts(cohort.files(20), signed_on=signed, weekly_hours=15)
    # A reason recorded on a contract at 15 h reduces nothing: not a reduction.
    cohort.contracts(cohort.files(2), signed_on=signed, weekly_hours=15, reduction=HoursReductionReason.OTHER)
    cohort.contracts(cohort.files(3), signed_on=signed, weekly_hours=10, reduction=HoursReductionReason.HEALTH)
    cohort.contracts(cohort.files(9), signed_on=signed, weekly_hours=12, reduction=HoursReductionReason.OTHER)

    period, as_of = parse_quarter("2026-Q3"), datetime.date(2026, 11, 30)
    assert report.build(period, None, as_of, mask_threshold=0)["contracts"]["reductions_by_reason"] == {
        "health": 3,
        "disability": 0,
        "single_parent_no_childcare": 0,
        "other": 9,
    }
    inspected = {}
    contracts = report.build(period, None, as_of, mask_threshold=5, inspect=inspected)["contracts"]

    # 34 contracts, 22 at 15 h or more: 12 below, each with a reason. Showing « other: 9 » would give the 3 back.
    assert contracts["signed"] == 34 and contracts["at_least_15_hours"]["denominator"] == 34
    assert contracts["reductions_by_reason"]["health"] is None
    assert contracts["reductions_by_reason"]["other"] is None
    derivable = known(inspected["cells"], inspected["masked"])
    assert ("contracts", "reductions_by_reason", "health") not in derivable
