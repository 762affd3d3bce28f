"""Conventions: a status derived from the dates (never typed), the renewal deadline of SPEC §5 (alert 90 days
before the end, met by a renewal), the renewal pre-filled from the convention it renews."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accompaniment import deadline_engine
from accompaniment.enums import AlertKind, DeadlineState
from accompaniment.models import Deadline, DeadlineAlert, Notification
from partners.enums import ConventionStatus, OrganisationType, Role
from partners.models import Convention
from tests.factories import OrganisationFactory, UserFactory

from .factories import ConventionFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def day(d, m, y=2026):
    return datetime.date(y, m, d)


def at(d, m, y=2026, hour=6):
    return datetime.datetime(y, m, d, hour, tzinfo=PARIS)


# Status --------------------------------------------------------------------------------------------------
def test_a_convention_without_signature_is_a_draft_whatever_its_dates():
    convention = ConventionFactory(signed_on=None)
    assert convention.status_on(day(1, 6)) == ConventionStatus.DRAFT
    assert convention.status_on(day(1, 6, 2030)) == ConventionStatus.DRAFT


def test_a_signed_convention_is_signed_then_active_then_expired_by_its_dates():
    convention = ConventionFactory(signed_on=day(15, 12, 2024), valid_from=day(1, 1, 2025), valid_to=day(31, 12))
    assert convention.status_on(day(20, 12, 2024)) == ConventionStatus.SIGNED
    assert convention.status_on(day(1, 1, 2025)) == ConventionStatus.ACTIVE
    assert convention.status_on(day(31, 12)) == ConventionStatus.ACTIVE  # the last day is in force
    assert convention.status_on(day(1, 1, 2027)) == ConventionStatus.EXPIRED


def test_a_convention_without_end_date_stays_active():
    convention = ConventionFactory(valid_to=None)
    assert convention.status_on(day(1, 1, 2040)) == ConventionStatus.ACTIVE


def test_a_termination_takes_effect_on_its_date():
    convention = ConventionFactory(terminated_on=day(30, 6))
    assert convention.status_on(day(29, 6)) == ConventionStatus.ACTIVE
    assert convention.status_on(day(30, 6)) == ConventionStatus.TERMINATED


def test_the_status_filters_agree_with_the_status_of_each_convention():
    conventions = [
        ConventionFactory(signed_on=None),
        ConventionFactory(valid_from=day(1, 1, 2027), valid_to=day(31, 12, 2027)),
        ConventionFactory(),
        ConventionFactory(valid_to=day(31, 3)),
        ConventionFactory(terminated_on=day(1, 2)),
        ConventionFactory(valid_to=None),
    ]
    on = day(1, 6)
    for status in ConventionStatus.values:
        expected = {c.pk for c in conventions if c.status_on(on) == status}
        assert set(Convention.objects.with_status(status, on).values_list("pk", flat=True)) == expected, status


def test_expiring_within_leaves_out_a_convention_already_renewed():
    soon = ConventionFactory(valid_to=day(31, 1, 2027))
    renewed = ConventionFactory(valid_to=day(15, 1, 2027))
    ConventionFactory(renews=renewed, valid_from=day(16, 1, 2027), valid_to=day(15, 1, 2029))
    ConventionFactory(valid_to=day(31, 12, 2027))  # far away
    expiring = Convention.objects.expiring_within(90, day(2, 12))
    assert list(expiring) == [soon]


def test_an_end_before_the_start_is_refused():
    from django.core.exceptions import ValidationError

    convention = ConventionFactory.build(valid_from=day(1, 1), valid_to=day(31, 12, 2025))
    with pytest.raises(ValidationError) as error:
        convention.full_clean()
    assert "valid_to" in error.value.message_dict


# The renewal deadline ----------------------------------------------------------------------------------------
@pytest.fixture
def owner():
    departement = OrganisationFactory(type=OrganisationType.DEPARTEMENT)
    return UserFactory(organisation=departement, roles=[Role.MANAGER])


def renewal_deadline(convention):
    return Deadline.objects.get(
        rule_code="convention_renewal", subject_type="partners.convention", subject_id=convention.pk
    )


def test_the_renewal_deadline_is_due_at_the_end_date_with_an_alert_90_days_before(owner):
    convention = ConventionFactory(valid_to=day(31, 12), owners=[owner])
    deadline_engine.run_check(now=at(1, 10))  # 91 days before the end
    deadline = renewal_deadline(convention)
    assert deadline.starts_at == datetime.datetime(2025, 1, 1, tzinfo=PARIS)
    assert deadline.due_at.astimezone(PARIS).date() == day(31, 12)
    assert deadline.due_at.astimezone(PARIS).time() == datetime.time.max
    assert deadline.warns_at.astimezone(PARIS).date() == day(2, 10)
    assert deadline.state == DeadlineState.PENDING
    assert not Notification.objects.exists()

    deadline_engine.run_check(now=at(3, 10))  # the end of the day 90 days before the end has passed
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.DUE_SOON
    alert = DeadlineAlert.objects.get(deadline=deadline)
    assert alert.kind == AlertKind.DUE_SOON
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [owner.pk]

    deadline_engine.run_check(now=at(1, 1, 2027))
    deadline.refresh_from_db()
    assert deadline.state == DeadlineState.OVERDUE


def test_every_owner_of_the_convention_is_alerted_once(owner):
    colleague = UserFactory(organisation=owner.organisation, roles=[Role.COPIL])
    ConventionFactory(valid_to=day(31, 12), owners=[owner, colleague])
    deadline_engine.run_check(now=at(15, 11))
    deadline_engine.run_check(now=at(16, 11))  # idempotent
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted([owner.pk, colleague.pk])


def test_a_signed_renewal_meets_the_deadline(owner):
    convention = ConventionFactory(valid_to=day(31, 12), owners=[owner])
    deadline_engine.run_check(now=at(15, 11))
    renewal = Convention.objects.create(
        **{**convention.renewal_prefill(), "renews": convention, "signed_on": day(20, 11)}
    )
    deadline_engine.run_check(now=at(21, 11))
    deadline = renewal_deadline(convention)
    assert deadline.state == DeadlineState.MET
    assert deadline.met_at == datetime.datetime(2026, 11, 20, tzinfo=PARIS)
    assert renewal_deadline(renewal).state == DeadlineState.PENDING  # the renewal's own clock runs


def test_a_draft_renewal_does_not_meet_it_and_a_termination_does(owner):
    convention = ConventionFactory(valid_to=day(31, 12), owners=[owner])
    Convention.objects.create(**{**convention.renewal_prefill(), "renews": convention})  # not signed yet
    deadline_engine.run_check(now=at(15, 11))
    assert renewal_deadline(convention).state == DeadlineState.DUE_SOON
    convention.terminated_on = day(30, 11)
    convention.save()
    deadline_engine.run_check(now=at(1, 12))
    assert renewal_deadline(convention).state == DeadlineState.MET


def test_drafts_and_conventions_ended_before_go_live_have_no_renewal_deadline():
    ConventionFactory(signed_on=None)
    ConventionFactory(valid_from=day(1, 1, 2022), valid_to=day(31, 12, 2024))
    ConventionFactory(valid_to=None)
    deadline_engine.run_check(now=at(1, 6))
    assert not Deadline.objects.filter(rule_code="convention_renewal").exists()


def test_a_convention_in_force_at_go_live_starts_its_clock_on_the_go_live_date():
    convention = ConventionFactory(valid_from=day(1, 1, 2019), valid_to=day(31, 3, 2027))
    deadline_engine.run_check(now=at(1, 6))
    deadline = renewal_deadline(convention)
    assert deadline.starts_at == datetime.datetime(2025, 1, 1, tzinfo=PARIS)
    assert deadline.due_at.astimezone(PARIS).date() == day(31, 3, 2027)


# Renewal pre-filling ---------------------------------------------------------------------------------------
def test_the_renewal_starts_the_day_after_the_end_and_lasts_as_long():
    convention = ConventionFactory(
        valid_from=day(1, 1, 2025), valid_to=day(31, 12), objectives="Objectifs", indicators="Orientation : 80 %"
    )
    prefill = convention.renewal_prefill()
    assert prefill["valid_from"] == day(1, 1, 2027)
    assert prefill["valid_to"] == day(31, 12, 2028)
    assert prefill["renews"] == convention.pk
    assert (prefill["title"], prefill["objectives"], prefill["indicators"]) == (
        convention.title,
        "Objectifs",
        "Orientation : 80 %",
    )


def test_an_owner_reads_the_renewal_alert_on_the_conventions_page_until_they_open_it(client, owner):
    from django.urls import reverse

    convention = ConventionFactory(valid_to=day(31, 12), owners=[owner])
    deadline_engine.run_check(now=at(15, 11))
    client.force_login(owner)
    listing = client.get(reverse("partners:convention_list"))
    assert [c.pk for c in listing.context["alerts"]] == [convention.pk]
    assert "Alertes de renouvellement" in listing.content.decode()
    client.get(reverse("partners:convention_detail", args=[convention.pk]))
    assert Notification.objects.get(recipient=owner).read_at is not None
    assert client.get(reverse("partners:convention_list")).context["alerts"] == []


def test_signing_the_renewal_meets_the_deadline_at_once(owner, django_capture_on_commit_callbacks):
    convention = ConventionFactory(valid_to=day(31, 12), owners=[owner])
    deadline_engine.run_check(now=at(15, 11))
    renewal = Convention.objects.create(**{**convention.renewal_prefill(), "renews": convention})
    deadline_engine._pending_set().clear()  # saves outside the block scheduled refreshes that never ran
    with django_capture_on_commit_callbacks(execute=True):
        renewal.signed_on = timezone.localdate()
        renewal.save()
    assert renewal_deadline(convention).met_at is not None
