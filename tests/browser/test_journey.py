"""The whole journey in real Chromium, as caseworkers play it (journey issue, acceptance):

an orientation officer orients a new entrant from the worklist, downloads the letter and names a referent;
the referent records a tripartite diagnostic, a held interview, a contract with 15 h and two activities,
marks hours done, then records an exit to durable employment. The timeline shows each step, the status
moves to_orient → oriented → in_accompaniment → exited, and axe finds no serious violation on any page.
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accompaniment.enums import Status
from accompaniment.models import Beneficiary
from partners.enums import OrganisationType, Role
from tests.factories import DEFAULT_PASSWORD, BeneficiaryFactory, OrganisationFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose(select, *texts):
    """Selects the options of a <select> whose label contains each text (labels carry counts, organisations…)."""
    values = [select.locator("option", has_text=text).first.get_attribute("value") for text in texts]
    select.select_option(values)


def status_of(file):
    return Beneficiary.objects.get(pk=file.pk).status


def test_a_new_entrant_goes_from_orientation_to_a_durable_job(page, live_server, login, assert_accessible, departement):
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER], first_name="Odile")
    referent = UserFactory(
        organisation=departement,
        roles=[Role.REFERENT],
        first_name="Rachida",
        last_name="Référente",
        is_social_worker=True,
    )
    TeamFactory(organisation=departement, name="Insertion Marseille Sud", members=[referent])
    agency = OrganisationFactory(code="FT-MRS-SUD", type=OrganisationType.FRANCE_TRAVAIL, name="France Travail Prado")
    UserFactory(organisation=agency, roles=[Role.REFERENT], first_name="Farid", last_name="Conseiller")
    file = BeneficiaryFactory(first_name="Awa", last_name="Diallo")
    file_url = f"{live_server.url}/dossiers/{file.pk}/"
    assert status_of(file) == Status.TO_ORIENT

    # The orientation officer: the worklist, a quick decision, the letter, the referent.
    page.goto(f"{live_server.url}/connexion/")
    assert_accessible(page, "la page de connexion")
    login(page, officer, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/orientation/")
    assert_accessible(page, "la liste des dossiers à orienter")
    row = page.get_by_role("row").filter(has_text="Awa DIALLO")
    row.get_by_label("Parcours").select_option(label="Socio-professionnel")
    row.get_by_label("Organisme référent").select_option(label=departement.name)
    row.get_by_role("button", name="Orienter").click()
    expect(page.get_by_text(re.compile("Orienté vers"))).to_be_visible()
    assert_accessible(page, "la liste après la décision")
    assert status_of(file) == Status.ORIENTED

    page.goto(file_url)
    assert_accessible(page, "la fiche orientée")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le courrier de notification (PDF)").click()
    with open(download_info.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    page.get_by_role("button", name="Enregistrer l'envoi du courrier").click()
    expect(page.get_by_text("Date de notification enregistrée.")).to_be_visible()
    assert_accessible(page, "la fiche après l'envoi du courrier")

    page.get_by_role("link", name="Désigner le référent").click()
    assert_accessible(page, "la désignation du référent")
    choose(page.get_by_role("combobox", name=re.compile("Référent")), "Rachida Référente")
    page.get_by_role("button", name="Enregistrer la désignation").click()
    expect(page.get_by_text(re.compile("Rachida Référente")).first).to_be_visible()
    assert_accessible(page, "la fiche après la désignation")
    page.get_by_role("button", name="Se déconnecter").click()

    # The referent: the tripartite diagnostic.
    login(page, referent, DEFAULT_PASSWORD)
    assert_accessible(page, "l'accueil de la référente")
    page.goto(file_url)
    assert_accessible(page, "la fiche vue par la référente")
    page.get_by_role("link", name=re.compile("diagnostic", re.IGNORECASE)).first.click()
    assert_accessible(page, "le formulaire de diagnostic")
    page.get_by_label("Lieu").fill("Agence du Prado")
    page.get_by_label("Diagnostic tripartite").check()
    choose(page.get_by_label("Professionnels présents"), "Farid", "Rachida")
    page.get_by_role("group", name=re.compile("Mobilité")).get_by_label("Fort").check()
    page.get_by_label("Commentaire : Santé").fill("Suivi médical régulier")
    page.get_by_role("group", name=re.compile("Santé")).get_by_label("Moyen").check()
    page.get_by_role("button", name="Enregistrer le diagnostic").click()
    expect(page.get_by_text(re.compile("Le diagnostic du .* est enregistré"))).to_be_visible()
    assert_accessible(page, "la fiche après le diagnostic")

    # A held accompaniment interview opens the accompaniment.
    page.get_by_role("link", name="Nouvel entretien").click()
    assert_accessible(page, "le formulaire d'entretien")
    page.get_by_label("Type d'entretien").select_option(label="Entretien d'accompagnement")
    page.get_by_label("Heure prévue").fill("09:30")
    page.get_by_label("Statut").select_option(label="Tenu")
    page.get_by_label("Conclusion").fill("Projet d'emploi dans la logistique")
    page.get_by_role("button", name="Enregistrer l'entretien").click()
    expect(page.get_by_text(re.compile("Entrée en accompagnement le"))).to_be_visible()
    assert_accessible(page, "la page après l'entretien")
    assert status_of(file) == Status.IN_ACCOMPANIMENT

    # The commitment contract, 15 hours a week, and two activities with hours done.
    page.goto(file_url)
    page.get_by_role("link", name=re.compile("Signer un contrat")).click()
    assert_accessible(page, "le formulaire de contrat")
    expect(page.get_by_label("Heures d'activité par semaine")).to_have_value(re.compile(r"^15"))
    page.get_by_role("button", name="Enregistrer le contrat signé").click()
    in_four_weeks = (timezone.localdate() + datetime.timedelta(days=28)).strftime("%d/%m/%Y")
    expect(page.get_by_role("heading", name="Contrat d'engagement", level=1)).to_be_visible()
    assert_accessible(page, "la page du contrat")
    contract = Beneficiary.objects.get(pk=file.pk).contracts.get()
    assert contract.weekly_hours == 15 and contract.hours_reduction_reason == ""
    for kind, title in (("Atelier CV et candidature", "Atelier CV du mardi"), ("Formation", "Cariste CACES")):
        page.get_by_role("link", name=re.compile("Ajouter une activité")).first.click()
        assert_accessible(page, f"le formulaire d'activité ({title})")
        page.get_by_label("Type d'activité").select_option(label=kind)
        page.get_by_label("Intitulé").fill(title)
        page.get_by_label("Fin", exact=False).last.fill(in_four_weeks)
        page.get_by_label("Heures prévues par semaine").fill("8" if kind == "Formation" else "7")
        page.get_by_role("button", name=re.compile("Ajouter|Enregistrer")).click()
        expect(page.get_by_role("rowheader", name=re.compile(title)).first).to_be_visible()
        assert_accessible(page, f"la page du contrat après l'activité {title}")
    choose(page.get_by_role("combobox", name=re.compile(r"^\s*Activité")), "Cariste CACES")
    page.get_by_label("Heures réalisées").fill("6")
    page.get_by_role("button", name="Enregistrer les heures").click()
    expect(page.get_by_text(re.compile("6 h")).first).to_be_visible()
    assert_accessible(page, "la page du contrat après les heures")

    # The exit to durable employment.
    page.goto(file_url)
    page.get_by_role("link", name="Enregistrer la sortie").click()
    assert_accessible(page, "le formulaire de sortie")
    page.get_by_label(re.compile("^Emploi durable")).check()
    page.get_by_role("button", name="Enregistrer la sortie").click()
    expect(page.get_by_text(re.compile("Sortie : Emploi durable")).first).to_be_visible()
    assert_accessible(page, "la page après la sortie")
    assert status_of(file) == Status.EXITED

    # The story, on the file page.
    page.goto(file_url)
    assert_accessible(page, "la fiche après la sortie")
    timeline = page.get_by_role("region", name="Historique")
    for step in (
        "Orientation décidée : Socio-professionnel",
        "Courrier de notification envoyé",
        "Référent désigné",
        "Diagnostic tripartite",
        "Entretien tenu : Entretien d'accompagnement",
        "Entrée en accompagnement",
        "Contrat signé",
        "Activité ajoutée : Atelier CV du mardi",
        "Activité ajoutée : Cariste CACES",
        "6 h réalisées",
        "Sortie : Emploi durable",
    ):
        expect(timeline.get_by_text(step).first).to_be_visible()
