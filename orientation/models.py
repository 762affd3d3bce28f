"""Barriers referential, diagnostics and orientation decisions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from audit.services import AuditedModel

from .enums import (
    BARRIER_LEVEL_RANK,
    SENSITIVE_CATEGORIES,
    BarrierCategoryCode,
    BarrierLevel,
    EmploymentSituation,
    OrientationEndReason,
    Pathway,
    QualificationLevel,
)


class BarrierSituation(models.Model):
    """A situation under a barrier category (e.g. "Pas de permis de conduire" under Mobilité), admin-editable."""

    category = models.CharField("catégorie", max_length=20, choices=BarrierCategoryCode.choices, db_index=True)
    code = models.CharField("code", max_length=40, unique=True)
    label = models.CharField("libellé", max_length=200)
    order = models.PositiveSmallIntegerField("ordre", default=0)
    active = models.BooleanField("active", default=True)

    class Meta:
        verbose_name = "situation de frein"
        verbose_name_plural = "situations de frein"
        ordering = ["category", "order", "label"]

    def __str__(self):
        return f"{self.get_category_display()} — {self.label}"


class DiagnosticQuerySet(models.QuerySet):
    def latest_per_beneficiary(self):
        return self.order_by("beneficiary_id", "-held_on", "-id")


class Diagnostic(AuditedModel):
    """A socio-professional diagnostic, often tripartite (beneficiary + France Travail + Département)."""

    beneficiary = models.ForeignKey(
        "accompaniment.Beneficiary", on_delete=models.CASCADE, related_name="diagnostics", verbose_name="dossier"
    )
    held_on = models.DateField("date du diagnostic")
    place = models.CharField("lieu", max_length=200, blank=True)
    beneficiary_present = models.BooleanField("personne présente", default=True)
    tripartite = models.BooleanField(
        "tripartite",
        default=False,
        help_text="La personne, un conseiller France Travail et un travailleur social du Département.",
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="diagnostics_attended",
        verbose_name="professionnels présents",
        blank=True,
    )
    employment_situation = models.CharField(
        "situation vis-à-vis de l'emploi", max_length=30, choices=EmploymentSituation.choices, blank=True
    )
    qualification_level = models.CharField(
        "niveau de qualification", max_length=10, choices=QualificationLevel.choices, blank=True
    )
    targeted_occupations = models.CharField("métiers recherchés", max_length=300, blank=True)
    aspirations = models.TextField("souhaits de la personne", blank=True)
    suggested_pathway = models.CharField("parcours proposé", max_length=20, choices=Pathway.choices, blank=True)
    interview = models.ForeignKey(
        "accompaniment.Interview",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="diagnostics",
        verbose_name="entretien",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="saisi par",
        db_index=False,  # indexed with the file (Meta.indexes)
    )
    created_at = models.DateTimeField("saisi le", auto_now_add=True)

    objects = DiagnosticQuerySet.as_manager()

    class Meta:
        verbose_name = "diagnostic"
        ordering = ["-held_on", "-id"]
        # The access path reads "files this user wrote a diagnostic for" as ids only (index-only scan).
        indexes = [models.Index(fields=["created_by", "beneficiary"], name="diagnostic_author_file_idx")]

    def __str__(self):
        return f"Diagnostic du {self.held_on:%d/%m/%Y}"

    def clean(self):
        if self.held_on and self.held_on > timezone.localdate():
            raise ValidationError({"held_on": "Le diagnostic ne peut pas être daté dans le futur."})

    @property
    def participant_organisations(self):
        return {user.organisation for user in self.participants.all() if user.organisation_id}


class DiagnosticBarrier(AuditedModel):
    """The level of one barrier category in a diagnostic, with situations and comments."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="barriers")
    category = models.CharField("catégorie", max_length=20, choices=BarrierCategoryCode.choices)
    level = models.CharField("niveau", max_length=15, choices=BarrierLevel.choices, default=BarrierLevel.NOT_ADDRESSED)
    situations = models.ManyToManyField(BarrierSituation, blank=True, verbose_name="situations")
    comment = models.TextField(
        "commentaire",
        blank=True,
        help_text="Pour la santé et la famille, le commentaire n'est lisible que par les travailleurs sociaux.",
    )
    lifted_on = models.DateField("levé le", null=True, blank=True)

    class Meta:
        verbose_name = "frein"
        ordering = ["diagnostic", "category"]
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "category"], name="one_level_per_category_per_diagnostic")
        ]

    def __str__(self):
        return f"{self.get_category_display()} : {self.get_level_display()}"

    @property
    def is_sensitive(self):
        return self.category in SENSITIVE_CATEGORIES

    @property
    def is_open(self):
        return self.level in (BarrierLevel.STRONG, BarrierLevel.MEDIUM) and self.lifted_on is None

    @property
    def rank(self):
        return BARRIER_LEVEL_RANK[self.level]


class OrientationQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_on__isnull=True)


class Orientation(AuditedModel):
    """An orientation decision: a pathway and a lead organisation, dated, notified by a letter."""

    beneficiary = models.ForeignKey(
        "accompaniment.Beneficiary", on_delete=models.CASCADE, related_name="orientations", verbose_name="dossier"
    )
    pathway = models.CharField("parcours", max_length=20, choices=Pathway.choices)
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="orientations",
        verbose_name="organisme référent",
    )
    decided_on = models.DateField("décidée le")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="décidée par"
    )
    reasoning = models.TextField("motivation", blank=True)
    diagnostic = models.ForeignKey(
        Diagnostic,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orientations",
        verbose_name="diagnostic",
    )
    notified_on = models.DateField("notifiée le", null=True, blank=True)
    notified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="notifiée par",
    )
    ended_on = models.DateField("close le", null=True, blank=True)
    end_reason = models.CharField("motif de clôture", max_length=20, choices=OrientationEndReason.choices, blank=True)
    end_comment = models.CharField("précision", max_length=300, blank=True)
    previous = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next",
        verbose_name="orientation précédente",
    )
    created_at = models.DateTimeField("saisie le", auto_now_add=True)

    objects = OrientationQuerySet.as_manager()

    class Meta:
        verbose_name = "orientation"
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=Q(ended_on__isnull=True),
                name="one_current_orientation",
                violation_error_message="Ce dossier a déjà une orientation en cours.",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | ~Q(end_reason=""),
                name="closed_orientation_has_a_reason",
                violation_error_message="Une orientation close doit avoir un motif.",
            ),
            models.CheckConstraint(
                condition=Q(notified_on__isnull=True) | Q(notified_on__gte=models.F("decided_on")),
                name="notified_after_decision",
                violation_error_message="La notification ne peut pas précéder la décision.",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "ended_on"], name="orientation_org_current_idx")]

    def __str__(self):
        return f"Orientation {self.get_pathway_display()} du {self.decided_on:%d/%m/%Y}"

    @property
    def is_current(self):
        return self.ended_on is None

    def notify(self, *, on, by):
        """Records that the letter was sent: sets the notification date."""
        if not self.is_current:
            raise ValidationError("Seule l'orientation en cours peut être notifiée.")
        if on < self.decided_on:
            raise ValidationError({"notified_on": "La notification ne peut pas précéder la décision."})
        if on > timezone.localdate():
            raise ValidationError({"notified_on": "La date de notification ne peut pas être dans le futur."})
        self.notified_on = on
        self.notified_by = by
        self.save(update_fields=["notified_on", "notified_by"])

    def close(self, *, on, reason, comment=""):
        if not self.is_current:
            raise ValidationError("Cette orientation est déjà close.")
        if on < self.decided_on:
            raise ValidationError({"ended_on": "La clôture ne peut pas précéder la décision."})
        self.ended_on = on
        self.end_reason = reason
        self.end_comment = comment
        self.save(update_fields=["ended_on", "end_reason", "end_comment"])


# What answers the barriers: the directory of social resources and the insertion offer (models_offer.py).
from .models_offer import (  # noqa: E402, F401
    ActionPathway,
    InsertionAction,
    Prescription,
    Service,
    ServiceCategory,
)
