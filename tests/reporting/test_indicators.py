"""SPEC §7 indicators on hand-built cohorts: exact expected values."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accompaniment.enums import ExitReason, HoursReductionReason, InterviewKind
from orientation.enums import Pathway
from reporting import report
from reporting.indicators import Perimeter
from reporting.periods import parse_quarter
from tests.factories import SectorFactory
from tests.orientation.factories import OrientationFactory

from .cohorts import Cohort

pytestmark = pytest.mark.django_db

Q3 = parse_quarter("2026-Q3")
AS_OF = datetime.date(2026, 11, 30)


def build(period=Q3, perimeter=None, as_of=AS_OF, threshold=0):
    return report.build(period, perimeter, as_of, mask_threshold=threshold)


def test_positive_exit_rate_of_the_calvados_example():
    cohort = Cohort()
    exited_on = datetime.date(2026, 8, 20)
    cohort.exits(cohort.files(300), reason=ExitReason.EMPLOI_DURABLE, exited_on=exited_on)
    cohort.exits(cohort.files(250), reason=ExitReason.EMPLOI_TRANSITION, exited_on=exited_on)
    cohort.exits(cohort.files(158), reason=ExitReason.FORMATION, exited_on=exited_on)
    cohort.exits(cohort.files(660), reason=ExitReason.AUTRE_ACCOMPAGNEMENT, exited_on=exited_on)
    cohort.exits(cohort.files(415), reason=ExitReason.ABANDON, exited_on=exited_on)
    # Outside the quarter, or after the as-of date: left out.
    cohort.exits(cohort.files(7), reason=ExitReason.FORMATION, exited_on=datetime.date(2026, 6, 30))
    cohort.exits(cohort.files(9), reason=ExitReason.FORMATION, exited_on=datetime.date(2026, 9, 30))

    data = build(as_of=datetime.date(2026, 9, 29))

    assert data["exits"] == 1783
    assert data["positive_exit_rate"] == {"value": 0.397, "numerator": 708, "denominator": 1783}
    assert data["exits_by_reason"]["autre_accompagnement"] == 660
    assert data["exits_by_reason"]["demenagement"] == 0


def test_new_entrants_and_orientation_rate():
    cohort = Cohort()
    entrants = cohort.files(8, rights_opened_on=datetime.date(2026, 7, 3))
    cohort.files(2, rights_opened_on=datetime.date(2026, 6, 30))  # previous quarter
    cohort.files(3, rights_opened_on=datetime.date(2026, 8, 1), rights_and_duties=False)  # not subject to R&D
    for file in entrants[:5]:
        OrientationFactory(beneficiary=file, decided_on=datetime.date(2026, 8, 10))
    OrientationFactory(beneficiary=entrants[5], decided_on=datetime.date(2026, 12, 5))  # after the as-of date

    data = build()

    assert data["new_entrants"] == 8
    assert data["orientation_rate"] == {"value": 0.625, "numerator": 5, "denominator": 8}
    assert data["orientations_by_pathway"] == {"emploi": 5, "social_pro": 0, "remobilisation": 0}
    assert data["trend"]["2026-Q2"]["new_entrants"] == 2


def test_deadline_rates_leave_out_what_is_not_yet_due_and_what_was_cancelled():
    cohort = Cohort()
    files = cohort.files(10)
    start, due = datetime.date(2026, 7, 10), datetime.date(2026, 8, 21)
    cohort.deadlines(
        files[:4], rule_code="orientation_6w", starts_on=start, due_on=due, met_on=datetime.date(2026, 8, 1)
    )
    cohort.deadlines(
        files[4:5], rule_code="orientation_6w", starts_on=start, due_on=due, met_on=datetime.date(2026, 9, 3)
    )
    cohort.deadlines(files[5:6], rule_code="orientation_6w", starts_on=start, due_on=due)  # due, unmet
    cohort.deadlines(files[6:7], rule_code="orientation_6w", starts_on=start, due_on=due, cancelled_on=start)
    # Started in the quarter, due after the as-of date: left out even though met.
    cohort.deadlines(
        files[7:8],
        rule_code="orientation_6w",
        starts_on=datetime.date(2026, 9, 28),
        due_on=datetime.date(2026, 12, 9),
        met_on=datetime.date(2026, 10, 1),
    )
    # Started before the quarter: left out.
    cohort.deadlines(files[8:9], rule_code="orientation_6w", starts_on=datetime.date(2026, 6, 1), due_on=due)

    data = build()

    assert data["oriented_within_6_weeks_rate"] == {"value": 0.667, "numerator": 4, "denominator": 6}
    assert data["deadlines"]["orientation_6w"] == data["oriented_within_6_weeks_rate"]
    assert data["referent_within_1_month_rate"] == {"value": None, "numerator": 0, "denominator": 0}
    assert set(data["deadlines"]) >= {"orientation_6w", "referent_1m", "entry_15d", "contract_1m"}


def test_accompaniment_stock_duration_contracts_and_access_to_rights():
    cohort = Cohort()
    cohort.episodes(cohort.files(6), started_on=datetime.date(2026, 3, 1))  # open at quarter end
    cohort.episodes(cohort.files(2), started_on=datetime.date(2026, 10, 1))  # started after the quarter
    # Two episodes closed in the quarter: 182 and 244 days → (182 + 244) / 2 / 30.4375 = 7.0 months.
    cohort.exits(
        cohort.files(1),
        reason=ExitReason.FORMATION,
        started_on=datetime.date(2026, 2, 1),
        exited_on=datetime.date(2026, 8, 2),
    )
    cohort.exits(
        cohort.files(1),
        reason=ExitReason.ABANDON,
        started_on=datetime.date(2026, 1, 1),
        exited_on=datetime.date(2026, 9, 2),
    )
    signed = datetime.date(2026, 8, 1)
    cohort.contracts(cohort.files(7), signed_on=signed, weekly_hours=15)
    cohort.contracts(cohort.files(2), signed_on=signed, weekly_hours=10, reduction=HoursReductionReason.HEALTH)
    cohort.contracts(cohort.files(1), signed_on=signed, weekly_hours=0, reduction=HoursReductionReason.DISABILITY)
    caf = cohort.files(10)
    cohort.interviews(caf[:2], kind=InterviewKind.CAF_RIGHTS, held_on=signed, complementary_rights=["css"])
    cohort.interviews(caf[2:], kind=InterviewKind.CAF_RIGHTS, held_on=signed)

    data = build()

    assert data["active_accompaniments"] == 6
    assert data["mean_accompaniment_months"] == 7.0
    assert data["contracts"]["signed"] == 10
    assert data["contracts"]["at_least_15_hours"] == {"value": 0.7, "numerator": 7, "denominator": 10}
    assert data["contracts"]["reductions_by_reason"] == {
        "health": 2,
        "disability": 1,
        "single_parent_no_childcare": 0,
        "other": 0,
    }
    assert data["access_to_rights"] == {"value": 0.2, "numerator": 2, "denominator": 10}


def test_sector_and_pathway_perimeters():
    north, south = SectorFactory(code="NORD"), SectorFactory(code="SUD")
    cohort = Cohort()
    in_north = cohort.files(6, sector=north)
    cohort.files(4, sector=south)
    OrientationFactory(beneficiary=in_north[0], pathway=Pathway.SOCIAL_PRO, decided_on=datetime.date(2026, 8, 1))

    assert build(perimeter=Perimeter(sector=north))["new_entrants"] == 6
    assert build(perimeter=Perimeter(sector=south))["new_entrants"] == 4
    assert build(perimeter=Perimeter(pathway=Pathway.SOCIAL_PRO))["new_entrants"] == 1
    assert build()["perimeter"]["label"] == "Tout le Département"


def test_the_number_of_statements_does_not_grow_with_the_data():
    cohort = Cohort()

    def statements():
        with CaptureQueriesContext(connection) as queries:
            build()
        return len(queries)

    cohort.exits(cohort.files(3), reason=ExitReason.FORMATION, exited_on=datetime.date(2026, 8, 2))
    few = statements()
    cohort.exits(cohort.files(60), reason=ExitReason.ABANDON, exited_on=datetime.date(2026, 8, 2))
    cohort.contracts(cohort.files(40), signed_on=datetime.date(2026, 8, 1))
    assert statements() == few
