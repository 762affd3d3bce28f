"""`childcare_24h` and `avip_review_6m` join the deadline engine: an emergency left unanswered for 24 hours is
overdue with its alert to the requester, the coordinators of its sector and, while it waits for the CAF's
eligibility check, the CAF agents covering it (who read it on their eligibility list); a placement is due for
review 6 months after its start."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from freezegun import freeze_time

from accompaniment import alerts, deadline_engine
from accompaniment.enums import AlertKind, DeadlineState
from accompaniment.models import Deadline, DeadlineAlert, DeadlineRule, Notification
from childcare import services
from childcare.enums import ProviderKind, Purpose, RequestKind, ReviewDecision

PARIS = ZoneInfo("Europe/Paris")
FILED_AT = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=PARIS)


@pytest.fixture
def emergency(parent, referent):
    with freeze_time(FILED_AT):
        return services.request_file(
            beneficiary=parent,
            by=referent,
            kind=RequestKind.URGENCE,
            provider_kind=ProviderKind.HOME_HELP,
            purpose=Purpose.ENTRETIEN,
            starts_on=FILED_AT.date() + datetime.timedelta(days=1),
            hours="Mardi de 9 h à 12 h",
            child_first_name="Inès",
            child_birth_date=datetime.date(2024, 6, 10),
        )


def _deadline(code):
    return Deadline.objects.get(rule_code=code)


@pytest.mark.django_db
def test_the_childcare_rules_are_data_from_the_migration():
    rules = {rule.code: rule for rule in DeadlineRule.objects.filter(code__in=["childcare_24h", "avip_review_6m"])}
    assert (rules["childcare_24h"].delay, rules["childcare_24h"].delay_unit) == (24, "hours")
    assert (rules["childcare_24h"].warning, rules["childcare_24h"].warning_unit) == (6, "hours")
    assert (rules["avip_review_6m"].delay, rules["avip_review_6m"].delay_unit) == (6, "months")


def test_an_emergency_unanswered_for_24_hours_is_overdue_with_its_alert(emergency, referent, coordinator):
    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=1))
    deadline = _deadline("childcare_24h")
    assert deadline.subject_id == emergency.pk and deadline.beneficiary_id == emergency.beneficiary_id
    assert deadline.due_at == FILED_AT + datetime.timedelta(hours=24)
    assert deadline.state == DeadlineState.PENDING

    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=19))
    assert _deadline("childcare_24h").state == DeadlineState.DUE_SOON

    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=24, minutes=5), hourly=True)
    assert _deadline("childcare_24h").state == DeadlineState.OVERDUE
    alert = DeadlineAlert.objects.get(deadline__rule_code="childcare_24h", kind=AlertKind.OVERDUE)
    told = set(Notification.objects.filter(alert=alert).values_list("recipient_id", flat=True))
    assert told == {referent.pk, coordinator.pk}


def test_the_coordinator_gets_the_emergency_in_the_daily_digest_with_a_link_to_the_worklist_and_no_name(
    emergency, referent, coordinator, settings
):
    settings.PARCOURS_BASE_URL = "https://parcours.example.org"
    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=24, minutes=5), hourly=True)
    alerts.send_digests(now=FILED_AT + datetime.timedelta(hours=25))
    (message,) = [m for m in mail.outbox if m.to == [coordinator.email]]
    html = message.alternatives[0][0]
    assert "Demandes de garde, accueils et conventions que vous suivez" in message.body
    assert "1 délai dépassé" in message.body
    assert "Vos alertes : demande de garde : https://parcours.example.org/garde/" in message.body
    assert 'href="https://parcours.example.org/garde/"' in html
    assert "/dossiers/alertes/" not in message.body  # a page the coordinator cannot open
    for text in (message.body, html):
        assert emergency.beneficiary.last_name not in text and emergency.child_first_name not in text
    # The referent who filed it reads it among the alerts of her files, not twice.
    (to_referent,) = [m for m in mail.outbox if m.to == [referent.email]]
    assert "Demandes de garde, accueils et conventions" not in to_referent.body


def test_an_emergency_answered_in_time_meets_its_deadline(emergency, caf_agent, coordinator, home_help):
    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=1))
    with freeze_time(FILED_AT + datetime.timedelta(hours=3)):
        services.eligibility_confirm(request=emergency, by=caf_agent)
        services.placement_create(request=emergency, provider=home_help, by=coordinator)
    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=30))
    deadline = _deadline("childcare_24h")
    assert deadline.state == DeadlineState.MET and deadline.met_at == FILED_AT + datetime.timedelta(hours=3)
    assert not DeadlineAlert.objects.filter(deadline=deadline, kind=AlertKind.OVERDUE).exists()
    assert not Deadline.objects.filter(rule_code="avip_review_6m").exists()  # home care for a day: no review


def test_a_permanent_request_has_no_24_hour_clock(parent, referent):
    with freeze_time(FILED_AT):
        services.request_file(
            beneficiary=parent,
            by=referent,
            kind=RequestKind.PERENNE,
            provider_kind=ProviderKind.CRECHE,
            purpose=Purpose.EMPLOI,
            starts_on=FILED_AT.date(),
            hours="De 8 h à 17 h",
            child_first_name="Inès",
            child_birth_date=datetime.date(2024, 6, 10),
        )
    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(days=3))
    assert not Deadline.objects.filter(rule_code="childcare_24h").exists()


def test_a_placement_is_due_for_review_six_months_after_its_start_and_met_by_the_review(
    caf_agent, coordinator, creche, creche_organisation, parent, referent, departement
):
    from accompaniment.services import referent_designate
    from orientation.enums import Pathway
    from orientation.services import orientation_decide
    from partners.enums import Role
    from tests.factories import UserFactory

    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    orientation_decide(
        beneficiary=parent,
        pathway=Pathway.EMPLOI,
        organisation=departement,
        decided_on=datetime.date(2026, 11, 2),
        by=officer,
    )
    family_referent = UserFactory(organisation=creche_organisation, roles=[Role.CHILDCARE_COORDINATOR])
    referent_designate(beneficiary=parent, agent=referent, designated_on=datetime.date(2026, 11, 2), by=officer)
    with freeze_time(FILED_AT):
        request = services.request_file(
            beneficiary=parent,
            by=referent,
            kind=RequestKind.PERENNE,
            provider_kind=ProviderKind.CRECHE,
            purpose=Purpose.EMPLOI,
            starts_on=datetime.date(2026, 12, 1),
            hours="De 8 h à 17 h",
            child_first_name="Inès",
            child_birth_date=datetime.date(2024, 6, 10),
        )
        services.eligibility_confirm(request=request, by=caf_agent)
        placement = services.placement_create(request=request, provider=creche, by=coordinator)
    deadline_engine.run_check(now=datetime.datetime(2027, 6, 2, 6, 0, tzinfo=PARIS))
    deadline = _deadline("avip_review_6m")
    assert deadline.subject_id == placement.pk
    assert timezone_date(deadline.due_at) == datetime.date(2027, 6, 1)
    assert deadline.state == DeadlineState.OVERDUE
    overdue = DeadlineAlert.objects.get(deadline=deadline, kind=AlertKind.OVERDUE)
    told = set(Notification.objects.filter(alert=overdue).values_list("recipient_id", flat=True))
    assert told == {family_referent.pk, referent.pk}  # the provider's coordinator and the file's referent

    services.placement_review(
        placement=placement, by=coordinator, decision=ReviewDecision.RENEW, reviewed_on=datetime.date(2027, 6, 3)
    )
    deadline_engine.run_check(now=datetime.datetime(2027, 6, 4, 6, 0, tzinfo=PARIS))
    assert _deadline_of(placement).state == DeadlineState.MET_LATE
    assert Deadline.objects.filter(rule_code="avip_review_6m").count() == 2  # the renewal's own clock


def timezone_date(moment):
    return moment.astimezone(PARIS).date()


def _deadline_of(placement):
    return Deadline.objects.get(rule_code="avip_review_6m", subject_id=placement.pk)


def test_the_coordinator_reads_the_overdue_emergency_alert_on_the_worklist(client, emergency, caf_agent, coordinator):
    from django.urls import reverse

    with freeze_time(FILED_AT + datetime.timedelta(hours=1)):
        services.eligibility_confirm(request=emergency, by=caf_agent)
    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=25))
    client.force_login(coordinator)
    with freeze_time(FILED_AT + datetime.timedelta(hours=25)):
        page = client.get(reverse("childcare:worklist")).content.decode()
    assert "Alertes d&#x27;échéance" in page or "Alertes d'échéance" in page
    assert "Réponse à une demande de garde urgente sous 24 heures" in page
    assert f"voir la demande n° {emergency.pk}" in page
    assert "En retard de 1 h 00 min" in page


# The CAF agents who must check an emergency's eligibility are told -------------------------------------------
def _told(kind):
    alert = DeadlineAlert.objects.get(deadline__rule_code="childcare_24h", kind=kind)
    return set(Notification.objects.filter(alert=alert).values_list("recipient_id", flat=True))


def _caf_agent_of(code, sectors):
    from partners.enums import OrganisationType, Role
    from tests.factories import OrganisationFactory, UserFactory

    organisation = OrganisationFactory(code=code, type=OrganisationType.CAF, sectors=sectors)
    return UserFactory(organisation=organisation, roles=[Role.CAF_AGENT])


def test_an_emergency_waiting_for_the_caf_check_alerts_the_caf_agents_covering_its_commune(
    emergency, referent, coordinator, caf_agent, aix
):
    """The CAF agent of the territory holding Marseille 8e is told; the CAF agent of Aix is not."""
    outsider = _caf_agent_of("CAF-AIX", [aix])
    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=19))
    assert _told(AlertKind.DUE_SOON) == {referent.pk, coordinator.pk, caf_agent.pk}
    assert outsider.pk not in _told(AlertKind.DUE_SOON)


def test_an_emergency_of_a_file_without_commune_alerts_the_caf_agents_of_its_sector(referent, marseille_sud):
    from tests.factories import BeneficiaryFactory

    file = BeneficiaryFactory(
        created_by=referent, commune=None, sector=marseille_sud, sector_set_by_hand=True, france_travail_id="1253359X"
    )
    agent = _caf_agent_of("CAF-SUD", [marseille_sud])
    with freeze_time(FILED_AT):
        services.request_file(
            beneficiary=file,
            by=referent,
            kind=RequestKind.URGENCE,
            provider_kind=ProviderKind.HOME_HELP,
            purpose=Purpose.ENTRETIEN,
            starts_on=FILED_AT.date(),
            hours="Lundi de 14 h à 17 h",
            child_first_name="Noah",
            child_birth_date=datetime.date(2023, 2, 1),
        )
    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=25), hourly=True)
    assert _told(AlertKind.OVERDUE) == {referent.pk, agent.pk}


def test_an_emergency_already_confirmed_by_the_caf_alerts_no_caf_agent(emergency, referent, coordinator, caf_agent):
    """Once eligible, the answer is the coordinators' to give: the CAF agents are not told any more."""
    with freeze_time(FILED_AT + datetime.timedelta(hours=2)):
        services.eligibility_confirm(request=emergency, by=caf_agent)
    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=19))
    assert _told(AlertKind.DUE_SOON) == {referent.pk, coordinator.pk}


def test_the_caf_agent_reads_the_emergency_alert_on_the_eligibility_list_until_the_check(
    client, emergency, caf_agent, coordinator
):
    from django.urls import reverse

    deadline_engine.run_check(now=FILED_AT + datetime.timedelta(hours=19))
    client.force_login(caf_agent)
    with freeze_time(FILED_AT + datetime.timedelta(hours=19)):
        page = client.get(reverse("childcare:worklist")).content.decode()
    assert "Éligibilité à vérifier" in page
    assert "Réponse à une demande de garde urgente sous 24 heures" in page
    assert f"voir la demande n° {emergency.pk}" in page
    assert "Reste 5 h 00 min" in page

    with freeze_time(FILED_AT + datetime.timedelta(hours=20)):
        services.eligibility_confirm(request=emergency, by=caf_agent)
        page = client.get(reverse("childcare:worklist")).content.decode()
    assert f"voir la demande n° {emergency.pk}" not in page  # checked: now the coordinators' to place
