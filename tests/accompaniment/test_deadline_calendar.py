"""Due times are computed in Python when the clock starts, calendar-correct, and stored timezone-aware: a
day-based rule is due at the end of its due day in Europe/Paris; hours are elapsed hours across
daylight-saving changes. The stored times read back the same on SQLite and PostgreSQL (this module runs on
whichever DATABASE_URL names: SQLite locally, PostgreSQL in CI)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accompaniment import deadline_engine as engine
from accompaniment.enums import DeadlineState, DelayUnit, WarningUnit
from accompaniment.models import Deadline, DeadlineRule
from tests.factories import BeneficiaryFactory

PARIS = ZoneInfo("Europe/Paris")


def paris(*args):
    return datetime.datetime(*args, tzinfo=PARIS)


def times(start, delay, unit, warning=3, warning_unit=WarningUnit.DAYS):
    return engine.clock_times(start, delay=delay, unit=unit, warning=warning, warning_unit=warning_unit)


@pytest.mark.parametrize(
    ("start", "due_day"),
    [
        (datetime.date(2025, 1, 31), datetime.date(2025, 2, 28)),
        (datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)),
        (datetime.date(2028, 1, 31), datetime.date(2028, 2, 29)),  # a leap year
        (datetime.date(2026, 1, 30), datetime.date(2026, 2, 28)),
        (datetime.date(2026, 3, 31), datetime.date(2026, 4, 30)),
        (datetime.date(2026, 12, 15), datetime.date(2027, 1, 15)),
        (datetime.date(2026, 2, 28), datetime.date(2026, 3, 28)),
    ],
)
def test_one_calendar_month_from_a_month_end_is_the_last_day_of_the_next_month(start, due_day):
    assert times(start, 1, DelayUnit.MONTHS).due_at.date() == due_day


def test_six_and_twelve_calendar_months_keep_the_day_or_the_month_end():
    assert times(datetime.date(2026, 8, 31), 6, DelayUnit.MONTHS).due_at.date() == datetime.date(2027, 2, 28)
    assert times(datetime.date(2027, 8, 31), 6, DelayUnit.MONTHS).due_at.date() == datetime.date(2028, 2, 29)
    assert times(datetime.date(2026, 5, 10), 12, DelayUnit.MONTHS).due_at.date() == datetime.date(2027, 5, 10)


def test_a_day_rule_starts_at_midnight_and_is_due_at_the_end_of_its_due_day_in_paris():
    clock = times(datetime.date(2026, 9, 5), 42, DelayUnit.DAYS)
    assert clock.starts_at == paris(2026, 9, 5, 0, 0)
    assert clock.due_at == datetime.datetime.combine(datetime.date(2026, 10, 17), datetime.time.max, tzinfo=PARIS)
    # Summer time: the end of the day is 21:59:59.999999 UTC; in winter, 22:59:59.999999 UTC.
    assert clock.due_at.astimezone(datetime.UTC).hour == 21
    winter = times(datetime.date(2026, 11, 1), 15, DelayUnit.DAYS)
    assert winter.due_at.astimezone(datetime.UTC).hour == 22


def test_the_warning_starts_three_calendar_days_before_the_due_day_ends():
    clock = times(datetime.date(2026, 9, 5), 42, DelayUnit.DAYS)
    assert timezone.localtime(clock.warns_at).date() == datetime.date(2026, 10, 14)
    assert clock.state_at(paris(2026, 10, 14, 23, 0)) == DeadlineState.PENDING
    assert clock.state_at(paris(2026, 10, 15, 6, 0)) == DeadlineState.DUE_SOON
    assert clock.state_at(paris(2026, 10, 17, 23, 59)) == DeadlineState.DUE_SOON
    assert clock.state_at(paris(2026, 10, 18, 0, 0)) == DeadlineState.OVERDUE


def test_twenty_four_hours_are_elapsed_hours_across_the_spring_daylight_saving_change():
    # Sunday 29 March 2026, 02:00 → 03:00 in Paris: the day has 23 hours.
    clock = times(paris(2026, 3, 28, 12, 0), 24, DelayUnit.HOURS, warning=6, warning_unit=WarningUnit.HOURS)
    assert clock.due_at == paris(2026, 3, 29, 13, 0)
    assert clock.due_at.astimezone(datetime.UTC) - clock.starts_at.astimezone(datetime.UTC) == datetime.timedelta(
        hours=24
    )
    assert clock.warns_at == paris(2026, 3, 29, 7, 0)


def test_twenty_four_hours_are_elapsed_hours_across_the_autumn_daylight_saving_change():
    # Sunday 25 October 2026, 03:00 → 02:00: the day has 25 hours.
    clock = times(paris(2026, 10, 24, 12, 0), 24, DelayUnit.HOURS, warning=6, warning_unit=WarningUnit.HOURS)
    assert clock.due_at == paris(2026, 10, 25, 11, 0)
    assert clock.due_at.astimezone(datetime.UTC) - clock.starts_at.astimezone(datetime.UTC) == datetime.timedelta(
        hours=24
    )


def test_a_warning_longer_than_the_delay_starts_with_the_clock():
    clock = times(datetime.date(2026, 9, 1), 7, DelayUnit.DAYS, warning=30)
    assert clock.warns_at == clock.starts_at


# Stored, then compared by the database ----------------------------------------------------------------
@pytest.fixture
def month_rule(db):
    return DeadlineRule.objects.get(code="referent_1m", sector=None)


def _store(rule, start, file):
    clock = times(start, rule.delay, rule.delay_unit)
    return Deadline.objects.create(
        rule=rule,
        rule_code=rule.code,
        subject_type="accompaniment.beneficiary",
        subject_id=file.pk,
        beneficiary=file,
        starts_at=clock.starts_at,
        warns_at=clock.warns_at,
        due_at=clock.due_at,
        created_at=timezone.now(),
    )


@pytest.mark.parametrize(
    ("year", "last_day"),
    [(2026, 28), (2028, 29)],
)
def test_the_database_sees_a_31_january_deadline_due_on_the_last_day_of_february(month_rule, year, last_day):
    """The due time computed in Python is stored and compared in SQL, on SQLite as on PostgreSQL: still due
    during the last day of February, overdue from 1 March."""
    file = BeneficiaryFactory()
    deadline = _store(month_rule, datetime.date(year, 1, 31), file)
    deadline.refresh_from_db()
    assert timezone.localtime(deadline.due_at).date() == datetime.date(year, 2, last_day)

    def stored_state_at(moment):
        return Deadline.objects.with_state_at(moment).values_list("state_at", flat=True).get(pk=deadline.pk)

    assert stored_state_at(paris(year, 2, last_day, 23, 59)) == DeadlineState.DUE_SOON
    assert stored_state_at(paris(year, 3, 1, 0, 0, 1)) == DeadlineState.OVERDUE
    assert Deadline.objects.filter(due_at__date=datetime.date(year, 2, last_day)).exists()


def test_the_check_derives_the_month_end_due_date_from_the_rights_opening_date(db):
    """The whole path: a clock started from a stored date, computed in Python, read back from the database."""
    file = BeneficiaryFactory(rights_opened_on=datetime.date(2026, 1, 31), flux_date=datetime.date(2026, 2, 3))
    engine.run_check(now=paris(2026, 2, 10, 6, 0))
    deadline = Deadline.objects.get(beneficiary=file, rule_code="referent_1m")
    assert timezone.localtime(deadline.starts_at) == paris(2026, 1, 31, 0, 0)
    assert timezone.localtime(deadline.due_at).date() == datetime.date(2026, 2, 28)
