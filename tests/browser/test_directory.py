"""In real Chromium (issue 8's acceptance): the referent finds a housing service from the file, prescribes an
action; the operator accepts it and records attendance; the activity appears in the contract's action plan.
Every page on the way is checked with axe-core."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accompaniment import services as accompaniment_services
from orientation.enums import ActionAxis, BarrierCategoryCode, BarrierLevel, Pathway, PrescriptionStatus
from orientation.models import InsertionAction, Prescription, Service, ServiceCategory
from orientation.services import orientation_decide
from partners.enums import OrganisationType, Role
from tests.factories import DEFAULT_PASSWORD, BeneficiaryFactory, OrganisationFactory, UserFactory
from tests.orientation.factories import DiagnosticFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _service(provider, sector, name):
    service = Service.objects.create(
        provider=provider,
        name=name,
        city="Marseille",
        phone="04 91 55 00 00",
        access_conditions="Sans rendez-vous le matin",
        opening_hours="Du lundi au vendredi, 9 h - 12 h",
    )
    ServiceCategory.objects.create(service=service, category=BarrierCategoryCode.HOUSING)
    service.sectors.set([sector])
    return service


@pytest.fixture
def journey(departement, marseille_sud, aix, referent):
    today = timezone.localdate()
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    file = BeneficiaryFactory(created_by=referent, first_name="Awa", last_name="Diallo", phone="06 12 34 56 78")
    DiagnosticFactory(
        beneficiary=file,
        created_by=referent,
        held_on=today - datetime.timedelta(days=25),
        barriers={"levels": {BarrierCategoryCode.HOUSING: BarrierLevel.STRONG}},
    )
    orientation_decide(
        beneficiary=file,
        pathway=Pathway.SOCIAL_PRO,
        organisation=departement,
        decided_on=today - datetime.timedelta(days=20),
        by=officer,
    )
    accompaniment_services.referent_designate(
        beneficiary=file, agent=referent, designated_on=today - datetime.timedelta(days=18), by=officer
    )
    accompaniment_services.contract_sign(
        beneficiary=file,
        by=referent,
        signed_on=today - datetime.timedelta(days=10),
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=170),
        weekly_hours=Decimal(15),
    )
    ccas = OrganisationFactory(code="CCAS-MRS", type=OrganisationType.CCAS, name="CCAS de Marseille")
    _service(ccas, marseille_sud, "Accueil logement Marseille Sud")
    _service(ccas, aix, "Accueil logement Pays d'Aix")
    aci = OrganisationFactory(code="ACI-NORD", type=OrganisationType.INSERTION_OPERATOR, name="ACI Les Jardins du Nord")
    operator = UserFactory(organisation=aci, roles=[Role.OPERATOR], first_name="Thomas", last_name="Giraud")
    InsertionAction.objects.create(
        operator=aci,
        title="Atelier accès au logement",
        axis=ActionAxis.LIFT_BARRIERS,
        places=1,
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=90),
        weekly_hours=Decimal(4),
        funders="Département, FSE+",
        esf_cofunded=True,
    )
    return file, operator


def test_referent_finds_a_service_prescribes_and_the_operator_accepts_and_records_attendance(
    page, browser, live_server, login, assert_accessible, referent, journey
):
    file, operator = journey
    login(page, referent, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/dossiers/{file.pk}/")
    section = page.locator("#offre")
    expect(section.get_by_text("Logement", exact=True)).to_be_visible()
    expect(section.get_by_role("link", name="Accueil logement Marseille Sud")).to_be_visible()
    expect(section.get_by_text("Accueil logement Pays d'Aix")).to_have_count(0)
    assert_accessible(page, "la fiche avec ses ressources")

    section.get_by_role("link", name="Accueil logement Marseille Sud").click()
    expect(page.get_by_role("heading", name="Accueil logement Marseille Sud")).to_be_visible()
    expect(page.get_by_text("Sans rendez-vous le matin")).to_be_visible()
    assert_accessible(page, "la fiche du service")
    page.go_back()

    page.locator("#offre").get_by_role("link", name="Prescrire une action").click()
    expect(page.get_by_text("1 place sur 1")).to_be_visible()
    assert_accessible(page, "les actions ouvertes au dossier")
    page.get_by_role("link", name="Prescrire « Atelier accès au logement »").click()
    assert_accessible(page, "la confirmation de la prescription")
    page.get_by_label("Message à l'opérateur").fill("Disponible le matin")
    page.get_by_role("button", name="Confirmer la prescription").click()
    expect(page.get_by_text("l'activité est ajoutée au plan d'action")).to_be_visible()
    expect(page.locator("#offre").get_by_text("En attente de réponse")).to_be_visible()

    operator_page = browser.new_page()
    login(operator_page, operator, DEFAULT_PASSWORD)
    expect(operator_page.get_by_role("heading", name="Prescriptions sur vos actions")).to_be_visible()
    assert_accessible(operator_page, "la liste des prescriptions de l'opérateur")
    operator_page.get_by_role("link", name="Awa DIALLO").click()
    expect(operator_page.get_by_text("Disponible le matin")).to_be_visible()
    expect(operator_page.get_by_text("06 12 34 56 78")).to_be_visible()
    assert_accessible(operator_page, "la prescription à traiter")
    operator_page.get_by_role("button", name="Accepter la prescription").click()
    expect(operator_page.get_by_text("Prescription acceptée")).to_be_visible()
    operator_page.get_by_role("combobox", name="Assiduité").select_option(label="Présente à l'action")
    operator_page.get_by_role("button", name="Enregistrer le suivi").click()
    expect(operator_page.get_by_text("Assiduité et issue enregistrées.")).to_be_visible()
    assert_accessible(operator_page, "la prescription acceptée")
    operator_page.close()

    prescription = Prescription.objects.get()
    assert prescription.status == PrescriptionStatus.ACCEPTED and prescription.attendance == "attended"
    page.goto(f"{live_server.url}/dossiers/{file.pk}/")
    expect(page.locator("#offre").get_by_text("Acceptée")).to_be_visible()
    page.goto(f"{live_server.url}/dossiers/contrats/{prescription.activity.contract_id}/")
    plan = page.locator(f"#activite-{prescription.activity_id}")
    expect(plan.get_by_role("rowheader", name="Atelier accès au logement")).to_be_visible()
    expect(plan.get_by_text("En cours", exact=True).first).to_be_visible()
    assert_accessible(page, "le plan d'action du contrat")
