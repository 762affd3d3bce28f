"""Conventions: a status derived from the dates and the renewal mode (never typed), the renewal deadline of SPEC
§5 (alert 90 days before the end, met by a renewal; for a tacit renewal, one per period, so that the owners can
denounce it; for a convention without renewal, an alert before it ends as planned), the renewal pre-filled from the
convention it renews."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from freezegun import freeze_time

from accompaniment import alerts, deadline_engine
from accompaniment.enums import DEADLINE_RESTARTED, AlertKind, DeadlineState
from accompaniment.models import Deadline, DeadlineAlert, Notification
from partners.enums import ConventionStatus, OrganisationType, RenewalMode, Role
from partners.models import Convention
from partners.models_conventions import tacit_period
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


def test_the_owners_daily_digest_counts_the_renewal_alert_and_links_to_the_conventions(owner, settings):
    settings.PARCOURS_BASE_URL = "https://parcours.example.org"
    convention = ConventionFactory(valid_to=day(31, 12), owners=[owner])
    deadline_engine.run_check(now=at(3, 10))
    alerts.send_digests(now=at(3, 10) + datetime.timedelta(hours=1))
    (message,) = [m for m in mail.outbox if m.to == [owner.email]]
    assert "Demandes de garde, accueils et conventions que vous suivez" in message.body
    assert "1 délai arrivant à échéance" in message.body
    assert "Vos alertes : convention : https://parcours.example.org/conventions/" in message.body
    assert convention.title not in message.body  # counts and links only


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


# Tacit renewal and conventions without renewal ------------------------------------------------------------
def test_a_tacitly_renewed_convention_stays_active_after_its_end_date_for_a_renewal_period():
    tacit = ConventionFactory(renewal=RenewalMode.TACIT, valid_to=day(31, 12, 2025))
    explicit = ConventionFactory(renewal=RenewalMode.EXPLICIT, valid_to=day(31, 12, 2025))
    assert tacit.renewal_period_months == 12  # the default
    assert tacit.status_on(day(31, 12, 2025)) == ConventionStatus.ACTIVE
    assert tacit.term_on(day(31, 12, 2025)) == (day(1, 1, 2025), day(31, 12, 2025))
    assert tacit.status_on(day(1, 1)) == ConventionStatus.ACTIVE
    assert explicit.status_on(day(1, 1)) == ConventionStatus.EXPIRED
    assert tacit.term_on(day(1, 1)) == (day(1, 1), day(31, 12))
    assert tacit.term_on(day(31, 12)) == (day(1, 1), day(31, 12))
    assert tacit.term_on(day(1, 1, 2027)) == (day(1, 1, 2027), day(31, 12, 2027))
    assert tacit.status_on(day(1, 1, 2030)) == ConventionStatus.ACTIVE


def test_the_renewal_periods_are_calendar_months_counted_from_the_first_renewal_without_drift():
    # First term ends on 30 January: monthly periods start on the 31st, or the month's last day.
    assert tacit_period(day(30, 1), 1, day(31, 1)) == (day(31, 1), day(27, 2))
    assert tacit_period(day(30, 1), 1, day(28, 2)) == (day(28, 2), day(30, 3))
    assert tacit_period(day(30, 1), 1, day(31, 3)) == (day(31, 3), day(29, 4))
    assert tacit_period(day(30, 6, 2025), 6, day(15, 3)) == (day(1, 1), day(30, 6))
    assert tacit_period(day(30, 6, 2025), 6, day(1, 7)) == (day(1, 7), day(31, 12))
    # Renewed from 29 February 2024 for two years at a time: 28 February in common years, 29 in leap years.
    leap = ConventionFactory(
        renewal=RenewalMode.TACIT, valid_from=day(1, 3, 2023), valid_to=day(28, 2, 2024), renewal_period_months=24
    )
    assert leap.term_on(day(1, 3, 2025)) == (day(29, 2, 2024), day(27, 2, 2026))
    assert leap.term_on(day(1, 3, 2027)) == (day(28, 2, 2026), day(28, 2, 2028))
    assert leap.term_on(day(1, 3, 2028)) == (day(29, 2, 2028), day(27, 2, 2030))


def test_a_termination_stops_the_tacit_continuation():
    convention = ConventionFactory(renewal=RenewalMode.TACIT, valid_to=day(31, 12, 2025), terminated_on=day(1, 7))
    assert convention.status_on(day(30, 6)) == ConventionStatus.ACTIVE
    assert convention.status_on(day(1, 7)) == ConventionStatus.TERMINATED
    assert convention.status_on(day(1, 1, 2027)) == ConventionStatus.TERMINATED
    assert convention.term_on(day(1, 1, 2027)) == (day(1, 1), day(31, 12))  # its last period, no other
    denounced = ConventionFactory(renewal=RenewalMode.TACIT, valid_to=day(31, 12, 2025), terminated_on=day(1, 1))
    assert denounced.status_on(day(1, 1)) == ConventionStatus.TERMINATED
    assert denounced.term_on(day(1, 6)) == (day(1, 1, 2025), day(31, 12, 2025))


def test_a_signed_renewal_ends_the_tacit_continuation_when_it_comes_into_force():
    convention = ConventionFactory(renewal=RenewalMode.TACIT, valid_to=day(31, 12, 2025))
    ConventionFactory(renews=convention, signed_on=None, valid_from=day(1, 3), valid_to=day(28, 2, 2028))
    assert Convention.objects.get(pk=convention.pk).status_on(day(1, 6)) == ConventionStatus.ACTIVE  # a draft
    ConventionFactory(renews=convention, signed_on=day(1, 5), valid_from=day(1, 7), valid_to=day(30, 6, 2028))
    convention = Convention.objects.get(pk=convention.pk)
    assert convention.status_on(day(30, 6)) == ConventionStatus.ACTIVE
    assert convention.status_on(day(1, 7)) == ConventionStatus.EXPIRED
    assert convention.term_on(day(1, 1, 2027)) == (day(1, 1), day(31, 12))


@pytest.mark.parametrize("on", [day(31, 12, 2025), day(1, 1), day(30, 6), day(1, 7), day(1, 1, 2027)])
def test_the_status_filters_agree_with_the_status_of_tacitly_renewed_conventions(on):
    tacit = {"renewal": RenewalMode.TACIT, "valid_to": day(31, 12, 2025)}
    conventions = [
        ConventionFactory(**tacit),
        ConventionFactory(**tacit, renewal_period_months=6),
        ConventionFactory(**tacit, terminated_on=day(1, 7)),
        ConventionFactory(**{**tacit, "renewal": RenewalMode.NONE}),
        ConventionFactory(**tacit, signed_on=None),
        ConventionFactory(renewal=RenewalMode.TACIT),  # in its first term
    ]
    replaced = ConventionFactory(**tacit)
    ConventionFactory(renews=replaced, signed_on=day(1, 5), valid_from=day(1, 7), valid_to=day(30, 6, 2028))
    conventions.append(Convention.objects.get(pk=replaced.pk))
    for status in ConventionStatus.values:
        expected = {c.pk for c in conventions if c.status_on(on) == status}
        found = Convention.objects.filter(pk__in=[c.pk for c in conventions]).with_status(status, on)
        assert set(found.values_list("pk", flat=True)) == expected, status


def test_expiring_within_counts_from_the_end_of_the_current_tacit_period():
    tacit = ConventionFactory(renewal=RenewalMode.TACIT, valid_to=day(31, 12, 2025), renewal_period_months=12)
    ConventionFactory(renewal=RenewalMode.EXPLICIT, valid_to=day(31, 12, 2025))  # expired, not expiring
    assert list(Convention.objects.expiring_within(90, day(15, 6))) == []
    expiring = Convention.objects.expiring_within(90, day(15, 11))
    assert list(expiring) == [tacit]
    assert expiring.get().term_ends_on == day(31, 12)


def test_the_renewal_of_a_tacitly_renewed_convention_starts_after_its_current_period():
    convention = ConventionFactory(
        renewal=RenewalMode.TACIT, valid_from=day(1, 1, 2024), valid_to=day(31, 12, 2024), renewal_period_months=6
    )
    with freeze_time("2026-03-10"):
        prefill = convention.renewal_prefill()
    assert (prefill["valid_from"], prefill["valid_to"]) == (day(1, 7), day(30, 6, 2027))
    assert (prefill["renewal"], prefill["renewal_period_months"]) == (RenewalMode.TACIT, 6)


def test_a_tacit_renewal_needs_an_end_date():
    from django.core.exceptions import ValidationError

    convention = ConventionFactory.build(renewal=RenewalMode.TACIT, valid_to=None)
    with pytest.raises(ValidationError) as error:
        convention.full_clean()
    assert "valid_to" in error.value.message_dict


def check_on(moment):
    """The daily check as of `moment`, the clock frozen there (the convention's current period is today's)."""
    with freeze_time(moment):
        return deadline_engine.run_check(now=moment)


def test_a_check_run_as_of_another_day_sees_the_tacit_period_of_that_day(owner):
    """`check_deadlines --now`: the period in force is the run's, not the machine's."""
    convention = ConventionFactory(renewal=RenewalMode.TACIT, valid_to=day(31, 12), owners=[owner])
    with freeze_time(at(1, 6)):  # the machine's day: still in the first term
        deadline_engine.run_check(now=at(1, 3, 2027))
    [deadline] = renewal_deadlines(convention)  # the clock of the period in force on 1 March 2027
    assert deadline.starts_at == datetime.datetime(2027, 1, 1, tzinfo=PARIS)
    assert deadline.due_at.astimezone(PARIS).date() == day(31, 12, 2027)
    assert deadline.state == DeadlineState.PENDING


def renewal_deadlines(convention):
    return list(
        Deadline.objects.filter(
            rule_code="convention_renewal", subject_type="partners.convention", subject_id=convention.pk
        ).order_by("starts_at")
    )


def test_a_tacit_convention_warns_its_owners_before_the_end_of_each_period_and_is_never_overdue(owner):
    convention = ConventionFactory(renewal=RenewalMode.TACIT, valid_to=day(31, 12), owners=[owner])
    check_on(at(3, 10))
    [first] = renewal_deadlines(convention)
    assert first.due_at.astimezone(PARIS).date() == day(31, 12)
    assert first.state == DeadlineState.DUE_SOON
    assert Notification.objects.get().recipient == owner

    check_on(at(1, 1, 2027))  # the convention is renewed tacitly: the clock restarts for the new period
    first_after, second = renewal_deadlines(convention)
    assert first_after.pk == first.pk
    assert (first_after.state, first_after.cancel_reason) == (DeadlineState.CANCELLED, DEADLINE_RESTARTED)
    assert second.starts_at == datetime.datetime(2027, 1, 1, tzinfo=PARIS)
    assert second.due_at.astimezone(PARIS).date() == day(31, 12, 2027)
    assert second.warns_at.astimezone(PARIS).date() == day(2, 10, 2027)
    assert second.state == DeadlineState.PENDING
    assert Convention.objects.get(pk=convention.pk).status_on(day(1, 1, 2027)) == ConventionStatus.ACTIVE

    check_on(at(3, 10, 2027))
    assert renewal_deadlines(convention)[1].state == DeadlineState.DUE_SOON
    assert list(DeadlineAlert.objects.values_list("kind", flat=True)) == [AlertKind.DUE_SOON, AlertKind.DUE_SOON]
    assert Notification.objects.filter(recipient=owner).count() == 2


def test_denouncing_a_tacit_convention_meets_its_deadline_and_no_period_follows(owner):
    convention = ConventionFactory(renewal=RenewalMode.TACIT, valid_to=day(31, 12), owners=[owner])
    check_on(at(15, 11))
    convention.terminated_on = day(1, 12)
    convention.termination_reason = "Dénoncée par le Département"
    convention.save()
    check_on(at(2, 1, 2027))
    [deadline] = renewal_deadlines(convention)
    assert deadline.state == DeadlineState.MET
    assert deadline.met_at == datetime.datetime(2026, 12, 1, tzinfo=PARIS)
    assert convention.status_on(day(2, 1, 2027)) == ConventionStatus.TERMINATED
    assert not DeadlineAlert.objects.filter(kind=AlertKind.OVERDUE).exists()


def test_a_tacit_convention_replaced_by_a_signed_renewal_has_no_further_period(owner):
    convention = ConventionFactory(renewal=RenewalMode.TACIT, valid_to=day(31, 12), owners=[owner])
    check_on(at(15, 11))
    with freeze_time(at(20, 11)):  # the renewal is prepared during the first term
        prefill = convention.renewal_prefill()
    Convention.objects.create(**{**prefill, "renews": convention, "signed_on": day(20, 11)})
    check_on(at(2, 1, 2027))
    [deadline] = renewal_deadlines(convention)
    assert deadline.state == DeadlineState.MET
    assert Convention.objects.get(pk=convention.pk).status_on(day(2, 1, 2027)) == ConventionStatus.EXPIRED


def test_a_tacit_convention_whose_first_term_ended_before_go_live_has_a_deadline_for_its_current_period():
    convention = ConventionFactory(
        renewal=RenewalMode.TACIT, valid_from=day(1, 1, 2019), valid_to=day(31, 12, 2019), signed_on=day(1, 12, 2018)
    )
    check_on(at(1, 6))
    [deadline] = renewal_deadlines(convention)
    assert deadline.starts_at == datetime.datetime(2026, 1, 1, tzinfo=PARIS)
    assert deadline.due_at.astimezone(PARIS).date() == day(31, 12)


def test_a_convention_without_renewal_warns_its_owners_and_is_met_when_it_ends_as_planned(owner):
    convention = ConventionFactory(renewal=RenewalMode.NONE, valid_to=day(31, 12), owners=[owner])
    check_on(at(3, 10))
    [deadline] = renewal_deadlines(convention)
    assert deadline.state == DeadlineState.DUE_SOON
    assert Notification.objects.get().recipient == owner
    check_on(at(31, 12))  # its last day: still running
    assert renewal_deadlines(convention)[0].state == DeadlineState.DUE_SOON
    check_on(at(1, 1, 2027))
    [deadline] = renewal_deadlines(convention)
    assert deadline.state == DeadlineState.MET
    assert deadline.met_at == datetime.datetime(2026, 12, 31, tzinfo=PARIS)
    assert not DeadlineAlert.objects.filter(kind=AlertKind.OVERDUE).exists()
    assert convention.status_on(day(1, 1, 2027)) == ConventionStatus.EXPIRED


def test_an_explicit_convention_that_ends_without_renewal_is_overdue(owner):
    convention = ConventionFactory(renewal=RenewalMode.EXPLICIT, valid_to=day(31, 12), owners=[owner])
    check_on(at(3, 10))
    check_on(at(1, 1, 2027))
    [deadline] = renewal_deadlines(convention)
    assert deadline.state == DeadlineState.OVERDUE
    assert DeadlineAlert.objects.filter(kind=AlertKind.OVERDUE).count() == 1
