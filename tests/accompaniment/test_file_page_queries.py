"""The file page runs the same number of queries with 5 and with 500 events in its history."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from accompaniment import services, timeline
from accompaniment.enums import ActivityKind, ContractKind, InterviewKind, InterviewStatus, Status
from accompaniment.models import Beneficiary
from orientation.enums import OrientationEndReason, Pathway
from orientation.services import diagnostic_record, orientation_decide, orientation_reorient
from partners.enums import Role
from tests.factories import BeneficiaryFactory, UserFactory

pytestmark = pytest.mark.usefixtures("_frozen")
START = datetime.date(2026, 1, 5)  # a Monday


@pytest.fixture
def _frozen():
    with freeze_time("2026-11-20 10:00:00"):
        yield


def _history(file, *, units, referent, officer, departement):
    """A file's journey whose history grows with `units`: each unit adds about five events (a diagnostic,
    a reorientation, held interviews, an activity with hours done)."""
    orientation_decide(
        beneficiary=file, pathway=Pathway.SOCIAL_PRO, organisation=departement, decided_on=START, by=officer
    )
    services.referent_designate(beneficiary=file, agent=referent, designated_on=START, by=officer)
    contract = services.contract_sign(
        beneficiary=file,
        by=referent,
        kind=ContractKind.CE,
        signed_on=START,
        starts_on=START,
        ends_on=START + datetime.timedelta(days=330),
        weekly_hours=15,
    )
    for index in range(units):
        day = START + datetime.timedelta(days=index % 300)
        services.interview_record(
            beneficiary=file,
            by=referent,
            kind=InterviewKind.ACCOMPANIMENT if index % 2 else InterviewKind.FOLLOW_UP,
            scheduled_for=datetime.datetime(day.year, day.month, day.day, 9, 30, tzinfo=datetime.UTC),
            status=InterviewStatus.HELD,
            held_on=day,
        )
        activity = services.activity_add(
            contract=contract,
            by=referent,
            kind=ActivityKind.values[index % len(ActivityKind.values)],
            title=f"Action {index}",
            starts_on=day,
            ends_on=day + datetime.timedelta(days=20),
            weekly_planned_hours=5,
        )
        services.activity_record_hours(activity=activity, week_of=day, hours=4, by=referent)
        diagnostic_record(
            beneficiary=file,
            by=referent,
            barriers={"health": {"level": "strong", "comment": "Suivi médical"}, "mobility": {"level": "medium"}},
            held_on=day,
            suggested_pathway=Pathway.SOCIAL_PRO,
        )
        if index % 10 == 9:
            orientation_reorient(
                beneficiary=file,
                pathway=Pathway.SOCIAL_PRO,
                organisation=departement,
                decided_on=day,
                by=officer,
                reason=OrientationEndReason.REORIENTATION,
            )
            colleague = UserFactory(organisation=departement, roles=[Role.REFERENT])
            services.referent_designate(
                beneficiary=file, agent=colleague, designated_on=day, by=officer, reason="Changement de secteur"
            )


def _queries_of_file_page(client, user, file):
    client.force_login(user)
    url = reverse("accompaniment:detail", kwargs={"pk": file.pk})
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response


def test_the_file_page_runs_the_same_number_of_queries_with_5_and_500_events(client, referent, departement):
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    small = BeneficiaryFactory(created_by=referent, first_name="Petit", last_name="Historique")
    large = BeneficiaryFactory(created_by=referent, first_name="Long", last_name="Historique")
    _history(small, units=1, referent=referent, officer=officer, departement=departement)
    _history(large, units=100, referent=referent, officer=officer, departement=departement)

    small_events = len(timeline.events_for(small))
    large_events = len(timeline.events_for(large))
    assert small_events <= 15 and large_events >= 500, (small_events, large_events)
    statuses = dict(Beneficiary.objects.values_list("pk", "status_code"))
    assert statuses[small.pk] == statuses[large.pk] == Status.IN_ACCOMPANIMENT

    small_queries, _ = _queries_of_file_page(client, referent, small)
    large_queries, response = _queries_of_file_page(client, referent, large)
    assert large_queries == small_queries, (
        f"{small_queries} requêtes avec {small_events} événements, {large_queries} avec {large_events}"
    )
    assert "Long HISTORIQUE" in response.content.decode() or "HISTORIQUE" in response.content.decode()
