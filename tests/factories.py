"""factory_boy factories for every app (one module while the project is small)."""

import datetime

import factory
from factory.django import DjangoModelFactory

from accompaniment.enums import FileOrigin, RightsState, Sex
from accompaniment.models import Beneficiary, Household
from partners.communes import load_communes
from partners.enums import OrganisationType, SectorKind
from partners.models import Commune, Organisation, Sector, SectorCommune, Team, User

DEFAULT_PASSWORD = "Mot-de-passe-de-test-2026"


def commune(insee_code):
    """A reference commune; reloads the reference data if a transactional test flushed it."""
    found = Commune.objects.filter(insee_code=insee_code).first()
    if found is None:
        load_communes(Commune)
        found = Commune.objects.get(insee_code=insee_code)
    return found


class SectorFactory(DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ["code"]
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"SEC{n:03d}")
    name = factory.Sequence(lambda n: f"Secteur {n}")
    kind = SectorKind.SOCIAL_ACTION_DISTRICT

    @factory.post_generation
    def communes(self, create, extracted, **kwargs):
        for commune in extracted or []:
            SectorCommune.objects.create(sector=self, commune=commune)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["code"]
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"ORG{n:03d}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    type = OrganisationType.DEPARTEMENT

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if extracted:
            self.sectors.set(extracted)

    class Params:
        france_travail = factory.Trait(
            type=OrganisationType.FRANCE_TRAVAIL, name=factory.Sequence(lambda n: f"Agence France Travail {n}")
        )
        caf = factory.Trait(type=OrganisationType.CAF, name="CAF des Bouches-du-Rhône")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@parcours.test")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        self.save()
        if extracted:
            self.set_roles(extracted)


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Équipe {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    manager = None

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if extracted:
            self.members.set(extracted)


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    fund_type = "CAF"
    fund_number = "131"
    matricule = factory.Sequence(lambda n: f"{1000000 + n}")
    rights_state = RightsState.OPEN_PAYABLE


class BeneficiaryFactory(DjangoModelFactory):
    class Meta:
        model = Beneficiary

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    birth_date = factory.Faker("date_of_birth", minimum_age=20, maximum_age=60)
    sex = Sex.FEMALE
    caf_number = factory.Sequence(lambda n: f"{2000000 + n}")
    postal_code = "13008"
    city = "Marseille"
    commune = factory.LazyFunction(lambda: commune("13208"))
    rights_opened_on = factory.LazyFunction(lambda: datetime.date(2026, 9, 1))
    flux_date = factory.LazyFunction(lambda: datetime.date(2026, 9, 5))
    rights_state = RightsState.OPEN_PAYABLE
    rights_and_duties = True
    origin = FileOrigin.MANUAL

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        nir = kwargs.pop("nir", None)
        sector = kwargs.get("sector")
        instance = model_class(*args, **kwargs)
        if nir:
            instance.set_nir(nir)
        if sector is None:
            instance.assign_sector_from_commune()
        instance.save()
        return instance
