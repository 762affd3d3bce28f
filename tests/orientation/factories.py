"""Factories of the orientation app (diagnostics with barriers, orientations)."""

import datetime

import factory
from factory.django import DjangoModelFactory

from orientation.enums import BarrierCategoryCode, BarrierLevel, Pathway
from orientation.models import BarrierSituation, Diagnostic, DiagnosticBarrier, Orientation
from tests.factories import BeneficiaryFactory, OrganisationFactory, UserFactory


class DiagnosticFactory(DjangoModelFactory):
    """A diagnostic with its eight barriers; `levels`, `comments` and `situations` (codes of the referential)
    map a category code to a value."""

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
        situations = (extracted or {}).get("situations", {})
        barriers = DiagnosticBarrier.objects.bulk_create(
            DiagnosticBarrier(
                diagnostic=self,
                category=code,
                level=levels.get(code, BarrierLevel.NOT_ADDRESSED),
                comment=comments.get(code, ""),
            )
            for code in BarrierCategoryCode.values
        )
        for barrier in barriers:
            if codes := situations.get(barrier.category):
                barrier.situations.set(BarrierSituation.objects.filter(code__in=codes))


class OrientationFactory(DjangoModelFactory):
    class Meta:
        model = Orientation

    beneficiary = factory.SubFactory(BeneficiaryFactory)
    pathway = Pathway.EMPLOI
    organisation = factory.SubFactory(OrganisationFactory, france_travail=True)
    decided_on = factory.LazyFunction(lambda: datetime.date(2026, 10, 15))
    decided_by = factory.SubFactory(UserFactory)
