"""Childcare in real Chromium (childcare issue, acceptance):

a referent files an emergency home-care request and a permanent crèche request for a 2-year-old from the file;
the CAF agent confirms eligibility; the coordinator sees the emergency at the top of the worklist with the
time left and places it with a home-help service, then places the permanent request in a crèche with a free
AVIP place; the referent sees both on the file. axe finds no serious violation on any page visited, each
checked after it loads (with its confirmation message when a form sent the user there).
"""

import datetime
import importlib
import re

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from accompaniment.enums import MemberRole
from accompaniment.models import DeadlineRule, HouseholdMember
from childcare.enums import ProviderKind, RequestStatus
from childcare.models import ChildcareRequest, Placement, Provider
from partners.enums import OrganisationType, Role, SectorKind
from tests.factories import (
    DEFAULT_PASSWORD,
    BeneficiaryFactory,
    HouseholdFactory,
    OrganisationFactory,
    SectorFactory,
    UserFactory,
    commune,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def childcare_rules(default_rules):
    """The childcare rules of the data migration (a previous transactional test's flush deleted them)."""
    if not DeadlineRule.objects.filter(code="childcare_24h").exists():
        importlib.import_module("childcare.migrations.0002_deadline_rules").create_default_rules(apps, None)


def _provider(name, kind, organisation, sector, **fields):
    provider = Provider.objects.create(name=name, kind=kind, organisation=organisation, city="Marseille", **fields)
    provider.sectors.set([sector])
    return provider


def _logout(page):
    page.get_by_role("button", name="Se déconnecter").click()


def test_an_emergency_and_a_crèche_request_go_from_the_referent_to_two_placements(
    page, live_server, login, assert_accessible, referent, marseille_sud, childcare_rules
):
    today = timezone.localdate()
    caf_area = SectorFactory(
        code="CAF-MRS", name="CAF Marseille", kind=SectorKind.CAF_AREA, communes=[commune("13208")]
    )
    caf = OrganisationFactory(
        code="CAF13", type=OrganisationType.CAF, name="CAF des Bouches-du-Rhône", sectors=[caf_area]
    )
    caf_agent = UserFactory(organisation=caf, roles=[Role.CAF_AGENT], first_name="Karim", last_name="Meziane")
    coordinator = UserFactory(
        organisation=caf, roles=[Role.CHILDCARE_COORDINATOR], first_name="Laure", last_name="Vidal"
    )
    creche_organisation = OrganisationFactory(
        code="CRECHE-CALANQUETS", type=OrganisationType.CHILDCARE_PROVIDER, name="Crèche AVIP Les Calanquets"
    )
    _provider(
        "Crèche AVIP Les Calanquets",
        ProviderKind.CRECHE,
        creche_organisation,
        marseille_sud,
        total_places=40,
        avip_places=3,
        min_age_months=3,
        max_age_months=35,
        label_starts_on=datetime.date(2025, 1, 1),
        label_ends_on=today + datetime.timedelta(days=700),
        opening_hours="De 7 h 30 à 18 h 30",
    )
    _provider(
        "Crèche au label expiré",
        ProviderKind.CRECHE,
        creche_organisation,
        marseille_sud,
        total_places=20,
        avip_places=4,
        label_starts_on=datetime.date(2023, 1, 1),
        label_ends_on=today - datetime.timedelta(days=10),
    )
    home_help_organisation = OrganisationFactory(
        code="ADMR-13", type=OrganisationType.CHILDCARE_PROVIDER, name="Aide à domicile Provence"
    )
    _provider(
        "Aide à domicile Provence",
        ProviderKind.HOME_HELP,
        home_help_organisation,
        marseille_sud,
        total_places=6,
        avip_places=6,
        max_age_months=119,
    )
    household = HouseholdFactory()
    file = BeneficiaryFactory(
        created_by=referent, first_name="Awa", last_name="Diallo", household=household, france_travail_id="1253359X"
    )
    two_years_ago = today.replace(year=today.year - 2) - datetime.timedelta(days=45)
    HouseholdMember.objects.create(
        household=household, role=MemberRole.CHILD, first_name="Inès", last_name="Diallo", birth_date=two_years_ago
    )
    child_label = f"Inès, né(e) le {two_years_ago:%d/%m/%Y}"
    tomorrow = today + datetime.timedelta(days=1)
    next_week = today + datetime.timedelta(days=7)
    file_url = f"{live_server.url}/dossiers/{file.pk}/"

    # The referent files both requests from the file.
    login(page, referent, DEFAULT_PASSWORD)
    assert_accessible(page, "l'accueil du référent")
    page.goto(file_url)
    assert_accessible(page, "la fiche avant les demandes de garde")
    for kind, mode, purpose, starts_on in (
        (
            "Urgence (garde à domicile sous 24 heures)",
            "Service d'aide à domicile (garde d'urgence)",
            "Entretien",
            tomorrow,
        ),
        ("Accueil pérenne", "Crèche AVIP", "Formation", next_week),
    ):
        page.get_by_role("link", name="Demander une garde").click()
        expect(page.get_by_role("heading", name="Demande de garde d'enfant pour Awa Diallo")).to_be_visible()
        assert_accessible(page, f"le formulaire de demande de garde ({kind})")
        page.get_by_label(child_label).check()
        page.get_by_label(kind).check()
        page.get_by_label(mode).check()
        page.get_by_label(re.compile(f"^{purpose}")).check()
        page.get_by_label("Garde à partir du").fill(f"{starts_on:%d/%m/%Y}")
        page.get_by_label("Jours et horaires").fill("De 9 h à 12 h")
        page.get_by_role("button", name="Envoyer la demande").click()
        expect(page.get_by_text(re.compile("Demande de garde enregistrée pour Inès"))).to_be_visible()
        assert_accessible(page, f"la fiche après la demande ({kind})")
    emergency = ChildcareRequest.objects.get(kind="urgence")
    permanent = ChildcareRequest.objects.get(kind="perenne")
    assert permanent.provider_kind == ProviderKind.CRECHE and permanent.child_member.first_name == "Inès"
    _logout(page)

    # The CAF agent confirms eligibility of both, never reaching the file itself.
    login(page, caf_agent, DEFAULT_PASSWORD)
    assert_accessible(page, "l'accueil de l'agent CAF")
    page.get_by_role("link", name="Garde d'enfants").click()
    expect(page.get_by_role("heading", name="Éligibilité à vérifier")).to_be_visible()
    assert_accessible(page, "la liste des éligibilités à vérifier")
    for request in (emergency, permanent):
        page.get_by_role("link", name=request.get_kind_display()).click()
        expect(page.get_by_role("heading", name=f"Demande de garde n° {request.pk}")).to_be_visible()
        assert_accessible(page, f"la demande vue par la CAF ({request.get_kind_display()})")
        expect(page.get_by_role("link", name="Voir le dossier")).to_have_count(0)
        page.get_by_label("Éligible à la garde AVIP").check()
        page.get_by_role("button", name="Enregistrer la décision").click()
        expect(page.get_by_text("Éligibilité confirmée")).to_be_visible()
        assert_accessible(page, "la liste des éligibilités après la décision")
    assert set(ChildcareRequest.objects.values_list("status", flat=True)) == {RequestStatus.ELIGIBLE}
    _logout(page)

    # The coordinator: the emergency at the top with the time left, placed with the home-help service.
    login(page, coordinator, DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", name="Demandes à placer")).to_be_visible()
    assert_accessible(page, "la liste de travail de la coordination")
    rows = page.locator("table.childcare-worklist tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Urgence")
    expect(rows.first).to_contain_text(re.compile(r"Reste 2\d h \d\d min"))
    rows.first.get_by_role("link").click()
    expect(page.get_by_role("row").filter(has_text="Aide à domicile Provence")).to_contain_text("6 sur 6")
    assert_accessible(page, "la demande urgente et ses propositions")
    page.get_by_label("Aide à domicile Provence").check()
    page.get_by_role("button", name="Enregistrer l'accueil").click()
    expect(page.get_by_text(re.compile("Accueil enregistré chez Aide à domicile Provence"))).to_be_visible()
    assert_accessible(page, "la liste de travail après l'accueil d'urgence")

    # Then the permanent request, in the crèche with a free AVIP place (not the one whose label expired).
    page.get_by_role("link", name="Accueil pérenne").click()
    expect(page.get_by_role("row").filter(has_text="Crèche AVIP Les Calanquets")).to_contain_text("3 sur 3")
    expect(page.get_by_text("Crèche au label expiré")).to_have_count(0)
    assert_accessible(page, "la demande pérenne et ses propositions")
    page.get_by_label("Crèche AVIP Les Calanquets").check()
    page.get_by_role("button", name="Enregistrer l'accueil").click()
    expect(page.get_by_text(re.compile("Accueil enregistré chez Crèche AVIP Les Calanquets"))).to_be_visible()
    assert_accessible(page, "la liste de travail après l'accueil en crèche")
    assert Placement.objects.count() == 2
    page.get_by_role("link", name="Structures de garde").click()
    expect(page.get_by_role("heading", name="Structures de garde", exact=True)).to_be_visible()
    assert_accessible(page, "les structures de garde")
    _logout(page)

    # The referent sees both placements on the file, and in the timeline.
    login(page, referent, DEFAULT_PASSWORD)
    assert_accessible(page, "l'accueil du référent après les accueils")
    page.goto(file_url)
    section = page.locator("#garde")
    expect(section).to_contain_text("Accueil chez Aide à domicile Provence")
    expect(section).to_contain_text("Accueil chez Crèche AVIP Les Calanquets")
    expect(section.get_by_text("Accueil proposé")).to_have_count(2)
    expect(page.get_by_text("Accueil proposé : Crèche AVIP Les Calanquets")).to_be_visible()
    assert_accessible(page, "la fiche avec les deux accueils")
