"""The AVIP section of the report for every perimeter: families and emergencies through the requesting file,
providers and places through the sector only (and said so), in a constant number of statements."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accompaniment.models import Beneficiary
from childcare.enums import Outcome, ProviderKind, RequestKind
from childcare.figures import copil_figures
from childcare.models import Provider
from orientation.enums import Pathway
from partners.enums import Role
from reporting import pdf, report
from reporting.indicators import Perimeter
from reporting.periods import parse_quarter
from tests.factories import HouseholdFactory, OrganisationFactory, UserFactory

from .cohorts import Cohort, provider

pytestmark = pytest.mark.django_db

Q3 = parse_quarter("2026-Q3")
AS_OF = datetime.date(2026, 11, 30)


@pytest.fixture
def families(marseille_sud, aix):
    """Two files of organisation A (emploi) in Marseille Sud, one of B (socio-professionnel) in Aix."""
    first = OrganisationFactory(code="ORG-A", name="Agence A", france_travail=True)
    second = OrganisationFactory(code="ORG-B", name="Association B")
    creche = provider("Crèche du Sud", marseille_sud, places=40, avip=2)
    home_help = provider("Aide à domicile", marseille_sud, kind=ProviderKind.HOME_HELP, places=5, avip=5)
    provider("Crèche d'Aix", aix, places=10, avip=3)
    cohort = Cohort()
    with_household, alone = cohort.files(2, sector=marseille_sud)
    in_aix = cohort.files(1, sector=aix)[0]
    Beneficiary.objects.filter(pk=with_household.pk).update(household=HouseholdFactory())
    Beneficiary.objects.filter(pk=in_aix.pk).update(household=HouseholdFactory())
    cohort.orientations([with_household, alone], organisation=first, decided_on=datetime.date(2026, 7, 15))
    cohort.orientations(
        [in_aix], organisation=second, pathway=Pathway.SOCIAL_PRO, decided_on=datetime.date(2026, 7, 15)
    )
    start = datetime.date(2026, 7, 6)
    # Two children of one household: one family, under its best outcome (employment), also into training.
    cohort.placements(
        [with_household],
        provider=creche,
        starts_on=start,
        ended_on=datetime.date(2026, 8, 20),
        outcome=Outcome.EMPLOYMENT,
    )
    cohort.placements(
        [with_household], provider=creche, starts_on=start, ended_on=datetime.date(2026, 9, 1), outcome=Outcome.TRAINING
    )
    cohort.placements(
        [alone], provider=creche, starts_on=start, ended_on=datetime.date(2026, 9, 10), outcome=Outcome.SEARCHING
    )
    cohort.placements([in_aix], provider=creche, starts_on=start)
    # Emergencies: Aix's answered in 3 hours, the lone parent's in 30 hours (late).
    urgent = datetime.date(2026, 8, 3)
    answered = cohort.placements([in_aix], provider=home_help, starts_on=urgent, kind=RequestKind.URGENCE)
    late = cohort.placements([alone], provider=home_help, starts_on=urgent, kind=RequestKind.URGENCE)
    cohort.emergency_deadlines(answered, starts_on=urgent, met_after_hours=3)
    cohort.emergency_deadlines(late, starts_on=urgent, met_after_hours=30)
    return first, second


def childcare(perimeter=None):
    return report.build(Q3, perimeter, AS_OF, mask_threshold=0)["childcare"]


def test_the_departement_counts_every_family_once_under_its_best_outcome(families):
    assert childcare() == {
        "providers": 3,
        "places": 55,
        "avip_places": 10,
        "families_placed": 3,
        "families_into_employment": 1,
        "families_into_training": 1,
        "outcomes_by_family": {"emploi": 1, "formation": 0, "recherche": 1, "autre": 0},
        "emergencies_answered_within_24h": {"value": 0.5, "numerator": 1, "denominator": 2},
    }


def test_a_sector_narrows_providers_places_families_and_emergencies(families, marseille_sud):
    assert childcare(Perimeter(sector=marseille_sud)) == {
        "providers": 2,
        "places": 45,
        "avip_places": 7,
        "families_placed": 2,
        "families_into_employment": 1,
        "families_into_training": 1,
        "outcomes_by_family": {"emploi": 1, "formation": 0, "recherche": 1, "autre": 0},
        "emergencies_answered_within_24h": {"value": 0.0, "numerator": 0, "denominator": 1},
    }


def test_an_organisation_narrows_families_and_emergencies_through_the_requesting_file(families):
    first, second = families
    in_first = childcare(Perimeter(organisation=first))
    assert in_first == {
        # Providers and places belong to no lead organisation: the Département's.
        "providers": 3,
        "places": 55,
        "avip_places": 10,
        "families_placed": 2,
        "families_into_employment": 1,
        "families_into_training": 1,
        "outcomes_by_family": {"emploi": 1, "formation": 0, "recherche": 1, "autre": 0},
        "emergencies_answered_within_24h": {"value": 0.0, "numerator": 0, "denominator": 1},
    }
    in_second = childcare(Perimeter(organisation=second))
    assert (in_second["providers"], in_second["families_placed"], in_second["families_into_employment"]) == (3, 1, 0)
    assert in_second["outcomes_by_family"] == {"emploi": 0, "formation": 0, "recherche": 0, "autre": 0}
    assert in_second["emergencies_answered_within_24h"] == {"value": 1.0, "numerator": 1, "denominator": 1}


def test_a_pathway_narrows_families_and_emergencies_through_the_requesting_file(families, marseille_sud):
    social = childcare(Perimeter(pathway=Pathway.SOCIAL_PRO))
    assert (social["providers"], social["places"], social["families_placed"]) == (3, 55, 1)
    assert social["emergencies_answered_within_24h"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    emploi = childcare(Perimeter(pathway=Pathway.EMPLOI))
    assert (emploi["families_placed"], emploi["families_into_training"]) == (2, 1)
    # A sector and a pathway: the sector's providers, the families of both.
    both = childcare(Perimeter(sector=marseille_sud, pathway=Pathway.SOCIAL_PRO))
    assert (both["providers"], both["places"], both["families_placed"]) == (2, 45, 0)


def test_the_childcare_figures_take_three_statements_whatever_the_data(families, marseille_sud):
    files = Perimeter(organisation=families[0]).files(AS_OF)

    def statements():
        with CaptureQueriesContext(connection) as queries:
            copil_figures(starts_on=Q3.start, ends_on=Q3.end, sector=marseille_sud, files=files, as_of=AS_OF)
        return len(queries)

    few = statements()
    cohort = Cohort()
    more = cohort.files(30, sector=marseille_sud)
    cohort.orientations(more, organisation=families[0], decided_on=datetime.date(2026, 7, 1))
    creche = Provider.objects.get(name="Crèche du Sud")
    cohort.placements(more, provider=creche, starts_on=datetime.date(2026, 7, 6))
    cohort.placements(
        more, provider=creche, starts_on=datetime.date(2026, 7, 6), ended_on=datetime.date(2026, 9, 1), outcome="autre"
    )
    for index in range(5):
        provider(f"Crèche {index}", marseille_sud, places=10, avip=2)
    assert statements() == few == 3
    assert copil_figures(starts_on=Q3.start, ends_on=Q3.end, files=files, as_of=AS_OF)["families_placed"] == 32


def test_the_report_says_which_partnership_figures_do_not_follow_the_perimeter(client, families, departement):
    manager = UserFactory(organisation=departement, roles=[Role.MANAGER])
    client.force_login(manager)
    query = {"trimestre": "2026-Q3", "arrete": "2026-11-30"}

    page = client.get(reverse("reporting:dashboard"), {**query, "organisation": "ORG-A"}).content.decode()
    assert "Structures de garde et places : à l&#x27;échelle du Département" in page
    assert "Conventions : celles dont l&#x27;organisme référent choisi est partie." in page
    page = client.get(reverse("reporting:dashboard"), query).content.decode()
    assert "Structures de garde et places :" not in page and "Conventions : " not in page

    data = report.build(Q3, Perimeter(pathway=Pathway.SOCIAL_PRO), AS_OF, mask_threshold=0)
    html = pdf.report_html(data)
    assert "Conventions : à l&#x27;échelle du Département" in html
    assert "Actions du COPIL : à l&#x27;échelle du Département" in html
    assert "Structures de garde et places : à l&#x27;échelle du Département" in html
    # The JSON keeps SPEC §7's shape: no note in it.
    assert set(data["conventions"]) == {"active", "expiring_within_90_days", "committed_staff"}
    assert set(data["copil_actions"]) == {"open", "late"}
    assert set(data["childcare"]) == {
        "providers",
        "places",
        "avip_places",
        "families_placed",
        "families_into_employment",
        "families_into_training",
        "outcomes_by_family",
        "emergencies_answered_within_24h",
    }
