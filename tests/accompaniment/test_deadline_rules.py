"""Each default rule of SPEC §5 starts, is met, is met late, turns overdue and is cancelled as its facts say;
rules are versioned data: a new version leaves earlier deadlines untouched, a sector version overrides the
Département's there only; clocks that started before the go-live date create no deadline."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from freezegun import freeze_time

from accompaniment import deadline_engine as engine
from accompaniment import deadlines as file_rules
from accompaniment import services
from accompaniment.enums import DeadlineState, DelayUnit, ExitReason, InterviewKind, InterviewStatus, RightsState
from accompaniment.models import Deadline, DeadlineRule
from orientation.enums import BarrierCategoryCode, BarrierLevel, OrientationEndReason, Pathway
from orientation.services import diagnostic_record, orientation_decide, orientation_notify, orientation_reorient
from partners.enums import Role
from tests.factories import BeneficiaryFactory, UserFactory, commune

PARIS = ZoneInfo("Europe/Paris")
pytestmark = [pytest.mark.usefixtures("_frozen"), pytest.mark.django_db]


@pytest.fixture
def _frozen():
    # Journey services refuse dates in the future: "today" is 20 November 2026 for them.
    with freeze_time("2026-11-20 10:00:00"):
        yield


def day(month, dd, year=2026):
    return datetime.date(year, month, dd)


def check(on, hour=6):
    """The check as of 06:00 (Paris) on that day."""
    return engine.run_check(now=datetime.datetime.combine(on, datetime.time(hour), tzinfo=PARIS))


def deadlines(file, code):
    return list(Deadline.objects.filter(beneficiary=file, rule_code=code).order_by("starts_at", "id"))


def the_deadline(file, code):
    found = deadlines(file, code)
    assert len(found) == 1, found
    return found[0]


def local_day(moment):
    return timezone.localtime(moment).date()


@pytest.fixture
def officer(departement):
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])


@pytest.fixture
def file(referent):
    return BeneficiaryFactory(created_by=referent, rights_opened_on=day(8, 31), flux_date=day(9, 5))


def decide(file, on, by, organisation, pathway=Pathway.SOCIAL_PRO):
    return orientation_decide(beneficiary=file, pathway=pathway, organisation=organisation, decided_on=on, by=by)


def held(file, by, on, kind=InterviewKind.ACCOMPANIMENT):
    return services.interview_record(
        beneficiary=file,
        by=by,
        kind=kind,
        scheduled_for=datetime.datetime.combine(on, datetime.time(9, 30), tzinfo=PARIS),
        status=InterviewStatus.HELD,
        held_on=on,
    )


def sign(file, by, on):
    return services.contract_sign(
        beneficiary=file, by=by, signed_on=on, starts_on=on, ends_on=on + datetime.timedelta(days=180)
    )


# orientation_6w: 42 days from the flux date, met by an orientation -------------------------------------
def test_orientation_clock_starts_at_the_flux_date_and_is_due_42_days_later(file):
    check(day(9, 10))
    deadline = the_deadline(file, "orientation_6w")
    assert timezone.localtime(deadline.starts_at) == datetime.datetime(2026, 9, 5, tzinfo=PARIS)
    assert local_day(deadline.due_at) == day(10, 17)
    assert deadline.state == DeadlineState.PENDING
    assert deadline.rule == DeadlineRule.objects.get(code="orientation_6w")


def test_orientation_decided_in_time_meets_the_clock(file, officer, departement):
    decide(file, day(10, 1), officer, departement)
    check(day(10, 20))
    deadline = the_deadline(file, "orientation_6w")
    assert deadline.state == DeadlineState.MET
    assert local_day(deadline.met_at) == day(10, 1)


def test_orientation_decided_after_the_due_day_meets_the_clock_late(file, officer, departement):
    check(day(10, 18))
    assert the_deadline(file, "orientation_6w").state == DeadlineState.OVERDUE
    decide(file, day(10, 20), officer, departement)
    check(day(10, 25))
    deadline = the_deadline(file, "orientation_6w")
    assert deadline.state == DeadlineState.MET_LATE
    assert local_day(deadline.met_at) == day(10, 20)


def test_orientation_clock_is_due_soon_three_days_before_and_overdue_the_day_after(file):
    check(day(10, 14))
    assert the_deadline(file, "orientation_6w").state == DeadlineState.PENDING
    check(day(10, 15))
    assert the_deadline(file, "orientation_6w").state == DeadlineState.DUE_SOON
    check(day(10, 17), hour=23)
    assert the_deadline(file, "orientation_6w").state == DeadlineState.DUE_SOON
    check(day(10, 18), hour=0)
    assert the_deadline(file, "orientation_6w").state == DeadlineState.OVERDUE


def test_an_exit_cancels_the_running_orientation_clock(file, referent):
    check(day(9, 10))
    services.exit_record(beneficiary=file, exited_on=day(9, 20), reason=ExitReason.DEMENAGEMENT, by=referent)
    check(day(10, 20))
    deadline = the_deadline(file, "orientation_6w")
    assert deadline.state == DeadlineState.CANCELLED
    assert deadline.cancel_reason == "exit"
    assert local_day(deadline.cancelled_at) == day(9, 20)


def test_a_closed_right_cancels_every_running_clock(file, referent):
    check(day(9, 10))
    services.beneficiary_update(beneficiary=file, by=referent, rights_state=RightsState.CLOSED)
    report = check(day(9, 12))
    for code in ("orientation_6w", "referent_1m"):
        deadline = the_deadline(file, code)
        assert (deadline.state, deadline.cancel_reason) == (DeadlineState.CANCELLED, "out_of_scope")
    assert report.cancelled["out_of_scope"] == 2


def test_a_clock_that_started_before_the_go_live_date_creates_no_deadline(referent, settings):
    settings.PARCOURS_GO_LIVE_DATE = day(9, 1)
    old = BeneficiaryFactory(rights_opened_on=day(8, 20), flux_date=day(8, 25))
    recent = BeneficiaryFactory(rights_opened_on=day(9, 1), flux_date=day(9, 3))
    check(day(9, 10))
    assert not Deadline.objects.filter(beneficiary=old).exists()
    assert {d.rule_code for d in recent.deadlines.all()} == {"orientation_6w", "referent_1m"}


def test_a_file_whose_right_opened_in_2018_raises_no_2018_breach(referent):
    BeneficiaryFactory(rights_opened_on=datetime.date(2018, 3, 1), flux_date=datetime.date(2018, 3, 5))
    report = check(day(11, 20))
    assert not Deadline.objects.exists()
    assert not report.alerts.total()


def test_a_new_flux_date_restarts_the_orientation_clock(file, referent):
    check(day(9, 10))
    services.beneficiary_update(beneficiary=file, by=referent, flux_date=day(10, 1))
    check(day(10, 2))
    old, new = deadlines(file, "orientation_6w")
    assert (old.state, old.cancel_reason) == (DeadlineState.CANCELLED, "restarted")
    assert local_day(old.cancelled_at) == day(10, 1)
    assert local_day(new.due_at) == day(11, 12) and new.state == DeadlineState.PENDING


# referent_1m: 1 calendar month from the rights opening, met by a referent's designation ----------------
def test_referent_clock_is_due_one_calendar_month_after_the_rights_opening(file):
    check(day(9, 10))
    assert local_day(the_deadline(file, "referent_1m").due_at) == day(9, 30)  # 31 August + 1 month


def test_referent_designated_in_time_meets_the_clock(file, officer, referent, departement):
    decide(file, day(9, 10), officer, departement)
    services.referent_designate(beneficiary=file, agent=referent, designated_on=day(9, 20), by=officer)
    check(day(10, 5))
    deadline = the_deadline(file, "referent_1m")
    assert deadline.state == DeadlineState.MET and local_day(deadline.met_at) == day(9, 20)


def test_referent_designated_late_meets_the_clock_late(file, officer, referent, departement):
    decide(file, day(9, 10), officer, departement)
    check(day(10, 1))
    assert the_deadline(file, "referent_1m").state == DeadlineState.OVERDUE
    services.referent_designate(beneficiary=file, agent=referent, designated_on=day(10, 5), by=officer)
    check(day(10, 6))
    assert the_deadline(file, "referent_1m").state == DeadlineState.MET_LATE


def test_a_person_no_longer_subject_to_rights_and_duties_cancels_the_referent_clock(file, referent):
    check(day(9, 10))
    services.beneficiary_update(beneficiary=file, by=referent, rights_and_duties=False)
    check(day(9, 11))
    deadline = the_deadline(file, "referent_1m")
    assert (deadline.state, deadline.cancel_reason) == (DeadlineState.CANCELLED, "out_of_scope")


# entry_15d: 15 days from the orientation, met by a held accompaniment interview -------------------------
@pytest.fixture
def oriented(file, officer, departement):
    return decide(file, day(10, 1), officer, departement)


def test_entry_clock_starts_with_the_orientation_and_is_due_15_days_later(file, oriented):
    check(day(10, 2))
    deadline = the_deadline(file, "entry_15d")
    assert local_day(deadline.starts_at) == day(10, 1) and local_day(deadline.due_at) == day(10, 16)
    assert deadline.source_id == oriented.pk


def test_a_held_accompaniment_interview_meets_the_entry_clock(file, oriented, referent):
    held(file, referent, day(10, 10))
    check(day(10, 20))
    assert the_deadline(file, "entry_15d").state == DeadlineState.MET


def test_a_diagnostic_interview_does_not_meet_the_entry_clock(file, oriented, referent):
    held(file, referent, day(10, 10), kind=InterviewKind.DIAGNOSTIC)
    check(day(10, 20))
    assert the_deadline(file, "entry_15d").state == DeadlineState.OVERDUE


def test_an_accompaniment_interview_after_the_due_day_meets_the_entry_clock_late(file, oriented, referent):
    held(file, referent, day(10, 20))
    check(day(10, 21))
    assert the_deadline(file, "entry_15d").state == DeadlineState.MET_LATE


def test_a_new_orientation_cancels_and_restarts_the_entry_clock(file, oriented, officer, departement):
    check(day(10, 5))
    orientation_reorient(
        beneficiary=file,
        pathway=Pathway.EMPLOI,
        organisation=departement,
        decided_on=day(10, 10),
        by=officer,
        reason="Projet professionnel précisé",
    )
    check(day(10, 17))
    old, new = deadlines(file, "entry_15d")
    assert (old.state, old.cancel_reason) == (DeadlineState.CANCELLED, "new_orientation")
    assert local_day(old.cancelled_at) == day(10, 10)
    assert local_day(new.starts_at) == day(10, 10) and local_day(new.due_at) == day(10, 25)
    assert new.state == DeadlineState.PENDING


def test_an_exit_cancels_the_entry_clock(file, oriented, referent):
    check(day(10, 5))
    services.exit_record(beneficiary=file, exited_on=day(10, 8), reason=ExitReason.ABANDON, by=referent)
    check(day(10, 20))
    deadline = the_deadline(file, "entry_15d")
    assert (deadline.state, deadline.cancel_reason) == (DeadlineState.CANCELLED, "exit")


# contract_1m: 1 calendar month from the notification, met by a signed contract ----------------------------
@pytest.fixture
def notified(oriented, officer):
    orientation_notify(orientation=oriented, notified_on=day(10, 3), by=officer)
    return oriented


def test_contract_clock_starts_at_the_notification_and_is_due_one_month_later(file, notified):
    check(day(10, 4))
    deadline = the_deadline(file, "contract_1m")
    assert local_day(deadline.starts_at) == day(10, 3) and local_day(deadline.due_at) == day(11, 3)


def test_no_contract_clock_before_the_notification(file, oriented):
    check(day(10, 20))
    assert not deadlines(file, "contract_1m")


def test_a_contract_signed_in_the_month_meets_the_clock(file, notified, referent):
    sign(file, referent, day(10, 20))
    check(day(11, 10))
    assert the_deadline(file, "contract_1m").state == DeadlineState.MET


def test_a_contract_signed_between_decision_and_notification_meets_the_clock_at_its_start(file, oriented, referent):
    sign(file, referent, day(10, 2))
    orientation_notify(orientation=oriented, notified_on=day(10, 3), by=referent)
    check(day(10, 4))
    deadline = the_deadline(file, "contract_1m")
    assert deadline.state == DeadlineState.MET and deadline.met_at == deadline.starts_at


def test_a_contract_signed_after_the_month_meets_the_clock_late(file, notified, referent):
    check(day(11, 4))
    assert the_deadline(file, "contract_1m").state == DeadlineState.OVERDUE
    sign(file, referent, day(11, 10))
    check(day(11, 11))
    assert the_deadline(file, "contract_1m").state == DeadlineState.MET_LATE


def test_a_new_orientation_cancels_the_contract_clock_which_restarts_at_its_notification(
    file, notified, officer, departement
):
    check(day(10, 4))
    new = orientation_reorient(
        beneficiary=file,
        pathway=Pathway.EMPLOI,
        organisation=departement,
        decided_on=day(10, 15),
        by=officer,
        reason="Reprise d'emploi envisagée",
    )
    check(day(10, 16))
    (old,) = deadlines(file, "contract_1m")
    assert (old.state, old.cancel_reason) == (DeadlineState.CANCELLED, "new_orientation")
    orientation_notify(orientation=new, notified_on=day(10, 17), by=officer)
    check(day(10, 18))
    old, restarted = deadlines(file, "contract_1m")
    assert local_day(restarted.due_at) == day(11, 17) and restarted.source_id == new.pk


# social_review_6m: 6 months after the contract on the social pathway (12 with a vulnerability) ---------------
@pytest.fixture
def remobilisation(file, officer, departement):
    orientation = decide(file, day(5, 1), officer, departement, pathway=Pathway.REMOBILISATION)
    return orientation


def test_social_review_clock_starts_at_the_contract_of_a_social_pathway(file, remobilisation, referent):
    sign(file, referent, day(5, 10))
    check(day(5, 11))
    deadline = the_deadline(file, "social_review_6m")
    assert local_day(deadline.starts_at) == day(5, 10) and local_day(deadline.due_at) == day(11, 10)


def test_social_review_is_due_after_12_months_with_a_vulnerability(file, remobilisation, referent):
    diagnostic_record(
        beneficiary=file,
        by=referent,
        barriers={BarrierCategoryCode.HOUSING: {"level": BarrierLevel.STRONG}},
        held_on=day(5, 5),
    )
    sign(file, referent, day(5, 10))
    check(day(5, 11))
    assert local_day(the_deadline(file, "social_review_6m").due_at) == day(5, 10, year=2027)


def test_no_social_review_clock_on_other_pathways(file, oriented, referent):
    sign(file, referent, day(10, 5))
    check(day(10, 6))
    assert not deadlines(file, "social_review_6m")


def test_a_review_held_in_time_meets_the_social_review_clock(file, remobilisation, referent):
    sign(file, referent, day(5, 10))
    held(file, referent, day(10, 30), kind=InterviewKind.REVIEW)
    check(day(11, 15))
    assert the_deadline(file, "social_review_6m").state == DeadlineState.MET


def test_a_review_held_after_six_months_meets_the_social_review_clock_late(file, remobilisation, referent):
    sign(file, referent, day(5, 10))
    check(day(11, 11))
    assert the_deadline(file, "social_review_6m").state == DeadlineState.OVERDUE
    held(file, referent, day(11, 15), kind=InterviewKind.REVIEW)
    check(day(11, 16))
    assert the_deadline(file, "social_review_6m").state == DeadlineState.MET_LATE


def test_a_reorientation_cancels_the_social_review_clock(file, remobilisation, referent, officer, departement):
    sign(file, referent, day(5, 10))
    check(day(5, 11))
    orientation_reorient(
        beneficiary=file,
        pathway=Pathway.SOCIAL_PRO,
        organisation=departement,
        decided_on=day(8, 1),
        by=officer,
        reason="Freins levés",
    )
    check(day(8, 2))
    deadline = the_deadline(file, "social_review_6m")
    assert (deadline.state, deadline.cancel_reason) == (DeadlineState.CANCELLED, "new_orientation")


# caf_rights_7d: off by default; enabled, 7 days from the rights opening, met by a CAF rights interview -------
def test_the_caf_rights_rule_is_off_by_default(file):
    check(day(9, 10))
    assert not deadlines(file, "caf_rights_7d")
    assert not DeadlineRule.objects.get(code="caf_rights_7d").enabled


@pytest.fixture
def caf_rule_enabled(db):
    default = DeadlineRule.objects.get(code="caf_rights_7d")
    return DeadlineRule.objects.create(
        code=default.code,
        label=default.label,
        subject=default.subject,
        start_event=default.start_event,
        met_by=default.met_by,
        cancelled_by=default.cancelled_by,
        delay=7,
        delay_unit=DelayUnit.DAYS,
        enabled=True,
        effective_from=day(6, 1),
    )


def test_once_enabled_the_caf_rights_clock_is_met_by_a_held_rights_interview(file, caf_rule_enabled, referent):
    held(file, referent, day(9, 4), kind=InterviewKind.CAF_RIGHTS)
    check(day(9, 10))
    deadline = the_deadline(file, "caf_rights_7d")
    assert local_day(deadline.due_at) == day(9, 7) and deadline.state == DeadlineState.MET
    assert deadline.rule == caf_rule_enabled


def test_once_enabled_a_late_rights_interview_meets_the_caf_clock_late(file, caf_rule_enabled, referent):
    check(day(9, 8))
    assert the_deadline(file, "caf_rights_7d").state == DeadlineState.OVERDUE
    held(file, referent, day(9, 9), kind=InterviewKind.CAF_RIGHTS)
    check(day(9, 10))
    assert the_deadline(file, "caf_rights_7d").state == DeadlineState.MET_LATE


def test_once_enabled_an_exit_cancels_the_caf_clock(file, caf_rule_enabled, referent):
    services.exit_record(beneficiary=file, exited_on=day(9, 2), reason=ExitReason.AUTRE, by=referent)
    check(day(9, 10))
    assert the_deadline(file, "caf_rights_7d").state == DeadlineState.CANCELLED


# Versions ----------------------------------------------------------------------------------------------
def new_version(code, **changes):
    base = DeadlineRule.objects.filter(code=code, sector=None).latest("effective_from")
    fields = {
        name: getattr(base, name)
        for name in ("code", "label", "subject", "start_event", "met_by", "cancelled_by", "delay", "delay_unit")
    }
    return DeadlineRule.objects.create(**{**fields, **changes})


def test_a_new_version_applies_to_clocks_starting_from_its_date_and_leaves_earlier_deadlines_untouched(file):
    check(day(9, 10))
    before = the_deadline(file, "orientation_6w")
    version = new_version("orientation_6w", delay=30, effective_from=day(10, 1), comment="Objectif départemental")
    later = BeneficiaryFactory(rights_opened_on=day(10, 1), flux_date=day(10, 5))
    check(day(10, 6))
    after = the_deadline(file, "orientation_6w")
    assert (after.rule_id, after.due_at, after.starts_at) == (before.rule_id, before.due_at, before.starts_at)
    assert local_day(after.due_at) == day(10, 17)
    deadline = the_deadline(later, "orientation_6w")
    assert deadline.rule == version and local_day(deadline.due_at) == day(11, 4)


def test_a_sector_version_overrides_the_departement_for_that_sector_only(file, marseille_sud, aix):
    new_version("orientation_6w", delay=60, effective_from=day(1, 1, year=2025), sector=marseille_sud)
    in_aix = BeneficiaryFactory(commune=commune("13001"), rights_opened_on=day(8, 31), flux_date=day(9, 5))
    check(day(9, 10))
    assert file.sector == marseille_sud and in_aix.sector == aix
    assert local_day(the_deadline(file, "orientation_6w").due_at) == day(11, 4)  # 60 days
    assert local_day(the_deadline(in_aix, "orientation_6w").due_at) == day(10, 17)  # 42 days


def test_a_sector_may_disable_the_referent_rule(file, marseille_sud):
    new_version("referent_1m", enabled=False, effective_from=day(1, 1, year=2025), sector=marseille_sud)
    elsewhere = BeneficiaryFactory(commune=commune("13001"), rights_opened_on=day(8, 31), flux_date=day(9, 5))
    check(day(9, 10))
    assert not deadlines(file, "referent_1m")
    assert deadlines(elsewhere, "referent_1m")


def test_rule_versions_are_immutable():
    rule = DeadlineRule.objects.get(code="orientation_6w")
    rule.delay = 30
    with pytest.raises(PermissionError):
        rule.save()
    with pytest.raises(PermissionError):
        DeadlineRule.objects.filter(pk=rule.pk).update(delay=30)
    with pytest.raises(PermissionError):
        rule.delete()


def test_two_versions_of_a_rule_cannot_share_a_date_and_a_perimeter():
    rule = DeadlineRule.objects.get(code="orientation_6w")
    duplicate = DeadlineRule(
        code=rule.code,
        label=rule.label,
        subject=rule.subject,
        start_event=rule.start_event,
        met_by=rule.met_by,
        delay=30,
        delay_unit=rule.delay_unit,
        effective_from=rule.effective_from,
    )
    with pytest.raises(ValidationError):
        duplicate.validate_constraints()


def test_the_default_rules_take_effect_on_1_january_2025():
    defaults = DeadlineRule.objects.filter(sector=None)
    assert {rule.code for rule in defaults} == set(engine.registry.rules)
    assert {rule.effective_from for rule in defaults} == {day(1, 1, year=2025)}
    for rule in defaults:  # the data migration and the declarations agree
        declared = engine.registry.rules[rule.code]
        assert (rule.start_event, rule.met_by, tuple(rule.cancelled_by)) == (
            declared.start,
            declared.met_by,
            declared.cancelled_by,
        )
        assert (rule.delay, rule.delay_unit, rule.enabled) == (declared.delay, declared.delay_unit, declared.enabled)


def test_the_file_rules_name_the_orientation_choices_they_read_without_importing_the_app():
    assert file_rules.REMOBILISATION == Pathway.REMOBILISATION
    assert file_rules.REORIENTATION == OrientationEndReason.REORIENTATION
    assert set(file_rules.VULNERABILITY_CATEGORIES) <= set(BarrierCategoryCode.values)
    assert set(file_rules.VULNERABILITY_LEVELS) == {BarrierLevel.STRONG, BarrierLevel.MEDIUM}
