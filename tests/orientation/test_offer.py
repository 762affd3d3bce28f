"""The insertion offer: the catalogue with places left, prescription from the file (an activity of the
contract's action plan), the operator's answer, attendance and outcome, and the 7-day expiry."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection, transaction
from django.urls import reverse
from freezegun import freeze_time

from accompaniment.enums import ActivityStatus
from orientation import services_offer
from orientation.enums import ActionAxis, Attendance, Pathway, PrescriptionOutcome, PrescriptionStatus, RefusalReason
from orientation.models import InsertionAction, Prescription
from orientation.tasks import expire_prescriptions
from partners.enums import OrganisationType, Role
from tests.factories import BeneficiaryFactory, OrganisationFactory, UserFactory

from .offer_support import *  # noqa: F403  (fixtures)
from .offer_support import ActionFactory, give_contract

pytestmark = pytest.mark.usefixtures("_frozen")


def prescribe(file, action, by):
    return services_offer.prescription_prescribe(beneficiary=file, action=action, by=by)


def places_left(action):
    return InsertionAction.objects.with_places_left().get(pk=action.pk).places_left


# Prescription --------------------------------------------------------------------------------------------
def test_a_prescription_becomes_a_planned_activity_of_the_contract_and_holds_a_place_for_7_days(
    contracted_file, referent, operator_org
):
    action = ActionFactory(operator=operator_org, title="Atelier logement", places=2)
    prescription = prescribe(contracted_file, action, referent)
    activity = prescription.activity
    assert activity.contract == contracted_file.current_contract
    assert activity.status == ActivityStatus.PLANNED and activity.title == "Atelier logement"
    assert activity.provider_organisation == operator_org
    assert activity.starts_on == datetime.date(2026, 11, 20)  # the action began on the 16th: from today
    assert prescription.status == PrescriptionStatus.PENDING
    assert prescription.expires_at == prescription.prescribed_at + datetime.timedelta(days=7)
    assert places_left(action) == 1


def test_prescribing_to_a_full_action_is_refused_with_a_french_message(
    client, contracted_file, referent, departement, orientation_officer
):
    action = ActionFactory(places=1, title="Chantier d'insertion")
    other = give_contract(BeneficiaryFactory(created_by=referent), departement, orientation_officer, referent)
    prescribe(other, action, referent)
    assert places_left(action) == 0
    with pytest.raises(ValidationError) as refused:
        prescribe(contracted_file, action, referent)
    assert "L'action « Chantier d'insertion » est complète : plus aucune place disponible." in refused.value.messages[0]

    client.force_login(referent)
    response = client.post(reverse("orientation:prescribe", args=[contracted_file.pk, action.pk]), {"comment": ""})
    assert response.status_code == 200
    assert "est complète : plus aucune place disponible" in response.content.decode()
    assert not action.prescriptions.filter(beneficiary=contracted_file).exists()


def test_the_referent_prescribes_from_the_file_page(client, contracted_file, referent, operator_org):
    action = ActionFactory(operator=operator_org, title="Atelier mobilité")
    client.force_login(referent)
    listing = client.get(reverse("orientation:file_actions", args=[contracted_file.pk]))
    assert "Atelier mobilité" in listing.content.decode()
    filtered = client.get(
        reverse("orientation:file_actions", args=[contracted_file.pk]),
        {"axis": ActionAxis.LIFT_BARRIERS, "available": "on", "q": "mobilité"},
    )
    assert [a.title for a in filtered.context["page_obj"].object_list] == ["Atelier mobilité"]
    url = reverse("orientation:prescribe", args=[contracted_file.pk, action.pk])
    response = client.post(url, {"comment": "Disponible le matin"})
    assert response.status_code == 302
    prescription = Prescription.objects.get()
    assert prescription.comment == "Disponible le matin" and prescription.prescribed_by == referent
    page = client.get(reverse("accompaniment:detail", args=[contracted_file.pk])).content.decode()
    assert "Atelier mobilité" in page and "En attente de réponse" in page


def test_a_prescription_needs_a_contract_and_the_actions_pathway_and_sector(
    client, followed_file, referent, departement, orientation_officer, aix
):
    from orientation.services import orientation_decide

    action = ActionFactory()
    with pytest.raises(ValidationError, match="pas d'orientation en cours"):
        prescribe(followed_file, action, referent)
    orientation_decide(
        beneficiary=followed_file,
        pathway=Pathway.SOCIAL_PRO,
        organisation=departement,
        decided_on=datetime.date(2026, 10, 1),
        by=orientation_officer,
    )
    with pytest.raises(ValidationError, match="Aucun contrat d'engagement en cours"):
        prescribe(followed_file, action, referent)
    client.force_login(referent)
    page = client.get(reverse("orientation:file_actions", args=[followed_file.pk])).content.decode()
    assert "signez-le d'abord" in page
    with pytest.raises(ValidationError, match="réservée aux parcours emploi"):
        prescribe(followed_file, ActionFactory(pathways=[Pathway.EMPLOI]), referent)
    with pytest.raises(ValidationError, match="pas ouverte aux personnes du secteur"):
        prescribe(followed_file, ActionFactory(sectors=[aix]), referent)


def test_a_person_is_prescribed_once_to_an_action_while_the_prescription_is_open(contracted_file, referent):
    action = ActionFactory()
    prescribe(contracted_file, action, referent)
    with pytest.raises(ValidationError, match="déjà prescrite"):
        prescribe(contracted_file, action, referent)


# Places and expiry ---------------------------------------------------------------------------------------
def test_an_unanswered_prescription_frees_its_place_after_7_days_and_the_task_marks_it_expired(
    contracted_file, referent, operator
):
    action = ActionFactory(operator=operator.organisation, places=1)
    prescription = prescribe(contracted_file, action, referent)
    with freeze_time("2026-11-27 09:59:59"):
        assert places_left(action) == 0
    with freeze_time("2026-11-27 10:00:00"):
        assert places_left(action) == 1  # exact before the periodic task runs
        with pytest.raises(ValidationError, match="a expiré le 27/11/2026 sans réponse"):
            services_offer.prescription_accept(prescription=prescription, by=operator)
        assert expire_prescriptions.apply().get() == 1
        assert expire_prescriptions.apply().get() == 0  # idempotent
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.EXPIRED
    assert prescription.activity.status == ActivityStatus.ABANDONED
    assert places_left(action) == 1


def test_an_expired_prescription_lets_the_person_be_prescribed_again(contracted_file, referent):
    action = ActionFactory(places=1)
    prescribe(contracted_file, action, referent)
    with freeze_time("2026-11-28 10:00:00"):
        again = prescribe(contracted_file, action, referent)
    assert again.status == PrescriptionStatus.PENDING
    assert list(action.prescriptions.values_list("status", flat=True).order_by("id")) == ["expired", "pending"]


def test_a_refusal_needs_a_reason_frees_the_place_and_abandons_the_activity(contracted_file, referent, operator):
    action = ActionFactory(operator=operator.organisation, places=1)
    prescription = prescribe(contracted_file, action, referent)
    with pytest.raises(ValidationError):
        services_offer.prescription_refuse(prescription=prescription, by=operator, reason="")
    with pytest.raises(ValidationError, match="Précisez"):
        services_offer.prescription_refuse(prescription=prescription, by=operator, reason=RefusalReason.OTHER)
    services_offer.prescription_refuse(prescription=prescription, by=operator, reason=RefusalReason.NOT_ELIGIBLE)
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.REFUSED and prescription.answered_by == operator
    assert prescription.activity.status == ActivityStatus.ABANDONED
    assert places_left(action) == 1


def test_accepted_prescriptions_keep_their_place_and_attendance_moves_the_activity(contracted_file, referent, operator):
    action = ActionFactory(operator=operator.organisation, places=1)
    prescription = services_offer.prescription_accept(
        prescription=prescribe(contracted_file, action, referent), by=operator
    )
    with freeze_time("2026-12-20 10:00:00"):
        assert places_left(action) == 0
        services_offer.prescription_follow_up(prescription=prescription, by=operator, attendance=Attendance.ATTENDED)
        prescription.activity.refresh_from_db()
        assert prescription.activity.status == ActivityStatus.IN_PROGRESS
        services_offer.prescription_follow_up(
            prescription=prescription,
            by=operator,
            attendance=Attendance.ATTENDED,
            outcome=PrescriptionOutcome.TRAINING,
        )
    prescription.refresh_from_db()
    assert prescription.outcome == PrescriptionOutcome.TRAINING
    assert prescription.activity.status == ActivityStatus.DONE


# The operator's side -------------------------------------------------------------------------------------
def test_the_operator_sees_the_prescriptions_to_their_actions_only(client, contracted_file, referent, operator):
    mine = prescribe(contracted_file, ActionFactory(operator=operator.organisation, title="Jardin partagé"), referent)
    theirs = prescribe(contracted_file, ActionFactory(title="Autre action"), referent)
    client.force_login(operator)
    listing = client.get(reverse("orientation:prescription_list")).content.decode()
    assert "Jardin partagé" in listing and "Autre action" not in listing
    assert client.get(reverse("orientation:prescription_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("orientation:prescription_detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("accompaniment:detail", args=[contracted_file.pk])).status_code == 404  # no file page


def test_the_operator_accepts_refuses_and_records_attendance_through_the_pages(
    client, contracted_file, referent, operator
):
    action = ActionFactory(operator=operator.organisation)
    first = prescribe(contracted_file, action, referent)
    client.force_login(operator)
    response = client.post(reverse("orientation:prescription_accept", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == PrescriptionStatus.ACCEPTED
    response = client.post(
        reverse("orientation:prescription_follow_up", args=[first.pk]), {"attendance": Attendance.ABSENT}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.attendance == Attendance.ABSENT

    second = prescribe(contracted_file, ActionFactory(operator=operator.organisation), referent)
    response = client.post(reverse("orientation:prescription_refuse", args=[second.pk]), {"refusal_reason": ""})
    assert response.status_code == 200 and "Motif du refus" in response.content.decode()
    response = client.post(
        reverse("orientation:prescription_refuse", args=[second.pk]), {"refusal_reason": RefusalReason.FULL}
    )
    second.refresh_from_db()
    assert response.status_code == 302 and second.status == PrescriptionStatus.REFUSED


def test_the_referent_and_another_operator_cannot_answer(client, contracted_file, referent, operator):
    prescription = prescribe(contracted_file, ActionFactory(operator=operator.organisation), referent)
    client.force_login(referent)
    assert client.post(reverse("orientation:prescription_accept", args=[prescription.pk])).status_code == 403
    rival = UserFactory(
        organisation=OrganisationFactory(type=OrganisationType.INSERTION_OPERATOR), roles=[Role.OPERATOR]
    )
    client.force_login(rival)
    assert client.post(reverse("orientation:prescription_accept", args=[prescription.pk])).status_code == 404
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.PENDING


# Catalogue -----------------------------------------------------------------------------------------------
def test_the_files_actions_are_those_of_its_pathway_and_sector(client, contracted_file, referent, aix):
    ActionFactory(title="Pour le socio-professionnel", pathways=[Pathway.SOCIAL_PRO])
    ActionFactory(title="Pour l'emploi", pathways=[Pathway.EMPLOI])
    ActionFactory(title="À Aix", sectors=[aix])
    client.force_login(referent)
    response = client.get(reverse("orientation:file_actions", args=[contracted_file.pk]))
    assert [a.title for a in response.context["page_obj"].object_list] == ["Pour le socio-professionnel"]


def test_the_catalogue_filters_by_axis_and_places_left(client, contracted_file, referent):
    full = ActionFactory(title="Action complète", places=1, axis=ActionAxis.MOBILISE)
    prescribe(contracted_file, full, referent)
    ActionFactory(title="Action ouverte", axis=ActionAxis.PREPARE, esf_cofunded=True)
    ActionFactory(title="Action terminée", starts_on=datetime.date(2026, 1, 5), ends_on=datetime.date(2026, 6, 30))
    client.force_login(referent)

    def titles(**query):
        response = client.get(reverse("orientation:action_list"), query)
        assert response.status_code == 200
        return {a.title for a in response.context["page_obj"].object_list}

    assert titles() == {"Action complète", "Action ouverte"}
    assert titles(axis=ActionAxis.PREPARE) == {"Action ouverte"}
    assert titles(available="on") == {"Action ouverte"}
    ActionFactory(title="Réservée à l'emploi", pathways=[Pathway.EMPLOI])
    assert "Réservée à l'emploi" not in titles(pathway=Pathway.SOCIAL_PRO)
    assert "Réservée à l'emploi" in titles(pathway=Pathway.EMPLOI)
    assert "Complète (1 place)" in client.get(reverse("orientation:action_list")).content.decode()


def test_an_operator_adds_an_action_of_their_organisation_with_esf_funding(client, operator, marseille_sud):
    client.force_login(operator)
    data = {
        "title": "Remobilisation par le sport",
        "axis": ActionAxis.MOBILISE,
        "activity_kind": "workshop",
        "places": "12",
        "starts_on": "04/01/2027",
        "ends_on": "30/06/2027",
        "weekly_hours": "6",
        "funders": "Département, FSE+",
        "funding_amount": "24000",
        "esf_cofunded": "on",
        "esf_amount": "12000",
        "pathways": [Pathway.REMOBILISATION, Pathway.SOCIAL_PRO],
        "sectors": [marseille_sud.pk],
        "active": "on",
    }
    response = client.post(reverse("orientation:action_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    action = InsertionAction.objects.get()
    assert action.operator == operator.organisation and action.esf_amount == 12000
    assert action.pathway_codes == [Pathway.SOCIAL_PRO, Pathway.REMOBILISATION]
    data["esf_cofunded"] = ""
    response = client.post(reverse("orientation:action_edit", args=[action.pk]), data)
    assert "Un montant FSE+ suppose" in response.content.decode()


# Concurrency ---------------------------------------------------------------------------------------------
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_prescriptions_for_the_last_place_end_with_one_accepted(
    followed_file, referent, departement, orientation_officer
):
    """The first transaction locks the action and prescribes, then waits; the second blocks on the lock, and
    once the first commits it counts the place taken and is refused."""
    first_file = give_contract(followed_file, departement, orientation_officer, referent)
    second_file = give_contract(BeneficiaryFactory(created_by=referent), departement, orientation_officer, referent)
    action = ActionFactory(places=1)
    first_prescribed, release = threading.Event(), threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = prescribe(first_file, action, referent)
                first_prescribed.set()
                release.wait(10)
        finally:
            first_prescribed.set()
            close_old_connections()
            connection.close()

    def second():
        try:
            first_prescribed.wait(10)
            outcomes["second"] = prescribe(second_file, action, referent)
        except ValidationError as error:
            outcomes["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_prescribed.wait(10)
    threads[1].join(1)  # the second is blocked on the action's row lock
    assert threads[1].is_alive()
    release.set()
    for thread in threads:
        thread.join(20)

    assert isinstance(outcomes["first"], Prescription)
    assert isinstance(outcomes["second"], ValidationError)
    assert "est complète" in outcomes["second"].messages[0]
    assert action.prescriptions.count() == 1 and places_left(action) == 0


def test_the_file_page_runs_the_same_queries_with_1_and_6_prescriptions(client, contracted_file, referent):
    from django.db import connection as default_connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("accompaniment:detail", args=[contracted_file.pk])
    client.force_login(referent)
    prescribe(contracted_file, ActionFactory(), referent)

    def count():
        client.get(url)
        with CaptureQueriesContext(default_connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    one = count()
    for _ in range(5):
        prescribe(contracted_file, ActionFactory(), referent)
    assert count() == one


def test_a_prescribed_file_can_be_deleted_with_its_activities_and_prescriptions(contracted_file, referent):
    prescription = prescribe(contracted_file, ActionFactory(), referent)
    contracted_file.delete()
    assert not Prescription.objects.filter(pk=prescription.pk).exists()


def test_the_files_timeline_tells_the_prescription_its_answer_and_follow_up(contracted_file, referent, operator):
    from accompaniment import timeline

    prescription = prescribe(contracted_file, ActionFactory(operator=operator.organisation, title="Jardin"), referent)
    services_offer.prescription_accept(prescription=prescription, by=operator)
    services_offer.prescription_follow_up(prescription=prescription, by=operator, attendance=Attendance.PARTIAL)
    titles = [event.title for event in timeline.events_for(contracted_file)]
    assert "Prescription sur « Jardin »" in titles
    assert "Prescription acceptée : « Jardin »" in titles
    assert "Suivi de l'action « Jardin »" in titles


def test_an_operator_edits_its_own_actions_only(client, operator):
    mine = ActionFactory(operator=operator.organisation)
    theirs = ActionFactory()
    client.force_login(operator)
    assert client.get(reverse("orientation:action_edit", args=[mine.pk])).status_code == 200
    assert client.get(reverse("orientation:action_edit", args=[theirs.pk])).status_code == 404


def test_the_beat_runs_the_expiry_of_unanswered_prescriptions_every_hour(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["expire-prescriptions"]
    assert entry["task"] == "orientation.expire_prescriptions"
    assert entry["task"] in app.tasks
