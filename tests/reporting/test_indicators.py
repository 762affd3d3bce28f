"""SPEC §7 indicators on hand-built cohorts: exact expected values."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accompaniment.enums import ActivityStatus, ExitReason, HoursReductionReason, InterviewKind, InterviewStatus
from orientation.enums import Pathway
from reporting import report
from reporting.indicators import Perimeter
from reporting.periods import parse_quarter
from tests.factories import OrganisationFactory, SectorFactory, UserFactory
from tests.orientation.factories import OrientationFactory

from .cohorts import Cohort, provider

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


# Exact values of every SPEC §7 indicator ---------------------------------------------------------------------
def rate(numerator, denominator):
    return {
        "value": round(numerator / denominator, 3) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def test_referent_entry_and_contract_rates_are_the_deadlines_met_on_time_among_those_due():
    north = SectorFactory(code="NORD")
    cohort = Cohort(sector=north)
    start = datetime.date(2026, 7, 10)

    def deadlines(rule_code, *, on_time=0, late=0, unmet=0, cancelled=0, not_yet_due=0, due=datetime.date(2026, 8, 10)):
        cohort.deadlines(cohort.files(on_time), rule_code=rule_code, starts_on=start, due_on=due, met_on=due)
        late_on = due + datetime.timedelta(days=3)
        cohort.deadlines(cohort.files(late), rule_code=rule_code, starts_on=start, due_on=due, met_on=late_on)
        cohort.deadlines(cohort.files(unmet), rule_code=rule_code, starts_on=start, due_on=due)
        cohort.deadlines(cohort.files(cancelled), rule_code=rule_code, starts_on=start, due_on=due, cancelled_on=start)
        cohort.deadlines(
            cohort.files(not_yet_due),
            rule_code=rule_code,
            starts_on=start,
            due_on=datetime.date(2026, 12, 10),
            met_on=datetime.date(2026, 8, 1),
        )

    deadlines("referent_1m", on_time=5, late=2, unmet=1, cancelled=1, not_yet_due=1)
    deadlines("entry_15d", on_time=3, late=1, cancelled=2)
    deadlines("contract_1m", unmet=2, late=1, not_yet_due=3)
    # Met after the as-of date: not yet met on that date (due and unmet).
    cohort.deadlines(
        cohort.files(1),
        rule_code="entry_15d",
        starts_on=start,
        due_on=datetime.date(2026, 12, 20),
        met_on=datetime.date(2026, 12, 1),
    )
    cohort.deadlines(
        cohort.files(1), rule_code="entry_15d", starts_on=start, due_on=datetime.date(2026, 11, 20), met_on=None
    )

    data = build()

    assert data["referent_within_1_month_rate"] == {"value": 0.625, "numerator": 5, "denominator": 8}
    assert data["entry_within_15_days_rate"] == {"value": 0.6, "numerator": 3, "denominator": 5}
    assert data["contract_within_1_month_rate"] == {"value": 0.0, "numerator": 0, "denominator": 3}
    assert data["oriented_within_6_weeks_rate"] == {"value": None, "numerator": 0, "denominator": 0}
    assert data["deadlines"]["referent_1m"] == data["referent_within_1_month_rate"]
    assert data["deadlines"]["entry_15d"] == data["entry_within_15_days_rate"]
    assert data["deadlines"]["contract_1m"] == data["contract_within_1_month_rate"]
    assert data["deadlines_by_sector"]["NORD"]["referent_1m"] == data["referent_within_1_month_rate"]


TREND_QUARTERS = [
    ("2026-Q2", datetime.date(2026, 4, 1)),
    ("2026-Q1", datetime.date(2026, 1, 1)),
    ("2025-Q4", datetime.date(2025, 10, 1)),
    ("2025-Q3", datetime.date(2025, 7, 1)),
]
NAMED_RULES = ["orientation_6w", "referent_1m", "entry_15d", "contract_1m"]


def test_the_trend_holds_every_key_figure_of_the_four_previous_quarters():
    cohort = Cohort()
    long_ago = datetime.date(2020, 1, 1)  # files that are nobody's new entrants in the trend's quarters

    def day(first, days):
        return first + datetime.timedelta(days=days)

    expected = {}
    for index, (code, first) in enumerate(TREND_QUARTERS):
        entrants = cohort.files(6 + index, rights_opened_on=day(first, 9))
        cohort.orientations(entrants[: 2 + index], decided_on=day(first, 20))
        for position, rule_code in enumerate(NAMED_RULES):
            due = day(first, 40)
            cohort.deadlines(
                cohort.files(1 + index, rights_opened_on=long_ago),
                rule_code=rule_code,
                starts_on=day(first, 5),
                due_on=due,
                met_on=day(first, 30),
            )
            cohort.deadlines(
                cohort.files(position + 1, rights_opened_on=long_ago),
                rule_code=rule_code,
                starts_on=day(first, 5),
                due_on=due,
                met_on=day(first, 50),
            )
        # In accompaniment at the quarter's end only: they end early in the next quarter.
        cohort.episodes(
            cohort.files(3 + index, rights_opened_on=long_ago), started_on=day(first, 3), ended_on=day(first, 100)
        )
        cohort.exits(
            cohort.files(1 + index, rights_opened_on=long_ago),
            reason=ExitReason.EMPLOI_DURABLE,
            started_on=day(first, 1),
            exited_on=day(first, 60),
        )
        cohort.exits(
            cohort.files(2, rights_opened_on=long_ago),
            reason=ExitReason.ABANDON,
            started_on=day(first, 1),
            exited_on=day(first, 61),
        )
        cohort.contracts(cohort.files(4 + 2 * index, rights_opened_on=long_ago), signed_on=day(first, 15))
        expected[code] = {
            "new_entrants": 6 + index,
            "orientation_rate": rate(2 + index, 6 + index),
            "oriented_within_6_weeks_rate": rate(1 + index, 2 + index),
            "referent_within_1_month_rate": rate(1 + index, 3 + index),
            "entry_within_15_days_rate": rate(1 + index, 4 + index),
            "contract_within_1_month_rate": rate(1 + index, 5 + index),
            "active_accompaniments": 3 + index,
            "exits": 3 + index,
            "positive_exit_rate": rate(1 + index, 3 + index),
            "contracts_signed": 4 + 2 * index,
        }

    data = build()

    assert list(data["trend"]) == [code for code, _first in TREND_QUARTERS]
    assert data["trend"] == expected
    assert set(data["trend"]["2026-Q2"]) == set(report.TREND_KEYS)


def test_orientations_by_pathway_counts_each_decision_of_the_period_by_pathway():
    cohort = Cohort()
    cohort.orientations(cohort.files(3), pathway=Pathway.EMPLOI, decided_on=datetime.date(2026, 7, 2))
    reoriented = cohort.files(2)
    # A reorientation: both decisions fall in the quarter and both count.
    cohort.orientations(
        reoriented, pathway=Pathway.SOCIAL_PRO, decided_on=datetime.date(2026, 7, 5), ended_on=datetime.date(2026, 8, 1)
    )
    cohort.orientations(reoriented, pathway=Pathway.REMOBILISATION, decided_on=datetime.date(2026, 8, 1))
    cohort.orientations(cohort.files(2), pathway=Pathway.REMOBILISATION, decided_on=datetime.date(2026, 9, 20))
    cohort.orientations(cohort.files(4), pathway=Pathway.SOCIAL_PRO, decided_on=datetime.date(2026, 6, 30))  # Q2
    cohort.orientations(cohort.files(1), pathway=Pathway.EMPLOI, decided_on=datetime.date(2026, 9, 25))  # after as-of

    data = build(as_of=datetime.date(2026, 9, 21))

    assert data["orientations_by_pathway"] == {"emploi": 3, "social_pro": 2, "remobilisation": 4}


def test_exits_by_reason_lists_every_reason_with_zero_for_those_without_exits():
    cohort = Cohort()
    exited_on = datetime.date(2026, 8, 20)
    for reason, count in [
        (ExitReason.EMPLOI_DURABLE, 2),
        (ExitReason.FORMATION, 3),
        (ExitReason.AUTRE_ACCOMPAGNEMENT, 1),
        (ExitReason.FIN_DROITS, 4),
        (ExitReason.ABANDON, 5),
    ]:
        cohort.exits(cohort.files(count), reason=reason, exited_on=exited_on)
    cohort.exits(cohort.files(6), reason=ExitReason.EMPLOI_TRANSITION, exited_on=datetime.date(2026, 10, 2))

    data = build()

    assert data["exits_by_reason"] == {
        "emploi_durable": 2,
        "emploi_transition": 0,
        "formation": 3,
        "autre_accompagnement": 1,
        "demenagement": 0,
        "fin_droits": 4,
        "abandon": 5,
        "autre": 0,
    }
    assert data["exits"] == 15
    assert data["positive_exit_rate"] == {"value": 0.333, "numerator": 5, "denominator": 15}


def test_mean_accompaniment_months_is_the_mean_duration_of_the_episodes_closed_in_the_period():
    cohort = Cohort()
    ended = datetime.date(2026, 9, 10)
    # 100, 200 and 45 days: 115 days on average, / 30.4375 = 3.78 → 3.8 months.
    cohort.episodes(cohort.files(1), started_on=ended - datetime.timedelta(days=100), ended_on=ended)
    cohort.episodes(cohort.files(1), started_on=ended - datetime.timedelta(days=200), ended_on=ended)
    cohort.episodes(cohort.files(1), started_on=ended - datetime.timedelta(days=45), ended_on=ended)
    # Closed in the previous quarter, after the as-of date, or still open: left out.
    cohort.episodes(cohort.files(1), started_on=datetime.date(2026, 1, 1), ended_on=datetime.date(2026, 6, 30))
    cohort.episodes(cohort.files(1), started_on=datetime.date(2025, 1, 1), ended_on=datetime.date(2026, 9, 25))
    cohort.episodes(cohort.files(1), started_on=datetime.date(2025, 1, 1))

    data = build(as_of=datetime.date(2026, 9, 20))

    assert data["mean_accompaniment_months"] == 3.8
    # No episode closed: no mean (null), and nothing is masked.
    empty = build(period=parse_quarter("2027-Q1"), as_of=datetime.date(2027, 3, 31))
    assert empty["mean_accompaniment_months"] is None
    assert "masked" not in empty


def test_contracts_count_reductions_by_reason_and_the_share_at_15_hours_or_more():
    cohort = Cohort()
    signed = datetime.date(2026, 8, 1)
    cohort.contracts(cohort.files(4), signed_on=signed, weekly_hours=15)
    cohort.contracts(cohort.files(1), signed_on=signed, weekly_hours=20)
    cohort.contracts(cohort.files(3), signed_on=signed, weekly_hours=10, reduction=HoursReductionReason.HEALTH)
    cohort.contracts(cohort.files(1), signed_on=signed, weekly_hours=5, reduction=HoursReductionReason.DISABILITY)
    cohort.contracts(
        cohort.files(2), signed_on=signed, weekly_hours=12, reduction=HoursReductionReason.SINGLE_PARENT_NO_CHILDCARE
    )
    cohort.contracts(cohort.files(4), signed_on=signed, weekly_hours=8, reduction=HoursReductionReason.OTHER)
    # Signed before the quarter, or after the as-of date: left out.
    cohort.contracts(cohort.files(2), signed_on=datetime.date(2026, 6, 30), weekly_hours=10, reduction="health")
    cohort.contracts(cohort.files(2), signed_on=datetime.date(2026, 12, 1), weekly_hours=10, reduction="other")

    contracts = build()["contracts"]

    assert contracts["signed"] == 15
    assert contracts["at_least_15_hours"] == {"value": 0.333, "numerator": 5, "denominator": 15}
    assert contracts["reductions_by_reason"] == {
        "health": 3,
        "disability": 1,
        "single_parent_no_childcare": 2,
        "other": 4,
    }


def test_access_to_rights_is_the_share_of_held_caf_interviews_that_opened_a_complementary_right():
    cohort = Cohort()
    held_on = datetime.date(2026, 8, 3)
    caf = InterviewKind.CAF_RIGHTS
    cohort.interviews(cohort.files(2), kind=caf, held_on=held_on, complementary_rights=["css"])
    cohort.interviews(cohort.files(1), kind=caf, held_on=held_on, complementary_rights=["apl", "prime_activite"])
    cohort.interviews(cohort.files(5), kind=caf, held_on=held_on)
    # Not held, held before the quarter, or of another kind: left out.
    cohort.interviews(cohort.files(4), kind=caf, held_on=held_on, status=InterviewStatus.PLANNED)
    cohort.interviews(cohort.files(3), kind=caf, held_on=datetime.date(2026, 6, 15), complementary_rights=["css"])
    cohort.interviews(cohort.files(3), kind=InterviewKind.DIAGNOSTIC, held_on=held_on, complementary_rights=["css"])

    assert build()["access_to_rights"] == {"value": 0.375, "numerator": 3, "denominator": 8}


@pytest.fixture
def two_organisations():
    """Files oriented to two lead organisations; every figure of the perimeters is known."""
    first = OrganisationFactory(code="ORG-A", name="Agence A", france_travail=True)
    second = OrganisationFactory(code="ORG-B", name="Association B")
    cohort = Cohort()
    in_first = cohort.files(4)
    cohort.orientations(in_first, organisation=first, decided_on=datetime.date(2026, 8, 1))
    moved = cohort.files(2)  # reoriented from A to B on 1 September: B's on the as-of date
    cohort.orientations(
        moved, organisation=first, decided_on=datetime.date(2026, 7, 20), ended_on=datetime.date(2026, 9, 1)
    )
    cohort.orientations(moved, organisation=second, pathway=Pathway.SOCIAL_PRO, decided_on=datetime.date(2026, 9, 1))
    in_second = cohort.files(3)
    cohort.orientations(
        in_second, organisation=second, pathway=Pathway.REMOBILISATION, decided_on=datetime.date(2026, 8, 5)
    )
    # Oriented to A after the as-of date: nobody's on that date; and five files never oriented.
    cohort.orientations(cohort.files(1), organisation=first, decided_on=datetime.date(2026, 12, 1))
    cohort.files(5)
    cohort.contracts(in_first[:3], signed_on=datetime.date(2026, 8, 20))
    cohort.contracts(moved[:1], signed_on=datetime.date(2026, 9, 10))
    cohort.exits(in_second[:1], reason=ExitReason.FORMATION, exited_on=datetime.date(2026, 9, 15))
    return first, second


def test_the_organisation_perimeter_holds_the_files_whose_orientation_in_force_has_that_lead_organisation(
    two_organisations,
):
    first, second = two_organisations

    in_first = build(perimeter=Perimeter(organisation=first))
    assert in_first["perimeter"] == {"sector": None, "organisation": "ORG-A", "pathway": None, "label": "Agence A"}
    assert in_first["new_entrants"] == 4
    assert in_first["orientation_rate"] == {"value": 1.0, "numerator": 4, "denominator": 4}
    assert in_first["orientations_by_pathway"] == {"emploi": 4, "social_pro": 0, "remobilisation": 0}
    assert in_first["contracts"]["signed"] == 3
    assert in_first["exits"] == 0

    in_second = build(perimeter=Perimeter(organisation=second))
    assert in_second["new_entrants"] == 5
    assert in_second["orientation_rate"] == {"value": 1.0, "numerator": 5, "denominator": 5}
    # The moved files' two decisions of the quarter are both theirs.
    assert in_second["orientations_by_pathway"] == {"emploi": 2, "social_pro": 2, "remobilisation": 3}
    assert in_second["contracts"]["signed"] == 1
    assert in_second["exits"] == 1 and in_second["exits_by_reason"]["formation"] == 1

    # The Département holds every file, oriented or not.
    departement = build()
    assert departement["new_entrants"] == 15
    assert departement["orientation_rate"] == {"value": 0.6, "numerator": 9, "denominator": 15}


def test_the_pathway_perimeter_holds_the_files_whose_orientation_in_force_has_that_pathway(two_organisations):
    first, second = two_organisations

    emploi = build(perimeter=Perimeter(pathway=Pathway.EMPLOI))
    assert emploi["perimeter"]["pathway"] == "emploi" and emploi["perimeter"]["label"] == "parcours emploi"
    assert emploi["new_entrants"] == 4
    assert emploi["contracts"]["signed"] == 3
    social = build(perimeter=Perimeter(pathway=Pathway.SOCIAL_PRO))
    assert social["new_entrants"] == 2
    assert social["orientations_by_pathway"] == {"emploi": 2, "social_pro": 2, "remobilisation": 0}
    assert social["contracts"]["signed"] == 1
    social_remobilisation = build(perimeter=Perimeter(pathway=Pathway.REMOBILISATION))
    assert social_remobilisation["new_entrants"] == 3
    assert social_remobilisation["exits"] == 1
    # Organisation and pathway together: both conditions on the same orientation.
    assert build(perimeter=Perimeter(organisation=second, pathway=Pathway.SOCIAL_PRO))["new_entrants"] == 2
    assert build(perimeter=Perimeter(organisation=first, pathway=Pathway.SOCIAL_PRO))["new_entrants"] == 0


# Activity hours ---------------------------------------------------------------------------------------------
@pytest.fixture
def action_plans():
    """Activities of the contracts' action plans in the third quarter of 2026, whose weeks (Mondays 6 July to 28
    September: 13 weeks) are known."""
    north, south = SectorFactory(code="NORD"), SectorFactory(code="SUD")
    cohort = Cohort(sector=north)
    signed = datetime.date(2026, 6, 25)
    # 2 files, 10 h a week for the whole quarter: 13 weeks x 10 h x 2 = 260 h.
    whole = cohort.activities(
        cohort.contracts(cohort.files(2), signed_on=signed),
        starts_on=datetime.date(2026, 7, 1),
        ends_on=datetime.date(2026, 9, 30),
        weekly_planned_hours=10,
    )
    # 5 h for the weeks of 3 and 10 August: 10 h.
    short = cohort.activities(
        cohort.contracts(cohort.files(1), signed_on=signed),
        starts_on=datetime.date(2026, 8, 3),
        ends_on=datetime.date(2026, 8, 16),
        weekly_planned_hours=5,
    )
    # 12 h from 15 July, abandoned on 5 August: weeks of 13, 20, 27 July and 3 August, 48 h.
    abandoned = cohort.activities(
        cohort.contracts(cohort.files(1), signed_on=signed),
        starts_on=datetime.date(2026, 7, 15),
        ends_on=datetime.date(2026, 12, 31),
        weekly_planned_hours=12,
        closed=(ActivityStatus.ABANDONED, datetime.date(2026, 8, 5)),
    )
    # 8 h in September, done on 2 December (after the as-of date): weeks of 31 August to 28 September, 40 h.
    cohort.activities(
        cohort.contracts(cohort.files(1, sector=south), signed_on=signed),
        starts_on=datetime.date(2026, 9, 1),
        ends_on=datetime.date(2026, 9, 30),
        weekly_planned_hours=8,
        closed=(ActivityStatus.DONE, datetime.date(2026, 12, 2)),
    )
    # Starting after the quarter's last week, or with no planned hours: nothing planned.
    cohort.activities(
        cohort.contracts(cohort.files(1), signed_on=signed),
        starts_on=datetime.date(2026, 10, 5),
        ends_on=datetime.date(2026, 12, 31),
        weekly_planned_hours=10,
    )
    cohort.activities(
        cohort.contracts(cohort.files(1), signed_on=signed),
        starts_on=datetime.date(2026, 7, 1),
        ends_on=datetime.date(2026, 9, 30),
        weekly_planned_hours=0,
    )
    # Hours done: 9.5 h each in the week of 6 July, 7 h each in the week of 28 September, 12 h in the week of 20
    # July; the week of 29 June starts before the quarter, a record of 0 h is nobody's.
    cohort.hours_done(whole, week_of=datetime.date(2026, 7, 6), hours="9.5")
    cohort.hours_done(whole, week_of=datetime.date(2026, 9, 28), hours=7)
    cohort.hours_done(abandoned, week_of=datetime.date(2026, 7, 20), hours=12)
    cohort.hours_done(whole, week_of=datetime.date(2026, 6, 29), hours=6)
    cohort.hours_done(short, week_of=datetime.date(2026, 8, 3), hours=0)
    return north


def test_activity_hours_are_the_planned_and_done_hours_of_the_weeks_of_the_period(action_plans):
    contracts = build()["contracts"]

    assert contracts["activity_hours"] == {"planned": 358.0, "done": 45.0}
    # The SPEC keys of `contracts` are unchanged.
    assert set(contracts) == {"signed", "at_least_15_hours", "reductions_by_reason", "activity_hours"}


def test_activity_hours_stop_at_the_as_of_date_and_follow_the_perimeter(action_plans):
    # As of 10 August: the weeks of 6 July to 10 August (6); the activity abandoned on 5 August stops then.
    # Planned: 6 x 10 x 2 + 2 x 5 + 4 x 12 = 178 h; done: 19 + 12 = 31 h.
    assert build(as_of=datetime.date(2026, 8, 10))["contracts"]["activity_hours"] == {"planned": 178.0, "done": 31.0}
    # The South's September activity is left out of the North.
    assert build(perimeter=Perimeter(sector=action_plans))["contracts"]["activity_hours"] == {
        "planned": 318.0,
        "done": 45.0,
    }


def test_activity_hours_of_fewer_files_than_the_threshold_are_masked(action_plans):
    # Planned hours come from 5 files: shown; hours done from 3: masked.
    hours = build(threshold=5)["contracts"]["activity_hours"]
    assert hours == {"planned": 358.0, "done": None, "masked": ["done"]}
    hours = build(threshold=6)["contracts"]["activity_hours"]
    assert hours == {"planned": None, "done": None, "masked": ["planned", "done"]}


@pytest.mark.parametrize("perimeter_kind", ["departement", "sector", "organisation", "pathway"])
def test_the_number_of_statements_does_not_grow_with_the_data_whatever_the_perimeter(perimeter_kind, marseille_sud):
    from childcare.enums import RequestKind

    lead = OrganisationFactory(code="ORG-A", name="Agence A", france_travail=True)
    creche = provider("Crèche", marseille_sud, places=20, avip=4)
    home_help = provider("Aide à domicile", marseille_sud, kind="aide_domicile", places=5, avip=5)
    agent = UserFactory(organisation=lead)
    perimeter = {
        "departement": Perimeter(),
        "sector": Perimeter(sector=marseille_sud),
        "organisation": Perimeter(organisation=lead),
        "pathway": Perimeter(pathway=Pathway.SOCIAL_PRO),
    }[perimeter_kind]
    cohort = Cohort(sector=marseille_sud)

    def grow(count):
        """`count` files of the perimeter with every kind of fact the report counts."""
        files = cohort.files(count)
        cohort.orientations(files, organisation=lead, pathway=Pathway.SOCIAL_PRO, decided_on=datetime.date(2026, 7, 20))
        cohort.referents(files, agent=agent, designated_on=datetime.date(2026, 7, 25))
        cohort.deadlines(
            files, rule_code="referent_1m", starts_on=datetime.date(2026, 7, 10), due_on=datetime.date(2026, 8, 10)
        )
        contracts = cohort.contracts(files, signed_on=datetime.date(2026, 8, 1), weekly_hours=10, reduction="health")
        activities = cohort.activities(
            contracts, starts_on=datetime.date(2026, 8, 3), ends_on=datetime.date(2026, 9, 30), weekly_planned_hours=12
        )
        cohort.hours_done(activities, week_of=datetime.date(2026, 8, 10), hours=11)
        cohort.interviews(files, kind=InterviewKind.CAF_RIGHTS, held_on=datetime.date(2026, 8, 5))
        cohort.exits(files, reason=ExitReason.FORMATION, exited_on=datetime.date(2026, 9, 2))
        cohort.placements(
            files,
            provider=creche,
            starts_on=datetime.date(2026, 7, 6),
            ended_on=datetime.date(2026, 9, 1),
            outcome="emploi",
        )
        urgent = cohort.placements(
            files, provider=home_help, starts_on=datetime.date(2026, 8, 3), kind=RequestKind.URGENCE
        )
        cohort.emergency_deadlines(urgent, starts_on=datetime.date(2026, 8, 3), met_after_hours=2)

    def statements():
        with CaptureQueriesContext(connection) as queries:
            data = build(perimeter=perimeter)
        return len(queries), data

    grow(2)
    few, data = statements()
    assert (data["new_entrants"], data["childcare"]["families_placed"], data["contracts"]["signed"]) == (2, 2, 2)
    grow(40)
    many, data = statements()
    assert (data["new_entrants"], data["childcare"]["families_placed"], data["contracts"]["signed"]) == (42, 42, 42)
    assert data["contracts"]["activity_hours"] == {"planned": 42 * 12 * 9.0, "done": 42 * 11.0}
    assert many == few
