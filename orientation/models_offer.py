"""What answers the barriers (SPEC §4): the directory of social resources and the insertion offer.

A `Service` of the directory is run by a provider organisation, addresses barrier categories (the
diagnostic's) and serves primary sectors. An `InsertionAction` of the call for projects has an axis, an
operator, places and eligibility (pathways, sectors). A `Prescription` puts a person on an action: it is an
activity of their contract's action plan, and while it waits for the operator's answer it holds a place
until it is refused or expires (`PRESCRIPTION_ANSWER_DELAY` without answer). Places left are counted from
the prescriptions that hold a place, with the expiry computed from the stored `expires_at`, so that the
count is exact whether or not the periodic expiry has run yet.
"""

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accompaniment.enums import ActivityKind
from audit.services import AuditedModel
from partners.enums import PRIMARY_SECTOR_KIND

from .enums import (
    ActionAxis,
    Attendance,
    BarrierCategoryCode,
    Pathway,
    PrescriptionOutcome,
    PrescriptionStatus,
    RefusalReason,
)


# The directory of social resources ---------------------------------------------------------------------
class ServiceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def addressing(self, *categories):
        return self.filter(Exists(ServiceCategory.objects.filter(service=OuterRef("pk"), category__in=categories)))

    def serving(self, sector):
        return self.filter(Exists(Service.sectors.through.objects.filter(service_id=OuterRef("pk"), sector=sector)))

    def search(self, text):
        query = Q()
        for word in (text or "").split()[:5]:
            query &= (
                Q(name__icontains=word)
                | Q(description__icontains=word)
                | Q(provider__name__icontains=word)
                | Q(city__icontains=word)
            )
        return self.filter(query)

    def kept_by(self, user):
        """The services `user` may edit: every one for a functional admin, their organisation's for an
        operator's staff member (SPEC §1: operators keep their services up to date)."""
        from partners.enums import Role

        if user.has_role(Role.ADMIN):
            return self
        if user.has_role(Role.OPERATOR) and user.organisation_id:
            return self.filter(provider_id=user.organisation_id)
        return self.none()


class Service(AuditedModel):
    """A service of the shared directory of social resources ("base de ressources sociales")."""

    provider = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="services", verbose_name="structure"
    )
    name = models.CharField("nom du service", max_length=200)
    description = models.TextField("ce que propose le service", blank=True)
    sectors = models.ManyToManyField(
        "partners.Sector",
        related_name="services",
        verbose_name="secteurs desservis",
        limit_choices_to={"kind": PRIMARY_SECTOR_KIND},
    )
    address = models.CharField("adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune", max_length=120, blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    email = models.EmailField("e-mail", blank=True)
    website = models.URLField("site internet", blank=True)
    access_conditions = models.TextField("conditions d'accès", blank=True)
    opening_hours = models.TextField("horaires d'ouverture", blank=True)
    active = models.BooleanField("en service", default=True)
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="mis à jour par",
    )

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = "service de l'annuaire"
        verbose_name_plural = "services de l'annuaire"
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def category_codes(self):
        """The categories addressed, in the referential's order (`categories` should be prefetched)."""
        codes = {c.category for c in self.categories.all()}
        return [code for code in BarrierCategoryCode.values if code in codes]

    @property
    def category_labels(self):
        return [BarrierCategoryCode(code).label for code in self.category_codes]


class ServiceCategory(models.Model):
    """A barrier category a service addresses (one row per category: indexed lookups on every database)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField("catégorie de frein", max_length=20, choices=BarrierCategoryCode.choices)

    class Meta:
        verbose_name = "catégorie traitée"
        verbose_name_plural = "catégories traitées"
        constraints = [models.UniqueConstraint(fields=["service", "category"], name="one_row_per_service_category")]
        indexes = [models.Index(fields=["category", "service"], name="service_category_idx")]

    def __str__(self):
        return self.get_category_display()


# The insertion offer --------------------------------------------------------------------------------------
def holding_a_place(now=None):
    """The prescriptions that hold a place: accepted, or waiting for an answer and not yet expired."""
    now = now or timezone.now()
    return Q(status=PrescriptionStatus.ACCEPTED) | Q(status=PrescriptionStatus.PENDING, expires_at__gt=now)


class InsertionActionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(active=True)

    def with_places_left(self, now=None):
        """Annotates `places_taken` and `places_left` (one subquery, whatever the number of actions)."""
        taken = (
            Prescription.objects.filter(holding_a_place(now), action=OuterRef("pk"))
            .order_by()
            .values("action")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(places_taken=Coalesce(models.Subquery(taken), Value(0))).annotate(
            places_left=F("places") - F("places_taken")
        )

    def eligible_for(self, *, pathway=None, sector=None):
        """Actions open to a pathway and a sector. An action with no pathway (or no sector) listed is open
        to every pathway (or sector)."""
        queryset = self
        if pathway:
            pathways = ActionPathway.objects.filter(action=OuterRef("pk"))
            queryset = queryset.filter(~Exists(pathways) | Exists(pathways.filter(pathway=pathway)))
        if sector is not None:
            sectors = InsertionAction.sectors.through.objects.filter(insertionaction_id=OuterRef("pk"))
            queryset = queryset.filter(~Exists(sectors) | Exists(sectors.filter(sector=sector)))
        return queryset

    def search(self, text):
        query = Q()
        for word in (text or "").split()[:5]:
            query &= Q(title__icontains=word) | Q(description__icontains=word) | Q(operator__name__icontains=word)
        return self.filter(query)

    def kept_by(self, user):
        """The actions `user` may edit: every one for a functional admin, their organisation's for an
        operator's staff member."""
        from partners.enums import Role

        if user.has_role(Role.ADMIN):
            return self
        if user.has_role(Role.OPERATOR) and user.organisation_id:
            return self.filter(operator_id=user.organisation_id)
        return self.none()


# The kind of plan activity an action becomes, by axis (an action may say otherwise).
ACTIVITY_KIND_OF_AXIS = {
    ActionAxis.STRAIGHT_TO_WORK: ActivityKind.JOB_SEARCH,
    ActionAxis.PREPARE: ActivityKind.TRAINING,
    ActionAxis.MOBILISE: ActivityKind.WORKSHOP,
    ActionAxis.PROJECT: ActivityKind.WORKSHOP,
    ActionAxis.LIFT_BARRIERS: ActivityKind.WORKSHOP,
    ActionAxis.SOCIAL_INCLUSION: ActivityKind.VOLUNTEERING,
}


class InsertionAction(AuditedModel):
    """An insertion action financed by the Département's call for projects, with places and an operator."""

    operator = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="insertion_actions",
        verbose_name="opérateur",
    )
    title = models.CharField("intitulé", max_length=200)
    axis = models.CharField("axe", max_length=20, choices=ActionAxis.choices, db_index=True)
    description = models.TextField("description", blank=True)
    activity_kind = models.CharField(
        "type d'activité au plan d'action", max_length=30, choices=ActivityKind.choices, default=ActivityKind.WORKSHOP
    )
    places = models.PositiveIntegerField("places")
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin")
    sessions = models.TextField(
        "sessions et dates", blank=True, help_text="Par exemple : « mardi et jeudi, de 9 h à 12 h, 12 séances »."
    )
    weekly_hours = models.DecimalField("heures par semaine", max_digits=4, decimal_places=1, default=6)
    place = models.CharField("lieu", max_length=250, blank=True)
    funders = models.CharField("financeurs", max_length=250, blank=True, help_text="Par exemple : Département, FSE+.")
    funding_amount = models.DecimalField("montant financé (€)", max_digits=10, decimal_places=2, null=True, blank=True)
    esf_cofunded = models.BooleanField("cofinancée par le FSE+", default=False)
    esf_amount = models.DecimalField("dont FSE+ (€)", max_digits=10, decimal_places=2, null=True, blank=True)
    sectors = models.ManyToManyField(
        "partners.Sector",
        related_name="insertion_actions",
        verbose_name="secteurs éligibles",
        blank=True,
        limit_choices_to={"kind": PRIMARY_SECTOR_KIND},
        help_text="Aucun secteur coché : ouverte à tout le Département.",
    )
    active = models.BooleanField("publiée", default=True)
    updated_at = models.DateTimeField("mise à jour le", auto_now=True)

    objects = InsertionActionQuerySet.as_manager()

    class Meta:
        verbose_name = "action d'insertion"
        verbose_name_plural = "actions d'insertion"
        ordering = ["starts_on", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="insertion_action_ends_after_it_starts",
                violation_error_message="La fin de l'action doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=Q(esf_cofunded=True) | Q(esf_amount__isnull=True),
                name="esf_amount_needs_esf_cofunding",
                violation_error_message="Un montant FSE+ suppose une action cofinancée par le FSE+.",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def pathway_codes(self):
        """Eligible pathways (`pathways` should be prefetched); empty: every pathway."""
        codes = {p.pathway for p in self.pathways.all()}
        return [code for code in Pathway.values if code in codes]

    @property
    def pathway_labels(self):
        return [Pathway(code).label for code in self.pathway_codes]

    def places_left_now(self, now=None):
        """Places left, counted now (use `with_places_left()` on lists)."""
        return self.places - self.prescriptions.filter(holding_a_place(now)).count()


class ActionPathway(models.Model):
    """A pathway an action is open to."""

    action = models.ForeignKey(InsertionAction, on_delete=models.CASCADE, related_name="pathways")
    pathway = models.CharField("parcours", max_length=20, choices=Pathway.choices)

    class Meta:
        verbose_name = "parcours éligible"
        verbose_name_plural = "parcours éligibles"
        constraints = [models.UniqueConstraint(fields=["action", "pathway"], name="one_row_per_action_pathway")]

    def __str__(self):
        return self.get_pathway_display()


class PrescriptionQuerySet(models.QuerySet):
    def for_user(self, user):
        """The prescriptions `user` may see: those of the files they see (`Beneficiary.objects.for_user`),
        and, for an operator's staff, those made to their organisation's actions (SPEC §1: only the
        persons prescribed to their actions)."""
        from accompaniment.models import Beneficiary
        from accompaniment.permissions import may_read_nominative_data
        from partners.enums import Role

        if not may_read_nominative_data(user):
            return self.none()
        visible = Q(beneficiary__in=Beneficiary.objects.for_user(user).values("id"))
        if user.has_role(Role.OPERATOR) and user.organisation_id:
            visible |= Q(action__operator_id=user.organisation_id)
        return self.filter(visible)

    def for_operator(self, user):
        """An operator's staff member's list: the prescriptions to their organisation's actions."""
        from partners.enums import Role

        if not (user.has_role(Role.OPERATOR) and user.organisation_id):
            return self.none()
        return self.filter(action__operator_id=user.organisation_id)

    def holding_a_place(self, now=None):
        return self.filter(holding_a_place(now))

    def overdue_for_answer(self, now=None):
        """Waiting for an answer past their delay: they no longer hold a place and are to be marked expired."""
        return self.filter(status=PrescriptionStatus.PENDING, expires_at__lte=now or timezone.now())


class Prescription(AuditedModel):
    """A person prescribed to an insertion action by their referent: an activity of the contract's plan."""

    action = models.ForeignKey(
        InsertionAction, on_delete=models.PROTECT, related_name="prescriptions", verbose_name="action"
    )
    beneficiary = models.ForeignKey(
        "accompaniment.Beneficiary", on_delete=models.CASCADE, related_name="prescriptions", verbose_name="dossier"
    )
    activity = models.OneToOneField(
        "accompaniment.Activity",
        on_delete=models.RESTRICT,  # kept with its activity; both go when the file goes
        related_name="prescription",
        verbose_name="activité du plan d'action",
    )
    status = models.CharField(
        "statut", max_length=10, choices=PrescriptionStatus.choices, default=PrescriptionStatus.PENDING
    )
    comment = models.TextField("message à l'opérateur", blank=True)
    prescribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="prescrite par"
    )
    prescribed_at = models.DateTimeField("prescrite le")
    expires_at = models.DateTimeField("sans réponse, expire le")
    answered_at = models.DateTimeField("réponse le", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="réponse de",
    )
    refusal_reason = models.CharField("motif du refus", max_length=20, choices=RefusalReason.choices, blank=True)
    refusal_comment = models.CharField("précision", max_length=300, blank=True)
    attendance = models.CharField("assiduité", max_length=10, choices=Attendance.choices, blank=True)
    outcome = models.CharField("issue", max_length=12, choices=PrescriptionOutcome.choices, blank=True)
    outcome_comment = models.CharField("commentaire sur l'issue", max_length=300, blank=True)
    followed_up_at = models.DateTimeField("suivi saisi le", null=True, blank=True)

    objects = PrescriptionQuerySet.as_manager()

    class Meta:
        verbose_name = "prescription"
        ordering = ["-prescribed_at", "-id"]
        indexes = [
            models.Index(fields=["action", "status", "expires_at"], name="prescription_places_idx"),
            models.Index(fields=["status", "expires_at"], name="prescription_expiry_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "beneficiary"],
                condition=Q(status__in=[PrescriptionStatus.PENDING, PrescriptionStatus.ACCEPTED]),
                name="one_open_prescription_per_action_and_file",
                violation_error_message="Cette personne est déjà prescrite sur cette action.",
            ),
            models.CheckConstraint(
                condition=~Q(status=PrescriptionStatus.REFUSED) | ~Q(refusal_reason=""),
                name="refused_prescription_has_a_reason",
                violation_error_message="Un refus doit avoir un motif.",
            ),
        ]

    def __str__(self):
        return f"Prescription sur « {self.action} »"

    def is_expired(self, now=None):
        return self.status == PrescriptionStatus.PENDING and self.expires_at <= (now or timezone.now())

    @property
    def display_status(self):
        """The status as the users should read it: a pending one past its delay is expired already."""
        return PrescriptionStatus.EXPIRED if self.is_expired() else PrescriptionStatus(self.status)

    @property
    def display_status_label(self):
        return self.display_status.label

    @property
    def is_pending(self):
        return self.display_status == PrescriptionStatus.PENDING

    @property
    def is_accepted(self):
        return self.status == PrescriptionStatus.ACCEPTED
