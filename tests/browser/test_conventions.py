"""In real Chromium: a manager records a COPIL meeting with two actions; the next meeting shows them open; closing
one updates the list (htmx). The convention pages, including a tacitly renewed convention's, are checked too. Every
page the tests visit is checked with axe."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from partners.enums import CopilActionStatus, OrganisationType, RenewalMode, Role
from partners.models import ConventionDocument, CopilAction
from tests.factories import DEFAULT_PASSWORD, OrganisationFactory, UserFactory
from tests.partners.factories import ConventionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def calvados():
    return OrganisationFactory(code="CD14", name="Département du Calvados", type=OrganisationType.DEPARTEMENT)


@pytest.fixture
def manager(calvados):
    return UserFactory(organisation=calvados, roles=[Role.MANAGER], first_name="Marc", last_name="Directeur")


def log_in(page, live_server, login, assert_accessible, user):
    page.goto(f"{live_server.url}/connexion/")
    assert_accessible(page, "la page de connexion")
    login(page, user, DEFAULT_PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/connexion/"))
    assert_accessible(page, "la page d'accueil")


def record_meeting(page, live_server, assert_accessible, *, date, title, actions=()):
    page.goto(f"{live_server.url}/")
    assert_accessible(page, "la page d'accueil")
    page.get_by_role("link", name="Partenariats").click()
    expect(page.get_by_role("heading", name="Conventions de partenariat")).to_be_visible()
    assert_accessible(page, "la liste des conventions")
    page.get_by_role("link", name="Réunions du COPIL").click()
    expect(page.get_by_role("link", name="Saisir une réunion")).to_be_visible()
    assert_accessible(page, "la liste des réunions du COPIL")
    page.get_by_role("link", name="Saisir une réunion").click()
    expect(page.get_by_label("Date de la réunion")).to_be_visible()
    assert_accessible(page, "le formulaire de réunion du COPIL")
    page.get_by_label("Date de la réunion").fill(date)
    page.get_by_label("Intitulé").fill(title)
    page.get_by_label("Organisations représentées").select_option(label="Département du Calvados")
    page.get_by_label("Décisions").fill("Renforcer l'accompagnement global")
    for index, (action, due_on) in enumerate(actions):
        page.locator(f"#id_actions-{index}-title").fill(action)
        page.locator(f"#id_actions-{index}-owner").select_option(label="Marc Directeur (Département du Calvados)")
        page.locator(f"#id_actions-{index}-due_on").fill(due_on)
    page.get_by_role("button", name="Enregistrer la réunion").click()
    expect(page.get_by_text("Réunion enregistrée.")).to_be_visible()


def test_a_manager_records_a_meeting_whose_actions_the_next_meeting_follows(
    page, live_server, login, assert_accessible, manager
):
    log_in(page, live_server, login, assert_accessible, manager)
    today = datetime.date.today()
    past_due = (today - datetime.timedelta(days=3)).strftime("%d/%m/%Y")
    later_due = (today + datetime.timedelta(days=60)).strftime("%d/%m/%Y")
    record_meeting(
        page,
        live_server,
        assert_accessible,
        date=(today - datetime.timedelta(days=90)).strftime("%d/%m/%Y"),
        title="COPIL du 3e trimestre",
        actions=[("Relancer les orientations en attente", past_due), ("Ouvrir 20 places AVIP", later_due)],
    )
    decided = page.get_by_role("region", name="Actions décidées lors de cette réunion")
    expect(decided.get_by_role("row")).to_have_count(3)  # header + 2 actions
    assert_accessible(page, "la page de la première réunion")

    record_meeting(page, live_server, assert_accessible, date=today.strftime("%d/%m/%Y"), title="COPIL du 4e trimestre")
    carried = page.get_by_role("region", name="Actions des réunions précédentes encore ouvertes")
    expect(carried.get_by_role("cell", name="Relancer les orientations en attente", exact=True)).to_be_visible()
    expect(carried.get_by_role("cell", name="Ouvrir 20 places AVIP", exact=True)).to_be_visible()
    expect(carried.get_by_text("En retard")).to_have_count(1)
    expect(page.get_by_text("1 action ouverte a dépassé son échéance.")).to_be_visible()
    assert_accessible(page, "la réunion suivante, avec les actions ouvertes")

    row = carried.get_by_role("row").filter(has_text="Relancer les orientations en attente")
    row.get_by_label("Nouvel état", exact=False).select_option(label="Réalisée")
    row.get_by_label("Commentaire", exact=False).fill("Fait en novembre")
    row.get_by_role("button", name="Mettre à jour").click()
    expect(page.get_by_text("« Relancer les orientations en attente » : réalisée.")).to_be_visible()
    carried = page.get_by_role("region", name="Actions des réunions précédentes encore ouvertes")
    expect(carried.get_by_role("cell", name="Relancer les orientations en attente", exact=True)).to_have_count(0)
    expect(carried.get_by_role("cell", name="Ouvrir 20 places AVIP", exact=True)).to_be_visible()
    assert CopilAction.objects.get(title="Relancer les orientations en attente").status == CopilActionStatus.DONE
    assert_accessible(page, "la liste des actions après la clôture d'une action")

    page.get_by_role("link", name="Partenariats").click()
    expect(page.get_by_role("heading", name="Conventions de partenariat")).to_be_visible()
    assert_accessible(page, "la liste des conventions")
    page.get_by_role("link", name="Réunions du COPIL").click()
    expect(page.get_by_role("cell", name="Ouvrir 20 places AVIP")).to_be_visible()
    assert_accessible(page, "la liste des réunions du COPIL")


def test_convention_pages_are_accessible(page, live_server, login, assert_accessible, manager, calvados):
    agency = OrganisationFactory(code="FT14", name="France Travail Calvados", type=OrganisationType.FRANCE_TRAVAIL)
    today = datetime.date.today()
    convention = ConventionFactory(
        title="Convention Département - Pôle emploi du Calvados",
        parties=[calvados, agency],
        owners=[manager],
        valid_from=today - datetime.timedelta(days=600),
        valid_to=today + datetime.timedelta(days=45),
        indicators="Orientation sous 6 semaines : 80 %",
    )
    convention.resources.create(organisation=agency, role="conseillers France Travail", count=9)
    convention.resources.create(organisation=calvados, role="travailleurs sociaux", count=11)
    convention.funding_lines.create(funder="FSE+", amount=150000, esf_cofunded=True, label="Accompagnement global")
    ConventionFactory(
        title="Convention Département - CAF du Calvados",
        parties=[calvados, OrganisationFactory(code="CAF14", name="CAF du Calvados", type=OrganisationType.CAF)],
        owners=[manager],
        renewal=RenewalMode.TACIT,
        valid_from=today - datetime.timedelta(days=1000),
        valid_to=today - datetime.timedelta(days=300),  # renewed tacitly; the period ends in about 65 days
    )
    log_in(page, live_server, login, assert_accessible, manager)
    page.goto(f"{live_server.url}/conventions/")
    expect(page.get_by_text("À renouveler", exact=True)).to_be_visible()
    expect(page.get_by_text("Reconduction tacite à venir", exact=True)).to_be_visible()
    assert_accessible(page, "la liste des conventions")

    page.get_by_role("link", name="Convention Département - CAF du Calvados").click()
    expect(page.get_by_text("Période de reconduction en cours")).to_be_visible()
    expect(page.get_by_text("En vigueur", exact=True)).to_be_visible()
    assert_accessible(page, "la page d'une convention reconduite tacitement")

    page.goto(f"{live_server.url}/conventions/")
    page.get_by_role("link", name="Convention Département - Pôle emploi du Calvados").click()
    expect(page.get_by_text("9 conseillers France Travail")).to_be_visible()
    assert_accessible(page, "la page d'une convention")
    page.get_by_label("Intitulé").fill("Convention signée")
    page.get_by_label("Fichier PDF").set_input_files(
        files=[{"name": "convention.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}]
    )
    page.get_by_role("button", name="Ajouter le document").click()
    expect(page.get_by_text("Document ajouté.")).to_be_visible()
    assert ConventionDocument.objects.filter(convention=convention).count() == 1
    assert_accessible(page, "la page d'une convention, après l'ajout d'un document")
    page.get_by_role("button", name="Renouveler la convention").click()
    expect(page.get_by_text("Le renouvellement est créé en projet")).to_be_visible()
    assert_accessible(page, "le formulaire de la convention renouvelée")
