"""Factories of conventions and COPIL meetings (partners app)."""

import datetime

import factory
from factory.django import DjangoModelFactory

from partners.enums import ConventionKind, RenewalMode
from partners.models import Convention, ConventionParty, CopilAction, CopilMeeting


class ConventionFactory(DjangoModelFactory):
    """A signed bilateral convention in force from 1 January 2025 to 31 December 2026. `parties` and
    `owners` are lists of organisations and users."""

    class Meta:
        model = Convention
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Convention de partenariat {n}")
    kind = ConventionKind.BILATERAL
    signed_on = datetime.date(2024, 12, 15)
    valid_from = datetime.date(2025, 1, 1)
    valid_to = datetime.date(2026, 12, 31)
    renewal = RenewalMode.EXPLICIT
    objectives = "Accompagner ensemble les bénéficiaires du RSA."

    @factory.post_generation
    def parties(self, create, extracted, **kwargs):
        for organisation in extracted or []:
            ConventionParty.objects.create(convention=self, organisation=organisation, signatory_name="M. Signataire")

    @factory.post_generation
    def owners(self, create, extracted, **kwargs):
        if extracted:
            self.owners.set(extracted)


class CopilMeetingFactory(DjangoModelFactory):
    class Meta:
        model = CopilMeeting
        skip_postgeneration_save = True

    held_on = datetime.date(2026, 9, 15)
    title = factory.Sequence(lambda n: f"COPIL n° {n}")
    agenda = "Bilan du trimestre"

    @factory.post_generation
    def organisations(self, create, extracted, **kwargs):
        if extracted:
            self.organisations.set(extracted)


class CopilActionFactory(DjangoModelFactory):
    class Meta:
        model = CopilAction

    meeting = factory.SubFactory(CopilMeetingFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    due_on = datetime.date(2026, 11, 30)
