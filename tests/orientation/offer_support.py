"""Factories and helpers of the directory and insertion-offer tests.

Today is Friday 20 November 2026. The file (Marseille 8e, "Circonscription Marseille Sud") is oriented
(social_pro, Département) and has a contract in force from 2 November 2026 to 2 May 2027.
"""

import datetime
from decimal import Decimal

import factory
import pytest
from factory.django import DjangoModelFactory
from freezegun import freeze_time

from accompaniment import services as accompaniment_services
from orientation.enums import ActionAxis, BarrierCategoryCode, Pathway
from orientation.models import InsertionAction, Service, ServiceCategory
from orientation.services import orientation_decide
from partners.enums import OrganisationType, Role
from tests.factories import OrganisationFactory, UserFactory

TODAY = datetime.date(2026, 11, 20)

__all__ = ["_frozen", "contracted_file", "operator", "operator_org", "orientation_officer"]


class ServiceFactory(DjangoModelFactory):
    """A service; `categories` and `sectors` are lists."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    provider = factory.SubFactory(OrganisationFactory, type=OrganisationType.CCAS)
    name = factory.Sequence(lambda n: f"Service {n}")
    city = "Marseille"
    phone = "04 91 00 00 00"

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        ServiceCategory.objects.bulk_create(ServiceCategory(service=self, category=c) for c in extracted or [])

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if extracted:
            self.sectors.set(extracted)


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = InsertionAction
        skip_postgeneration_save = True

    operator = factory.SubFactory(OrganisationFactory, type=OrganisationType.INSERTION_OPERATOR)
    title = factory.Sequence(lambda n: f"Atelier {n}")
    axis = ActionAxis.LIFT_BARRIERS
    places = 5
    starts_on = datetime.date(2026, 11, 16)
    ends_on = datetime.date(2027, 2, 26)
    weekly_hours = Decimal(6)

    @factory.post_generation
    def pathways(self, create, extracted, **kwargs):
        for pathway in extracted or []:
            self.pathways.create(pathway=pathway)

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if extracted:
            self.sectors.set(extracted)


@pytest.fixture
def _frozen():
    with freeze_time("2026-11-20 10:00:00"):
        yield


@pytest.fixture
def operator_org(db):
    return OrganisationFactory(
        code="ACI-JARDINS", name="ACI Les Jardins du Nord", type=OrganisationType.INSERTION_OPERATOR
    )


@pytest.fixture
def operator(operator_org):
    return UserFactory(organisation=operator_org, roles=[Role.OPERATOR], first_name="Thomas", last_name="Opérateur")


@pytest.fixture
def orientation_officer(departement):
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])


@pytest.fixture
def contracted_file(_frozen, followed_file, departement, orientation_officer, referent):
    return give_contract(followed_file, departement, orientation_officer, referent)


def give_contract(file, departement, officer, referent):
    """Orients the file (social_pro, Département), names the referent and signs a contract in force."""
    followed_file = file
    orientation_officer = officer
    orientation_decide(
        beneficiary=followed_file,
        pathway=Pathway.SOCIAL_PRO,
        organisation=departement,
        decided_on=datetime.date(2026, 10, 1),
        by=orientation_officer,
    )
    accompaniment_services.referent_designate(
        beneficiary=followed_file, agent=referent, designated_on=datetime.date(2026, 10, 5), by=orientation_officer
    )
    accompaniment_services.contract_sign(
        beneficiary=followed_file,
        by=referent,
        signed_on=datetime.date(2026, 11, 2),
        starts_on=datetime.date(2026, 11, 2),
        ends_on=datetime.date(2027, 5, 2),
        weekly_hours=Decimal(15),
    )
    return followed_file


def housing(*sectors, **kwargs):
    return ServiceFactory(categories=[BarrierCategoryCode.HOUSING], sectors=list(sectors), **kwargs)
