"""COPIL meetings: recorded by managers and COPIL members (403 for the others), visible to their attendees'
organisations and COPIL members (404 for anyone else); a meeting's page shows the open actions of the previous
ones, overdue ones flagged; closing an action (htmx or not) updates the list; the COPIL member's home page
lists meetings and open actions and shows no nominative file."""

import datetime

import pytest
from django.urls import reverse
from freezegun import freeze_time

from partners.enums import CopilActionStatus, OrganisationType, Role
from partners.models import CopilAction, CopilMeeting
from tests.factories import OrganisationFactory, SectorFactory, UserFactory

from .factories import ConventionFactory, CopilActionFactory, CopilMeetingFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


@pytest.fixture
def frozen_today():
    with freeze_time("2026-12-02 10:00:00"):
        yield


@pytest.fixture
def departement():
    return OrganisationFactory(code="CD14", name="Département du Calvados", type=OrganisationType.DEPARTEMENT)


@pytest.fixture
def manager(departement):
    return UserFactory(organisation=departement, roles=[Role.MANAGER])


@pytest.fixture
def copil_member():
    return UserFactory(organisation=OrganisationFactory(code="PREF14", name="Préfecture"), roles=[Role.COPIL])


@pytest.fixture
def september(departement):
    return CopilMeetingFactory(
        title="COPIL de septembre", held_on=datetime.date(2026, 9, 15), organisations=[departement]
    )


def test_a_manager_records_a_meeting_with_two_actions(client, manager, departement):
    client.force_login(manager)
    assert client.get(reverse("partners:copil_create")).status_code == 200
    data = {
        "held_on": "01/12/2026",
        "title": "COPIL de décembre",
        "sector": "",
        "organisations": [departement.pk],
        "attendees": [manager.pk],
        "agenda": "Bilan",
        "minutes": "Compte rendu",
        "decisions": "Relancer les orientations\nOuvrir 20 places AVIP",
        "actions-TOTAL_FORMS": "3",
        "actions-INITIAL_FORMS": "0",
        "actions-0-title": "Relancer les orientations",
        "actions-0-owner": manager.pk,
        "actions-0-due_on": "15/01/2027",
        "actions-1-title": "Ouvrir 20 places",
        "actions-1-owner_organisation": departement.pk,
    }
    response = client.post(reverse("partners:copil_create"), data)
    meeting = CopilMeeting.objects.get(title="COPIL de décembre")
    assert response.url == reverse("partners:copil_detail", args=[meeting.pk])
    assert meeting.recorded_by == manager
    assert meeting.actions.count() == 2
    assert meeting.decision_list == ["Relancer les orientations", "Ouvrir 20 places AVIP"]


def test_a_referent_may_not_record_a_meeting(client, departement):
    client.force_login(UserFactory(organisation=departement, roles=[Role.REFERENT]))
    assert client.get(reverse("partners:copil_create")).status_code == 403


def test_a_meeting_is_404_for_a_user_whose_organisation_did_not_attend(client, september):
    outsider = UserFactory(organisation=OrganisationFactory(code="CCAS"), roles=[Role.MANAGER])
    client.force_login(outsider)
    assert client.get(reverse("partners:copil_detail", args=[september.pk])).status_code == 404
    action = CopilActionFactory(meeting=september)
    assert client.post(reverse("partners:copil_action_status", args=[action.pk]), {}).status_code == 404


def test_the_next_meeting_shows_the_open_actions_of_the_previous_ones_and_flags_the_overdue(
    client, manager, september, departement
):
    late = CopilActionFactory(meeting=september, title="Action en retard", due_on=datetime.date(2026, 11, 1))
    CopilActionFactory(meeting=september, title="Action à venir", due_on=datetime.date(2027, 1, 31))
    CopilActionFactory(meeting=september, title="Action réalisée", status=CopilActionStatus.DONE)
    december = CopilMeetingFactory(
        title="COPIL de décembre", held_on=datetime.date(2026, 12, 1), organisations=[departement]
    )
    client.force_login(manager)
    response = client.get(reverse("partners:copil_detail", args=[december.pk]))
    carried = response.context["carried_actions"]
    assert [a.title for a in carried] == ["Action en retard", "Action à venir"]
    assert [a.overdue_today for a in carried] == [True, False]
    content = response.content.decode()
    assert "En retard" in content and "Action réalisée" not in content
    # the earlier meeting does not show the later one's actions
    CopilActionFactory(meeting=december, title="Action de décembre")
    earlier = client.get(reverse("partners:copil_detail", args=[september.pk]))
    assert earlier.context["carried_actions"] == []
    assert late.pk in [a.pk for a in earlier.context["decided_actions"]]


def test_a_meeting_follows_the_open_actions_of_its_perimeter_and_those_of_the_departement(client, manager, departement):
    north, south = SectorFactory(name="Nord"), SectorFactory(name="Sud")
    for sector, title in ((None, "Action du Département"), (north, "Action du Nord"), (south, "Action du Sud")):
        meeting = CopilMeetingFactory(held_on=datetime.date(2026, 9, 15), sector=sector, organisations=[departement])
        CopilActionFactory(meeting=meeting, title=title)

    def followed(sector):
        december = CopilMeetingFactory(held_on=datetime.date(2026, 12, 1), sector=sector, organisations=[departement])
        return {action.title for action in CopilAction.objects.before(december)}

    assert followed(north) == {"Action du Département", "Action du Nord"}
    assert followed(south) == {"Action du Département", "Action du Sud"}
    assert followed(None) == {"Action du Département"}  # each sector's COPIL follows its own actions

    client.force_login(manager)
    north_december = CopilMeeting.objects.get(sector=north, held_on=datetime.date(2026, 12, 1))
    response = client.get(reverse("partners:copil_detail", args=[north_december.pk]))
    assert {a.title for a in response.context["carried_actions"]} == {"Action du Département", "Action du Nord"}


def test_closing_an_action_from_the_next_meeting_updates_the_list(client, manager, september, departement):
    action = CopilActionFactory(meeting=september, title="Relancer les orientations")
    december = CopilMeetingFactory(held_on=datetime.date(2026, 12, 1), organisations=[departement])
    client.force_login(manager)
    url = reverse("partners:copil_action_status", args=[action.pk])
    response = client.post(
        url,
        {"meeting": december.pk, f"action-{action.pk}-status": "done", f"action-{action.pk}-comment": "Fait"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.context["carried_actions"] == []
    assert "Relancer les orientations" in response.content.decode()  # in the notice
    action.refresh_from_db()
    assert (action.status, action.closed_on, action.closed_at_meeting) == (
        CopilActionStatus.DONE,
        datetime.date(2026, 12, 2),
        december,
    )


def test_the_owner_of_an_action_may_update_it_without_recording_meetings(client, september, departement):
    referent = UserFactory(organisation=departement, roles=[Role.REFERENT])
    action = CopilActionFactory(meeting=september, owner=referent)
    client.force_login(referent)
    response = client.post(
        reverse("partners:copil_action_status", args=[action.pk]), {f"action-{action.pk}-status": "in_progress"}
    )
    assert response.status_code == 302
    assert CopilAction.objects.get(pk=action.pk).status == CopilActionStatus.IN_PROGRESS
    other = CopilActionFactory(meeting=september)
    assert client.post(reverse("partners:copil_action_status", args=[other.pk]), {}).status_code == 403


def test_the_copil_member_home_lists_meetings_open_actions_and_expiring_conventions(client, copil_member, september):
    CopilActionFactory(meeting=september, title="Action en retard", due_on=datetime.date(2026, 11, 1))
    ConventionFactory(title="Convention qui finit bientôt", valid_to=datetime.date(2027, 1, 15))
    client.force_login(copil_member)
    content = client.get(reverse("home")).content.decode()
    assert "COPIL de septembre" in content
    assert "Action en retard" in content
    assert "1 action en retard" in content
    assert "Convention qui finit bientôt" in content
    assert reverse("accompaniment:list") not in content  # no nominative file


def test_the_manager_who_recorded_a_meeting_sees_it_even_without_their_organisation(client, manager):
    meeting = CopilMeetingFactory(recorded_by=manager)
    client.force_login(manager)
    assert client.get(reverse("partners:copil_detail", args=[meeting.pk])).status_code == 200
