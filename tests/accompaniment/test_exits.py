"""The exit from the file page: it closes the open episode; refused exits show their message on the field and
write nothing; the reasons a file may take come first; who may record it."""

import datetime

import pytest
from django.urls import reverse
from freezegun import freeze_time

from accompaniment import services
from accompaniment.enums import ExitReason, InterviewKind, InterviewStatus, Status
from accompaniment.models import Beneficiary, Episode, Exit, ReferentAssignment
from accompaniment.permissions import share_file
from accompaniment.timeline import events_for
from orientation.models import Orientation
from orientation.services import orientation_decide
from partners.enums import OrganisationType, Role
from tests.factories import OrganisationFactory, UserFactory

TODAY = datetime.date(2026, 11, 20)
PARIS = datetime.timezone(datetime.timedelta(hours=1))
pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with freeze_time("2026-11-20 10:00:00"):
        yield


@pytest.fixture
def officer(departement):
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])


@pytest.fixture
def oriented_file(followed_file, departement, officer, referent):
    orientation_decide(
        beneficiary=followed_file,
        pathway="social_pro",
        organisation=departement,
        decided_on=datetime.date(2026, 10, 1),
        by=officer,
    )
    services.referent_designate(
        beneficiary=followed_file, agent=referent, designated_on=datetime.date(2026, 10, 2), by=officer
    )
    return followed_file


@pytest.fixture
def accompanied_file(oriented_file, referent):
    """In accompaniment since 12/10/2026."""
    services.interview_record(
        beneficiary=oriented_file,
        by=referent,
        kind=InterviewKind.ACCOMPANIMENT,
        scheduled_for=datetime.datetime(2026, 10, 12, 9, 30, tzinfo=PARIS),
        status=InterviewStatus.HELD,
        held_on=datetime.date(2026, 10, 12),
    )
    return oriented_file


def exit_url(file):
    return reverse("accompaniment:exit_create", kwargs={"pk": file.pk})


def detail_url(file):
    return reverse("accompaniment:detail", kwargs={"pk": file.pk})


def status_of(file):
    return Beneficiary.objects.get(pk=file.pk).status


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_an_exit_to_durable_employment_closes_the_episode_and_the_file_is_exited(client, referent, accompanied_file):
    client.force_login(referent)
    assert client.get(exit_url(accompanied_file)).status_code == 200
    response = client.post(
        exit_url(accompanied_file),
        {"exited_on": "15/11/2026", "reason": "emploi_durable", "comment": "CDI d'aide-soignante"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == detail_url(accompanied_file) + "#accompagnement"
    assert messages_of(response) == [
        "Sortie enregistrée le 15/11/2026 : Emploi durable (CDI, CDD ou intérim de 6 mois et plus, création "
        "d'entreprise). L'accompagnement commencé le 12/10/2026 est clos."
    ]
    exit_ = Exit.objects.get()
    assert (exit_.reason, exit_.comment, exit_.created_by) == ("emploi_durable", "CDI d'aide-soignante", referent)
    episode = Episode.objects.get()
    assert exit_.episode == episode and episode.ended_on == datetime.date(2026, 11, 15)
    assert status_of(accompanied_file) == Status.EXITED
    assert not Orientation.objects.current().filter(beneficiary=accompanied_file).exists()
    assert not ReferentAssignment.objects.current().filter(beneficiary=accompanied_file).exists()
    html = response.content.decode()
    assert "Accompagnement du 12/10/2026 au 15/11/2026" in html and "Sortie positive" in html
    assert exit_url(accompanied_file) not in html  # an exited file shows no exit button


def test_a_positive_exit_without_an_episode_is_refused_on_the_reason_and_writes_nothing(
    client, referent, oriented_file
):
    client.force_login(referent)
    response = client.post(exit_url(oriented_file), {"exited_on": "15/11/2026", "reason": "formation"})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == [
        "Ce motif de sortie suppose un accompagnement en cours : le dossier n'est pas accompagné."
    ]
    assert 'id="id_reason_error"' in response.content.decode()
    assert not Exit.objects.exists()
    assert Orientation.objects.current().filter(beneficiary=oriented_file).exists()
    assert ReferentAssignment.objects.current().filter(beneficiary=oriented_file).exists()
    assert status_of(oriented_file) == Status.ORIENTED


def test_an_exit_dated_before_the_episode_start_is_refused_on_the_date_and_writes_nothing(
    client, referent, accompanied_file
):
    client.force_login(referent)
    response = client.post(exit_url(accompanied_file), {"exited_on": "01/10/2026", "reason": "emploi_transition"})
    assert response.context["form"].errors["exited_on"] == [
        "La sortie ne peut pas précéder l'entrée en accompagnement (12/10/2026)."
    ]
    assert 'id="id_exited_on_error"' in response.content.decode()
    assert not Exit.objects.exists()
    assert Episode.objects.get().ended_on is None
    assert status_of(accompanied_file) == Status.IN_ACCOMPANIMENT


def test_an_exit_in_the_future_is_refused(client, referent, accompanied_file):
    client.force_login(referent)
    response = client.post(exit_url(accompanied_file), {"exited_on": "21/11/2026", "reason": "abandon"})
    assert response.context["form"].errors["exited_on"] == ["La date de sortie ne peut pas être dans le futur."]
    assert not Exit.objects.exists()


def test_a_move_away_closes_a_file_that_never_entered_accompaniment(client, referent, oriented_file):
    client.force_login(referent)
    response = client.post(exit_url(oriented_file), {"exited_on": "18/11/2026", "reason": "demenagement"}, follow=True)
    assert messages_of(response) == ["Sortie enregistrée le 18/11/2026 : Déménagement."]
    exit_ = Exit.objects.get()
    assert exit_.episode is None
    assert status_of(oriented_file) == Status.EXITED
    assert "Sortie du 18/11/2026</span>, sans accompagnement" in response.content.decode()


def test_a_file_never_oriented_may_also_exit_for_an_end_of_rights(client, referent, followed_file):
    client.force_login(referent)
    response = client.post(exit_url(followed_file), {"exited_on": "18/11/2026", "reason": "fin_droits"})
    assert response.status_code == 302
    assert status_of(followed_file) == Status.EXITED


def test_an_exited_file_cannot_exit_again_until_it_is_oriented_again(
    client, referent, oriented_file, officer, departement
):
    services.exit_record(
        beneficiary=oriented_file, exited_on=datetime.date(2026, 11, 1), reason=ExitReason.ABANDON, by=referent
    )
    client.force_login(referent)
    page = client.get(exit_url(oriented_file)).content.decode()
    assert "Ce dossier est déjà sorti du dispositif le 01/11/2026 (Abandon)" in page
    response = client.post(exit_url(oriented_file), {"exited_on": "05/11/2026", "reason": "demenagement"})
    assert response.context["form"].non_field_errors() == [
        "Ce dossier est déjà sorti du dispositif le 01/11/2026 (Abandon) : une nouvelle orientation précède une "
        "nouvelle sortie."
    ]
    assert Exit.objects.count() == 1
    orientation_decide(
        beneficiary=oriented_file,
        pathway="remobilisation",
        organisation=departement,
        decided_on=datetime.date(2026, 11, 10),
        by=officer,
    )
    assert (
        client.post(exit_url(oriented_file), {"exited_on": "18/11/2026", "reason": "demenagement"}).status_code == 302
    )
    assert Exit.objects.count() == 2


def test_the_reasons_the_file_may_take_come_first_and_all_eight_are_listed(client, referent, oriented_file):
    client.force_login(referent)
    form = client.get(exit_url(oriented_file)).context["form"]
    groups = form.reason_groups()
    assert [group.title for group in groups] == [
        "Motifs possibles pour ce dossier",
        "Motifs qui supposent un accompagnement en cours",
    ]
    assert [choice.data["value"] for choice in groups[0].choices] == ["demenagement", "fin_droits", "abandon", "autre"]
    assert [choice.data["value"] for choice in groups[1].choices] == [
        "emploi_durable",
        "emploi_transition",
        "formation",
        "autre_accompagnement",
    ]


def test_during_an_accompaniment_every_reason_is_possible(client, referent, accompanied_file):
    client.force_login(referent)
    response = client.get(exit_url(accompanied_file))
    groups = response.context["form"].reason_groups()
    assert len(groups) == 1 and len(groups[0].choices) == len(ExitReason)
    assert "en accompagnement depuis le 12/10/2026" in response.content.decode()


# Who may ------------------------------------------------------------------------------------------------
def test_a_user_of_another_organisation_and_a_stranger_get_404(
    client, accompanied_file, other_organisation_user, stranger
):
    for user in (other_organisation_user, stranger):
        client.force_login(user)
        assert client.get(exit_url(accompanied_file)).status_code == 404
        assert client.post(
            exit_url(accompanied_file), {"exited_on": "15/11/2026", "reason": "abandon"}
        ).status_code == (404)
    assert not Exit.objects.exists()


def test_a_caf_agent_who_sees_the_file_may_not_record_an_exit(client, referent, accompanied_file):
    caf = OrganisationFactory(code="CAF13", type=OrganisationType.CAF)
    caf_agent = UserFactory(organisation=caf, roles=[Role.CAF_AGENT])
    share_file(
        beneficiary=accompanied_file,
        by=referent,
        reason="Droits",
        ends_on=TODAY + datetime.timedelta(days=10),
        user=caf_agent,
    )
    client.force_login(caf_agent)
    assert client.get(exit_url(accompanied_file)).status_code == 403
    assert client.post(exit_url(accompanied_file), {"exited_on": "15/11/2026", "reason": "abandon"}).status_code == 403
    assert not Exit.objects.exists()


def test_an_orientation_officer_who_sees_the_file_records_an_exit(client, officer, accompanied_file):
    client.force_login(officer)
    response = client.post(exit_url(accompanied_file), {"exited_on": "15/11/2026", "reason": "autre_accompagnement"})
    assert response.status_code == 302
    assert Exit.objects.get().created_by == officer


def test_a_manager_of_the_referents_team_records_an_exit(client, referent, accompanied_file, departement):
    manager = UserFactory(organisation=departement, roles=[Role.MANAGER])
    referent.teams.update(manager=manager)
    client.force_login(manager)
    response = client.post(exit_url(accompanied_file), {"exited_on": "15/11/2026", "reason": "abandon"})
    assert response.status_code == 302
    assert Exit.objects.get().created_by == manager


# The file page and its timeline -----------------------------------------------------------------------------
def test_the_file_page_shows_the_open_episode_and_the_exit_button(client, referent, accompanied_file):
    client.force_login(referent)
    html = client.get(detail_url(accompanied_file)).content.decode()
    assert "En accompagnement depuis le <strong>12/10/2026</strong>" in html
    assert exit_url(accompanied_file) in html


def test_the_timeline_tells_the_entry_the_end_and_the_exit_with_who_did_them(referent, accompanied_file):
    services.exit_record(
        beneficiary=accompanied_file,
        exited_on=datetime.date(2026, 11, 15),
        reason=ExitReason.EMPLOI_DURABLE,
        comment="CDI",
        by=referent,
    )
    events = {event.title: event for event in events_for(accompanied_file)}
    entry = events["Entrée en accompagnement"]
    assert entry.details == ("Premier entretien : Entretien d'accompagnement tenu le 12/10/2026",)
    assert entry.actor == f"Rachida Référente ({referent.organisation})"
    end = events["Fin de l'accompagnement"]
    assert end.details[0].startswith("Motif : Emploi durable") and end.details[1] == "Durée : 34 jours"
    exit_event = events["Sortie : Emploi durable (CDI, CDD ou intérim de 6 mois et plus, création d'entreprise)"]
    assert exit_event.details == ("Précision : CDI",)
    assert exit_event.actor == f"Rachida Référente ({referent.organisation})"


def test_an_exit_without_accompaniment_says_so_in_the_timeline(referent, oriented_file):
    services.exit_record(
        beneficiary=oriented_file, exited_on=datetime.date(2026, 11, 15), reason=ExitReason.DEMENAGEMENT, by=referent
    )
    events = {event.title: event for event in events_for(oriented_file)}
    assert events["Sortie : Déménagement"].details == ("Le dossier n'était pas entré en accompagnement.",)
    assert "Fin de l'accompagnement" not in events


def test_on_a_single_day_the_timeline_reads_the_exit_the_end_the_entry_then_the_interview(referent, oriented_file):
    services.interview_record(
        beneficiary=oriented_file,
        by=referent,
        kind=InterviewKind.REVIEW,
        scheduled_for=datetime.datetime(2026, 11, 16, 9, 30, tzinfo=PARIS),
        status=InterviewStatus.HELD,
        held_on=datetime.date(2026, 11, 16),
    )
    services.exit_record(
        beneficiary=oriented_file, exited_on=datetime.date(2026, 11, 16), reason=ExitReason.FORMATION, by=referent
    )
    titles = [event.title for event in events_for(oriented_file) if event.at.date() == datetime.date(2026, 11, 16)]
    assert titles[:4] == [
        "Sortie : Formation qualifiante",
        "Fin de l'accompagnement",
        "Entrée en accompagnement",
        "Entretien tenu : Bilan",
    ]


def test_an_exit_ends_the_contract_in_force_on_the_exit_date(referent, accompanied_file):
    contract = services.contract_sign(
        beneficiary=accompanied_file,
        by=referent,
        signed_on=datetime.date(2026, 10, 12),
        starts_on=datetime.date(2026, 10, 12),
        ends_on=datetime.date(2027, 4, 11),
    )

    services.exit_record(
        beneficiary=accompanied_file,
        exited_on=datetime.date(2026, 11, 16),
        reason=ExitReason.EMPLOI_DURABLE,
        by=referent,
    )

    contract.refresh_from_db()
    assert contract.ends_on == datetime.date(2026, 11, 16)
