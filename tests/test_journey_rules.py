"""The journey's transitions refuse invalid moves with a French message; the status is derived, never typed."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from freezegun import freeze_time

from accompaniment import services
from accompaniment.enums import ContractKind, ExitReason, InterviewKind, InterviewStatus, Status
from accompaniment.models import Beneficiary, Episode, ReferentAssignment
from orientation.enums import OrientationEndReason, Pathway
from orientation.models import Orientation
from orientation.services import orientation_decide, orientation_reorient
from partners.enums import OrganisationType, Role
from tests.factories import OrganisationFactory, UserFactory

TODAY = datetime.date(2026, 11, 20)
pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with freeze_time("2026-11-20 10:00:00"):
        yield


@pytest.fixture
def officer(departement):
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])


@pytest.fixture
def oriented_file(followed_file, departement, officer):
    orientation_decide(
        beneficiary=followed_file,
        pathway=Pathway.SOCIAL_PRO,
        organisation=departement,
        decided_on=datetime.date(2026, 10, 1),
        by=officer,
    )
    return followed_file


def _status(file):
    return Beneficiary.objects.get(pk=file.pk).status


def _held(file, by, on, kind=InterviewKind.ACCOMPANIMENT):
    return services.interview_record(
        beneficiary=file,
        by=by,
        kind=kind,
        scheduled_for=datetime.datetime(on.year, on.month, on.day, 9, 30, tzinfo=datetime.UTC),
        status=InterviewStatus.HELD,
        held_on=on,
    )


def _sign(file, by, **overrides):
    fields = {
        "kind": ContractKind.CE,
        "signed_on": datetime.date(2026, 10, 20),
        "starts_on": datetime.date(2026, 10, 20),
        "ends_on": datetime.date(2027, 4, 20),
        "weekly_hours": 15,
    }
    fields.update(overrides)
    return services.contract_sign(beneficiary=file, by=by, **fields)


def test_status_moves_from_to_orient_to_oriented_to_in_accompaniment_to_exited(
    followed_file, referent, departement, officer
):
    assert _status(followed_file) == Status.TO_ORIENT
    orientation_decide(
        beneficiary=followed_file,
        pathway=Pathway.EMPLOI,
        organisation=departement,
        decided_on=datetime.date(2026, 10, 1),
        by=officer,
    )
    assert _status(followed_file) == Status.ORIENTED
    _held(followed_file, referent, datetime.date(2026, 10, 10))
    assert _status(followed_file) == Status.IN_ACCOMPANIMENT
    services.exit_record(
        beneficiary=followed_file, exited_on=datetime.date(2026, 11, 15), reason=ExitReason.EMPLOI_DURABLE, by=referent
    )
    assert _status(followed_file) == Status.EXITED
    assert followed_file.status == Status.EXITED  # the property agrees with the annotation


def test_diagnostic_and_caf_interviews_do_not_open_an_episode(oriented_file, referent):
    _held(oriented_file, referent, datetime.date(2026, 10, 5), kind=InterviewKind.TRIPARTITE)
    _held(oriented_file, referent, datetime.date(2026, 10, 6), kind=InterviewKind.CAF_RIGHTS)
    assert not Episode.objects.filter(beneficiary=oriented_file).exists()
    _held(oriented_file, referent, datetime.date(2026, 10, 12), kind=InterviewKind.FOLLOW_UP)
    episode = Episode.objects.get(beneficiary=oriented_file)
    assert episode.started_on == datetime.date(2026, 10, 12)


def test_a_held_interview_updates_the_last_contact_date(oriented_file, referent):
    _held(oriented_file, referent, datetime.date(2026, 10, 12))
    oriented_file.refresh_from_db()
    assert oriented_file.last_contact_on == datetime.date(2026, 10, 12)


def test_an_interview_held_before_the_orientation_opens_no_episode(oriented_file, referent):
    _held(oriented_file, referent, datetime.date(2026, 9, 20))
    assert not Episode.objects.exists()


def test_a_held_interview_needs_its_date(oriented_file, referent):
    with pytest.raises(ValidationError) as error:
        services.interview_record(
            beneficiary=oriented_file,
            by=referent,
            kind=InterviewKind.ACCOMPANIMENT,
            scheduled_for=datetime.datetime(2026, 10, 1, 9, tzinfo=datetime.UTC),
            status=InterviewStatus.HELD,
        )
    assert "held_on" in error.value.message_dict


def test_no_contract_without_a_current_orientation(followed_file, referent):
    with pytest.raises(ValidationError, match="orientation en cours"):
        _sign(followed_file, referent)


def test_a_contract_below_15_hours_needs_a_reduction_reason(oriented_file, referent):
    with pytest.raises(ValidationError) as error:
        _sign(oriented_file, referent, weekly_hours=10)
    assert "hours_reduction_reason" in error.value.message_dict
    contract = _sign(oriented_file, referent, weekly_hours=10, hours_reduction_reason="health")
    assert contract.weekly_hours == 10


def test_a_contract_above_20_hours_is_refused(oriented_file, referent):
    with pytest.raises(ValidationError, match="20"):
        _sign(oriented_file, referent, weekly_hours=21)


def test_hours_steps_ramp_up_progressively_to_20_hours_at_most(oriented_file, referent):
    contract = _sign(
        oriented_file, referent, hours_steps=[(datetime.date(2026, 11, 20), 18), (datetime.date(2027, 1, 1), 20)]
    )
    assert [step.weekly_hours for step in contract.hours_steps.all()] == [18, 20]
    with pytest.raises(ValidationError):
        _sign(oriented_file, referent, hours_steps=[(datetime.date(2026, 11, 20), 12)])


def test_no_exit_date_before_the_episode_start(oriented_file, referent):
    _held(oriented_file, referent, datetime.date(2026, 10, 12))
    with pytest.raises(ValidationError) as error:
        services.exit_record(
            beneficiary=oriented_file, exited_on=datetime.date(2026, 10, 1), reason=ExitReason.FORMATION, by=referent
        )
    assert "exited_on" in error.value.message_dict


@pytest.mark.parametrize("reason", [ExitReason.EMPLOI_DURABLE, ExitReason.EMPLOI_TRANSITION, ExitReason.FORMATION])
def test_no_employment_or_training_exit_without_an_episode(oriented_file, referent, reason):
    with pytest.raises(ValidationError) as error:
        services.exit_record(beneficiary=oriented_file, exited_on=TODAY, reason=reason, by=referent)
    assert "reason" in error.value.message_dict


def test_a_move_away_closes_a_file_that_never_entered_accompaniment(oriented_file, referent):
    exit_ = services.exit_record(
        beneficiary=oriented_file, exited_on=TODAY, reason=ExitReason.DEMENAGEMENT, by=referent
    )
    assert exit_.episode is None
    assert _status(oriented_file) == Status.EXITED
    assert not Orientation.objects.current().filter(beneficiary=oriented_file).exists()


def test_an_exited_file_does_not_exit_twice_until_it_is_oriented_again(oriented_file, referent, officer, departement):
    services.exit_record(
        beneficiary=oriented_file, exited_on=datetime.date(2026, 11, 1), reason=ExitReason.ABANDON, by=referent
    )
    with pytest.raises(ValidationError, match="déjà sorti du dispositif le 01/11/2026"):
        services.exit_record(
            beneficiary=oriented_file, exited_on=datetime.date(2026, 11, 5), reason=ExitReason.DEMENAGEMENT, by=referent
        )
    orientation_decide(
        beneficiary=oriented_file, pathway=Pathway.EMPLOI, organisation=departement, decided_on=TODAY, by=officer
    )
    services.exit_record(beneficiary=oriented_file, exited_on=TODAY, reason=ExitReason.DEMENAGEMENT, by=referent)
    assert oriented_file.exits.count() == 2


def test_the_opening_interview_stays_a_held_accompaniment_interview(oriented_file, referent):
    interview = _held(oriented_file, referent, datetime.date(2026, 10, 12))
    with pytest.raises(ValidationError) as error:
        services.interview_update(interview=interview, by=referent, status=InterviewStatus.CANCELLED, held_on=None)
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.interview_update(interview=interview, by=referent, kind=InterviewKind.DIAGNOSTIC)
    assert "kind" in error.value.message_dict
    interview.refresh_from_db()
    assert (interview.kind, interview.status) == (InterviewKind.ACCOMPANIMENT, InterviewStatus.HELD)


def test_correcting_the_held_date_of_the_opening_interview_moves_the_entry_into_accompaniment(oriented_file, referent):
    interview = _held(oriented_file, referent, datetime.date(2026, 10, 12))
    services.interview_update(interview=interview, by=referent, held_on=datetime.date(2026, 10, 10))
    assert Episode.objects.get().started_on == datetime.date(2026, 10, 10)
    with pytest.raises(ValidationError) as error:
        services.interview_update(interview=interview, by=referent, held_on=datetime.date(2026, 9, 1))
    assert "précéder la décision d'orientation (01/10/2026)" in error.value.message_dict["held_on"][0]
    assert Episode.objects.get().started_on == datetime.date(2026, 10, 10)


def test_the_opening_interview_cannot_move_after_the_end_of_its_episode(oriented_file, referent):
    interview = _held(oriented_file, referent, datetime.date(2026, 10, 12))
    services.exit_record(
        beneficiary=oriented_file, exited_on=datetime.date(2026, 10, 20), reason=ExitReason.ABANDON, by=referent
    )
    with pytest.raises(ValidationError) as error:
        services.interview_update(interview=interview, by=referent, held_on=datetime.date(2026, 10, 25))
    assert "a pris fin le 20/10/2026" in error.value.message_dict["held_on"][0]
    assert Episode.objects.get().started_on == datetime.date(2026, 10, 12)


def test_reorientation_keeps_the_previous_orientation_with_its_closing_reason(oriented_file, officer):
    ft = OrganisationFactory(code="FT-MRS", type=OrganisationType.FRANCE_TRAVAIL)
    new = orientation_reorient(
        beneficiary=oriented_file,
        pathway=Pathway.EMPLOI,
        organisation=ft,
        decided_on=datetime.date(2026, 11, 2),
        by=officer,
        reason="Projet professionnel confirmé lors du bilan",
    )
    history = list(Orientation.objects.filter(beneficiary=oriented_file).order_by("decided_on"))
    assert len(history) == 2
    previous = history[0]
    assert previous.ended_on == datetime.date(2026, 11, 2)
    assert previous.end_reason == OrientationEndReason.REORIENTATION
    assert previous.end_comment == "Projet professionnel confirmé lors du bilan"
    assert new.previous == previous and new.is_current


def test_a_second_orientation_while_one_is_current_is_refused(oriented_file, officer, departement):
    with pytest.raises(ValidationError, match="réorientation"):
        orientation_decide(
            beneficiary=oriented_file, pathway=Pathway.EMPLOI, organisation=departement, decided_on=TODAY, by=officer
        )


def test_the_database_keeps_one_current_orientation_per_file(oriented_file, officer, departement):
    with pytest.raises(IntegrityError), transaction.atomic():
        Orientation.objects.create(
            beneficiary=oriented_file,
            pathway=Pathway.EMPLOI,
            organisation=departement,
            decided_on=TODAY,
            decided_by=officer,
        )


def test_referent_belongs_to_the_lead_organisation_and_history_is_kept(oriented_file, officer, departement, referent):
    other = UserFactory(organisation=departement, roles=[Role.REFERENT])
    stranger_referent = UserFactory(roles=[Role.REFERENT])
    with pytest.raises(ValidationError) as error:
        services.referent_designate(beneficiary=oriented_file, agent=stranger_referent, designated_on=TODAY, by=officer)
    assert "agent" in error.value.message_dict
    services.referent_designate(
        beneficiary=oriented_file, agent=referent, designated_on=datetime.date(2026, 10, 2), by=officer
    )
    services.referent_designate(
        beneficiary=oriented_file, agent=other, designated_on=datetime.date(2026, 11, 1), by=officer, reason="Congé"
    )
    history = list(ReferentAssignment.objects.filter(beneficiary=oriented_file).order_by("designated_on"))
    assert [(a.agent, a.ended_on) for a in history] == [(referent, datetime.date(2026, 11, 1)), (other, None)]
    assert history[0].end_reason == "Congé"


def test_the_database_keeps_one_current_referent_per_file(oriented_file, officer, referent, departement):
    services.referent_designate(beneficiary=oriented_file, agent=referent, designated_on=TODAY, by=officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferentAssignment.objects.create(
            beneficiary=oriented_file,
            agent=referent,
            organisation=departement,
            designated_on=TODAY,
            designated_by=officer,
        )


def test_the_current_referent_and_the_lead_organisation_see_the_file(oriented_file, officer, departement):
    ft = OrganisationFactory(code="FT-EST", type=OrganisationType.FRANCE_TRAVAIL)
    ft_referent = UserFactory(organisation=ft, roles=[Role.REFERENT])
    ft_officer = UserFactory(organisation=ft, roles=[Role.ORIENTATION_OFFICER])
    assert not Beneficiary.objects.for_user(ft_officer).exists()
    orientation_reorient(
        beneficiary=oriented_file,
        pathway=Pathway.EMPLOI,
        organisation=ft,
        decided_on=TODAY,
        by=officer,
        reason="Projet emploi",
    )
    assert list(Beneficiary.objects.for_user(ft_officer)) == [oriented_file]
    assert not Beneficiary.objects.for_user(ft_referent).exists()
    services.referent_designate(beneficiary=oriented_file, agent=ft_referent, designated_on=TODAY, by=ft_officer)
    assert list(Beneficiary.objects.for_user(ft_referent)) == [oriented_file]
