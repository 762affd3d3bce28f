import datetime

import pytest

from accompaniment.enums import MemberRole
from accompaniment.models import HouseholdMember
from childcare.enums import ProviderKind
from childcare.models import Provider
from partners.enums import OrganisationType, Role, SectorKind
from tests.factories import (
    BeneficiaryFactory,
    HouseholdFactory,
    OrganisationFactory,
    SectorFactory,
    UserFactory,
    commune,
)

TODAY = datetime.date(2026, 11, 16)  # a Monday


@pytest.fixture
def caf_area(db):
    """A CAF territory (a sector of another kind) holding Marseille 8e."""
    return SectorFactory(code="CAF-MRS", name="CAF Marseille", kind=SectorKind.CAF_AREA, communes=[commune("13208")])


@pytest.fixture
def caf(caf_area):
    return OrganisationFactory(
        code="CAF13", type=OrganisationType.CAF, name="CAF des Bouches-du-Rhône", sectors=[caf_area]
    )


@pytest.fixture
def caf_agent(caf):
    return UserFactory(organisation=caf, roles=[Role.CAF_AGENT], first_name="Karim", last_name="Caf")


@pytest.fixture
def coordinator(caf):
    """The CAF's AVIP coordinator: the requests of the CAF's territories waiting for a place."""
    return UserFactory(organisation=caf, roles=[Role.CHILDCARE_COORDINATOR], first_name="Laure", last_name="Coord")


@pytest.fixture
def creche_organisation(db):
    return OrganisationFactory(code="CRECHE-1", type=OrganisationType.CHILDCARE_PROVIDER, name="Crèche Les Calanquets")


def make_creche(*, name, organisation, sector, **fields):
    """An AVIP crèche (children of 3 to 35 months, label valid from 2025 to 2027) serving `sector`."""
    values = {
        "kind": ProviderKind.CRECHE,
        "min_age_months": 3,
        "max_age_months": 35,
        "total_places": 20,
        "avip_places": 2,
        "label_starts_on": datetime.date(2025, 1, 1),
        "label_ends_on": datetime.date(2027, 12, 31),
        **fields,
    }
    provider = Provider.objects.create(name=name, organisation=organisation, **values)
    provider.sectors.set([sector])
    return provider


@pytest.fixture
def creche(creche_organisation, marseille_sud):
    return make_creche(
        name="Crèche Les Calanquets",
        organisation=creche_organisation,
        sector=marseille_sud,
        city="Marseille",
        total_places=40,
        opening_hours="De 7 h 30 à 18 h 30",
    )


@pytest.fixture
def home_help(marseille_sud):
    organisation = OrganisationFactory(
        code="ADMR-13", type=OrganisationType.CHILDCARE_PROVIDER, name="Aide à domicile Provence"
    )
    provider = Provider.objects.create(
        name="Aide à domicile Provence",
        kind=ProviderKind.HOME_HELP,
        organisation=organisation,
        min_age_months=0,
        max_age_months=119,
        total_places=5,
        avip_places=5,
    )
    provider.sectors.set([marseille_sud])
    return provider


@pytest.fixture
def parent(referent):
    """A job seeker (known to France Travail) with a 2-year-old child in the household."""
    household = HouseholdFactory()
    file = BeneficiaryFactory(
        created_by=referent, first_name="Awa", last_name="Diallo", household=household, france_travail_id="1253359X"
    )
    return file


@pytest.fixture
def toddler(parent):
    return HouseholdMember.objects.create(
        household=parent.household,
        role=MemberRole.CHILD,
        first_name="Inès",
        last_name="Diallo",
        birth_date=datetime.date(2024, 6, 10),
    )
