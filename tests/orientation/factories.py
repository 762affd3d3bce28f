"""Factories of the orientation app (diagnostics with barriers, orientations)."""

import datetime

import factory
from factory.django import DjangoModelFactory

from orientation.enums import BarrierCategoryCode, BarrierLevel, Pathway
from orientation.models import Diagnostic, DiagnosticBarrier, Orientation
from tests.factories import BeneficiaryFactory, OrganisationFactory, UserFactory


class DiagnosticFactory(DjangoModelFactory):
    """A diagnostic with its eight barriers; `levels` and `comments` map a category code to a value."""

    class Meta:
        model = Diagnostic
        skip_postgeneration_save = True

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    held_on = factory.LazyFunction(lambda: datetime.date(2026, 10, 1))
    place = "Agence de Marseille Prado"
    suggested_pathway = Pathway.SOCIAL_PRO
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def barriers(self, create, extracted, **kwargs):
        levels = (extracted or {}).get("levels", {})
        comments = (extracted or {}).get("comments", {})
        DiagnosticBarrier.objects.bulk_create(
            DiagnosticBarrier(
                diagnostic=self,
                category=code,
                level=levels.get(code, BarrierLevel.NOT_ADDRESSED),
                comment=comments.get(code, ""),
            )
            for code in BarrierCategoryCode.values
        )


class OrientationFactory(DjangoModelFactory):
    class Meta:
        model = Orientation

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    pathway = Pathway.EMPLOI
    organisation = factory.SubFactory(OrganisationFactory, france_travail=True)
    decided_on = factory.LazyFunction(lambda: datetime.date(2026, 10, 15))
    decided_by = factory.SubFactory(UserFactory)
