"""Childcare (AVIP, SPEC §3): providers and their places, requests for a beneficiary's child, placements.

Rules that span several records (eligibility, capacity, answering) are in `services.py`; what a user may
see is in `permissions.py` (`ChildcareRequest.objects.for_user(user)`, `Provider.objects.for_user(user)`).
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accompaniment.deadline_engine import add_months
from audit.services import AuditedModel

from .enums import (
    CONTRACT_MONTHS,
    OPEN_REQUEST_STATUSES,
    Outcome,
    ProviderKind,
    Purpose,
    RequestKind,
    RequestStatus,
    ReviewDecision,
)


def age_in_months(birth_date, on):
    """Whole months of age on a day (a child born on 31 January is 1 month old on the last day of February)."""
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month
    if add_months(birth_date, months) > on:
        months -= 1
    return months


def age_label(months):
    if months < 24:
        return f"{months} mois"
    years = months // 12
    return f"{years} ans"


class ProviderQuerySet(models.QuerySet):
    def for_user(self, user):
        from .permissions import visible_providers

        return visible_providers(self, user)

    def labelled_on(self, day):
        """Providers whose label is valid on `day` (home-help services carry no AVIP label)."""
        return self.filter(
            Q(kind=ProviderKind.HOME_HELP) | Q(label_starts_on__lte=day, label_ends_on__gte=day), active=True
        )

    def serving(self, *, sector_id, commune_id):
        """Providers of the file's sector: one of their sectors is the file's, or holds its commune."""
        condition = Q(sectors__id=sector_id) if sector_id else Q(pk__in=[])
        if commune_id:
            condition |= Q(sectors__memberships__commune_id=commune_id)
        return self.filter(pk__in=self.model.objects.filter(condition).values("pk"))

    def with_free_places(self, starts_on, ends_on):
        """Annotates `taken` (placements running at some point between the dates) and `free` (AVIP places
        minus those placements)."""
        running = (
            Placement.objects.running_between(starts_on, ends_on)
            .filter(provider=OuterRef("pk"))
            .order_by()
            .values("provider")
            .annotate(n=Count("id"))
            .values("n")
        )
        return self.annotate(taken=Coalesce(Subquery(running), 0)).annotate(free=F("avip_places") - F("taken"))


class Provider(AuditedModel):
    """A crèche or childminder labelled AVIP, or a home-help service for emergency home care."""

    name = models.CharField("nom", max_length=200)
    kind = models.CharField("type", max_length=20, choices=ProviderKind.choices)
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="childcare_providers",
        verbose_name="organisation",
        help_text="La structure, ou le relais (RPE) qui coordonne l'assistant(e) maternel(le).",
    )
    sectors = models.ManyToManyField(
        "partners.Sector", related_name="childcare_providers", verbose_name="secteurs desservis", blank=True
    )
    address = models.CharField("adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune", max_length=120, blank=True)
    min_age_months = models.PositiveSmallIntegerField("âge minimum (mois)", default=0)
    max_age_months = models.PositiveSmallIntegerField(
        "âge maximum (mois)", default=35, help_text="Inclus : 35 mois pour une crèche (moins de 3 ans)."
    )
    opening_hours = models.CharField("horaires d'ouverture", max_length=200, blank=True)
    total_places = models.PositiveSmallIntegerField("places")
    avip_places = models.PositiveSmallIntegerField("dont places AVIP")
    label_starts_on = models.DateField("label AVIP depuis le", null=True, blank=True)
    label_ends_on = models.DateField("label AVIP jusqu'au", null=True, blank=True)
    contact_name = models.CharField("contact", max_length=150, blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    email = models.EmailField("e-mail", blank=True)
    active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = ProviderQuerySet.as_manager()

    class Meta:
        verbose_name = "structure de garde"
        verbose_name_plural = "structures de garde"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(avip_places__lte=F("total_places")),
                name="provider_avip_places_within_places",
                violation_error_message="Les places AVIP ne peuvent pas dépasser le nombre de places.",
            ),
            models.CheckConstraint(
                condition=Q(min_age_months__lte=F("max_age_months")),
                name="provider_age_range_in_order",
                violation_error_message="L'âge minimum doit être inférieur ou égal à l'âge maximum.",
            ),
            models.CheckConstraint(
                condition=Q(label_starts_on__isnull=True)
                | Q(label_ends_on__isnull=True)
                | Q(label_starts_on__lte=F("label_ends_on")),
                name="provider_label_dates_in_order",
                violation_error_message="La fin du label doit suivre son début.",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.kind != ProviderKind.HOME_HELP and not (self.label_starts_on and self.label_ends_on):
            raise ValidationError(
                {"label_ends_on": "Une crèche ou un(e) assistant(e) maternel(le) AVIP a des dates de label."}
            )

    def label_valid_on(self, day):
        if self.kind == ProviderKind.HOME_HELP:
            return self.active
        if not (self.active and self.label_starts_on and self.label_ends_on):
            return False
        return self.label_starts_on <= day <= self.label_ends_on

    @property
    def age_range_label(self):
        return f"de {age_label(self.min_age_months)} à {age_label(self.max_age_months)}"


class ChildcareRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one path to childcare requests (SPEC §1): see childcare.permissions."""
        from .permissions import visible_requests

        return visible_requests(self, user)

    def open(self):
        return self.filter(status__in=OPEN_REQUEST_STATUSES)

    def emergencies_first(self):
        """Emergencies first, then the oldest first (the coordinator's worklist)."""
        return self.alias(
            emergency_rank=models.Case(
                models.When(kind=RequestKind.URGENCE, then=models.Value(0)),
                default=models.Value(1),
                output_field=models.IntegerField(),
            )
        ).order_by("emergency_rank", "created_at", "id")


class ChildcareRequest(AuditedModel):
    """A request for the care of a beneficiary's child, made by their referent or France Travail counsellor."""

    beneficiary = models.ForeignKey(
        "accompaniment.Beneficiary", on_delete=models.CASCADE, related_name="childcare_requests", verbose_name="dossier"
    )
    child_member = models.ForeignKey(
        "accompaniment.HouseholdMember",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="enfant du foyer",
    )
    child_first_name = models.CharField("prénom de l'enfant", max_length=100)
    child_birth_date = models.DateField("date de naissance de l'enfant")
    kind = models.CharField("type de demande", max_length=20, choices=RequestKind.choices)
    provider_kind = models.CharField("mode de garde souhaité", max_length=20, choices=ProviderKind.choices)
    purpose = models.CharField("motif", max_length=20, choices=Purpose.choices)
    starts_on = models.DateField("à partir du")
    ends_on = models.DateField("jusqu'au")
    hours = models.CharField("horaires", max_length=200, help_text="Par exemple : lundi de 9 h à 12 h.")
    constraints = models.TextField("contraintes", blank=True)
    # Where the request is placed: the file's primary sector and commune when it was made.
    sector = models.ForeignKey(
        "partners.Sector", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="secteur"
    )
    commune = models.ForeignKey(
        "partners.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="commune"
    )
    status = models.CharField(
        "état", max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="demandée par"
    )
    created_at = models.DateTimeField("demandée le", default=timezone.now, db_index=True)
    eligibility_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="éligibilité vérifiée par",
    )
    eligibility_checked_at = models.DateTimeField("éligibilité vérifiée le", null=True, blank=True)
    eligibility_refusal_reason = models.TextField("motif de non-éligibilité", blank=True)
    answered_at = models.DateTimeField("réponse le", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="réponse de",
    )
    decline_reason = models.TextField("motif du refus", blank=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = ChildcareRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "demande de garde"
        verbose_name_plural = "demandes de garde"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")),
                name="childcare_request_dates_in_order",
                violation_error_message="La fin de la garde doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=RequestKind.URGENCE) | Q(provider_kind=ProviderKind.HOME_HELP),
                name="childcare_emergency_is_home_care",
                violation_error_message="Une urgence est une garde à domicile par un service d'aide à domicile.",
            ),
        ]
        indexes = [models.Index(fields=["sector", "status"], name="childcare_request_sector_idx")]

    def __str__(self):
        return f"Demande de garde n° {self.pk}"

    @property
    def is_emergency(self):
        return self.kind == RequestKind.URGENCE

    @property
    def is_open(self):
        return self.status in OPEN_REQUEST_STATUSES

    def child_age_months(self, on=None):
        return age_in_months(self.child_birth_date, on or self.starts_on)

    @property
    def child_age_label(self):
        return age_label(self.child_age_months())


class PlacementQuerySet(models.QuerySet):
    def running_between(self, first_day, last_day):
        """Placements that hold a place at some point between the two days (ended ones up to their end)."""
        return self.alias(last_day=Coalesce("ended_on", "ends_on")).filter(
            starts_on__lte=last_day, last_day__gte=first_day
        )

    def active_on(self, day):
        return self.running_between(day, day)

    def to_review(self):
        """Running parent contracts not yet reviewed (an emergency's home care has no review)."""
        return self.filter(reviewed_on__isnull=True, ended_on__isnull=True).exclude(request__kind=RequestKind.URGENCE)


class Placement(AuditedModel):
    """A child's place with a provider, for a request, between two dates: a parent contract of 6 months by
    default, reviewed at 6 months (renewed by a new placement, or ended with an outcome)."""

    request = models.ForeignKey(
        ChildcareRequest, on_delete=models.CASCADE, related_name="placements", verbose_name="demande"
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="placements", verbose_name="structure"
    )
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin prévue")
    renewal_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="renewal", verbose_name="renouvelle"
    )
    reviewed_on = models.DateField("bilan le", null=True, blank=True)
    review_decision = models.CharField("décision du bilan", max_length=10, choices=ReviewDecision.choices, blank=True)
    ended_on = models.DateField("fin effective", null=True, blank=True)
    outcome = models.CharField("situation du parent à la fin", max_length=20, choices=Outcome.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="placé par"
    )
    created_at = models.DateTimeField("enregistré le", default=timezone.now)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = PlacementQuerySet.as_manager()

    class Meta:
        verbose_name = "accueil"
        verbose_name_plural = "accueils"
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")),
                name="placement_dates_in_order",
                violation_error_message="La fin de l'accueil doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | ~Q(outcome=""),
                name="placement_ended_with_outcome",
                violation_error_message="Un accueil terminé a une situation de sortie.",
            ),
        ]

    def __str__(self):
        return f"Accueil n° {self.pk} ({self.provider})"

    @property
    def review_due_on(self):
        return add_months(self.starts_on, CONTRACT_MONTHS)

    @property
    def is_running(self):
        return self.ended_on is None

    @property
    def awaits_review(self):
        """Reads the request (select or prefetch it): an emergency's home care has no review."""
        return self.reviewed_on is None and self.ended_on is None and not self.request.is_emergency


def default_contract_end(starts_on):
    """A parent contract lasts 6 months: the day before the same date 6 months later."""
    return add_months(starts_on, CONTRACT_MONTHS) - datetime.timedelta(days=1)
