"""Households, persons and their files (the beneficiary's "dossier")."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.utils import timezone
from django.utils.formats import number_format
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from audit.services import AuditedModel
from partners.enums import PRIMARY_SECTOR_KIND

from . import nir as nir_lib
from .enums import (
    ACCOMPANIMENT_INTERVIEW_KINDS,
    ACTIVITY_CLOSED_STATUSES,
    ACTIVITY_TRANSITIONS,
    DEFAULT_WEEKLY_HOURS,
    EXIT_REASONS_WITHOUT_EPISODE,
    FINISHED_IMPORT_STATUSES,
    FLUX_IMPORT_KINDS,
    MAX_WEEKLY_HOURS,
    OPEN_RIGHTS_STATES,
    POSITIVE_EXIT_REASONS,
    ActivityKind,
    ActivityStatus,
    AlertKind,
    ContractKind,
    DeadlineState,
    DelayUnit,
    ExitReason,
    ExportFormat,
    ExportStatus,
    FileOrigin,
    FluxType,
    FranceTravailBarrier,
    FranceTravailCategory,
    FranceTravailModality,
    FundType,
    HoursReductionReason,
    ImportKind,
    ImportStatus,
    InterviewKind,
    InterviewMedium,
    InterviewStatus,
    MemberRole,
    NotificationQueue,
    ReviewReason,
    ReviewStatus,
    RightsState,
    Sex,
    Status,
    WarningUnit,
)


def private_storage():
    """The storage of nominative files (uploads, reports, exports): served only by permission-checked views.
    A callable, so that migrations name it instead of freezing the storage's settings."""
    return storages["private"]


class Household(AuditedModel):
    """A CAF/MSA household ("foyer"), identified by fund type, fund number and matricule."""

    fund_type = models.CharField("organisme", max_length=3, choices=FundType.choices, default=FundType.CAF)
    fund_number = models.CharField("numéro d'organisme", max_length=3)
    matricule = models.CharField("matricule", max_length=15)
    rights_requested_on = models.DateField("date de demande RSA", null=True, blank=True)
    rights_state = models.CharField(
        "état du droit", max_length=1, choices=RightsState.choices, blank=True, db_index=True
    )
    # Reference date of the latest flux applied: an older flux never overwrites newer state.
    flux_reference_date = models.DateField("date de référence du dernier flux", null=True, blank=True)
    family_situation = models.CharField("situation familiale", max_length=3, blank=True)
    # What the flux says of the current right and of the household's address (the files copy the address:
    # a household without a file keeps it for the day a later flux opens the right).
    rights_request_number = models.CharField("numéro de demande RSA", max_length=11, blank=True)
    suspension_reason = models.CharField("motif de suspension", max_length=3, blank=True)
    suspended_on = models.DateField("suspendu le", null=True, blank=True)
    closure_reason = models.CharField("motif de clôture", max_length=3, blank=True)
    closed_on = models.DateField("clos le", null=True, blank=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    address_complement = models.CharField("complément d'adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune (libellé)", max_length=120, blank=True)
    commune = models.ForeignKey(
        "partners.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="commune"
    )
    moved_in_on = models.DateField("emménagement le", null=True, blank=True)
    transferred_in_on = models.DateField("arrivée d'un autre organisme le", null=True, blank=True)
    last_import = models.ForeignKey(
        "DataImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="dernier fichier qui l'a porté",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "foyer"
        constraints = [
            models.UniqueConstraint(
                fields=["fund_type", "fund_number", "matricule"],
                name="household_identified_by_fund_and_matricule",
                violation_error_message="Ce foyer existe déjà pour cet organisme et ce matricule.",
            )
        ]

    def __str__(self):
        return f"Foyer {self.fund_type} {self.fund_number} n° {self.matricule}"


class HouseholdMember(AuditedModel):
    """A person of a household as the flux gives it; adults subject to rights and duties have a file."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    role = models.CharField("rôle", max_length=3, choices=MemberRole.choices)
    first_name = models.CharField("prénom", max_length=100)
    last_name = models.CharField("nom", max_length=100)
    birth_date = models.DateField("date de naissance")
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices, blank=True)
    nir_encrypted = models.TextField(blank=True, editable=False)
    nir_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    rights_and_duties = models.BooleanField("soumis aux droits et devoirs", default=False)
    beneficiary = models.OneToOneField(
        "Beneficiary", on_delete=models.SET_NULL, null=True, blank=True, related_name="household_member"
    )

    class Meta:
        verbose_name = "membre du foyer"
        verbose_name_plural = "membres du foyer"
        ordering = ["household", "role", "birth_date"]

    def __str__(self):
        return f"{self.get_role_display()} du {self.household}"


class BeneficiaryQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one path to the files a user may see (SPEC §1): see accompaniment.permissions."""
        from .permissions import visible_beneficiaries

        return visible_beneficiaries(self, user)

    def in_scope(self):
        return self.filter(rights_and_duties=True).exclude(rights_state__in=OUT_OF_SCOPE_RIGHTS_STATES)

    def unassigned(self):
        """Files whose commune has no primary sector: the Département's orientation officers' queue."""
        return self.filter(sector__isnull=True)

    def _status_rules(self):
        """The status rules of SPEC §2 in the order they apply: the first that holds gives the status, and
        a file none of them holds is `to_orient`. One list for the annotation and for the filters."""
        orientation_model = self.model._meta.get_field("orientations").related_model
        return [
            (Status.OUT_OF_SCOPE, ~Q(rights_and_duties=True) | Q(rights_state__in=OUT_OF_SCOPE_RIGHTS_STATES)),
            (
                Status.IN_ACCOMPANIMENT,
                Exists(Episode.objects.filter(beneficiary=OuterRef("pk"), ended_on__isnull=True)),
            ),
            (
                Status.ORIENTED,
                Exists(orientation_model.objects.filter(beneficiary=OuterRef("pk"), ended_on__isnull=True)),
            ),
            (Status.EXITED, Exists(Exit.objects.filter(beneficiary=OuterRef("pk")))),
        ]

    def status_expression(self):
        """The status of SPEC §2 computed from the facts (rights, current orientation, open episode, exit)."""
        return Case(
            *(When(condition, then=Value(status)) for status, condition in self._status_rules()),
            default=Value(Status.TO_ORIENT),
            output_field=models.CharField(),
        )

    def refresh_status(self):
        """Stores the derived status of these files (one UPDATE, only the rows whose status changed).

        The status is never typed: it is this expression, stored so that lists filter and count it through
        an index. Writes that change its facts call this (signals in accompaniment/signals.py for single
        records, explicitly after bulk writes); the daily `refresh_statuses` task catches anything else."""
        expression = self.status_expression()
        return self.alias(computed=expression).exclude(status_code=F("computed")).update(status_code=expression)

    def with_journey(self):
        """Annotates the status, the current pathway and the current referent (one query for a page)."""
        orientation_model = self.model._meta.get_field("orientations").related_model
        current_orientation = orientation_model.objects.filter(beneficiary=OuterRef("pk"), ended_on__isnull=True)
        current_referent = ReferentAssignment.objects.filter(beneficiary=OuterRef("pk"), ended_on__isnull=True)
        return self.annotate(
            current_pathway=Subquery(current_orientation.values("pathway")[:1]),
            current_referent_id=Subquery(current_referent.values("agent_id")[:1]),
            current_referent_first_name=Subquery(current_referent.values("agent__first_name")[:1]),
            current_referent_last_name=Subquery(current_referent.values("agent__last_name")[:1]),
        )

    def awaiting_orientation(self):
        return self.with_status_code(Status.TO_ORIENT)

    def with_status_code(self, status):
        return self.filter(status_code=Status(status))

    def without_referent(self):
        return self.filter(
            ~Exists(ReferentAssignment.objects.filter(beneficiary=OuterRef("pk"), ended_on__isnull=True))
        )

    def followed_by(self, agent):
        """The files whose current referent is `agent` (a user or a user id)."""
        return self.filter(pk__in=ReferentAssignment.objects.current().filter(agent=agent).values("beneficiary_id"))

    def search(self, text):
        text = (text or "").strip()
        if not text:
            return self
        query = Q()
        for word in text.split()[:4]:
            query &= (
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(birth_name__icontains=word)
                | Q(caf_number__startswith=word)
            )
        return self.filter(query)


OUT_OF_SCOPE_RIGHTS_STATES = (RightsState.REFUSED, RightsState.CLOSED, RightsState.CLOSED_PREVIOUS_MONTH)


class Beneficiary(AuditedModel):
    """The file ("dossier") of a person subject to rights and duties, or created by hand."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="beneficiaries"
    )
    first_name = models.CharField("prénom", max_length=100)
    last_name = models.CharField("nom d'usage", max_length=100)
    birth_name = models.CharField("nom de naissance", max_length=100, blank=True)
    birth_date = models.DateField("date de naissance")
    sex = models.CharField("sexe", max_length=1, choices=Sex.choices, blank=True)
    # The NIR: encrypted, plus a keyed hash of its 13-digit stem for matching. Never displayed.
    nir_encrypted = models.TextField(blank=True, editable=False)
    nir_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    caf_number = models.CharField("numéro allocataire", max_length=15, blank=True, db_index=True)
    france_travail_id = models.CharField(
        "identifiant France Travail",
        max_length=11,
        blank=True,
        db_index=True,
        help_text="8 caractères, ex. 1253359X",
    )
    france_travail_uid = models.UUIDField("identifiant unique France Travail", null=True, blank=True, unique=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    address_complement = models.CharField("complément d'adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune (libellé)", max_length=120, blank=True)
    commune = models.ForeignKey(
        "partners.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="commune",
    )
    # The primary sector (social-action district): derived from the commune unless an orientation officer
    # set it by hand. Empty: the file is unassigned.
    sector = models.ForeignKey(
        "partners.Sector",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="beneficiaries",
        verbose_name="secteur",
        limit_choices_to={"kind": PRIMARY_SECTOR_KIND},
    )
    sector_set_by_hand = models.BooleanField("secteur fixé manuellement", default=False)
    qpv = models.BooleanField("quartier prioritaire (QPV)", default=False)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    email = models.EmailField("e-mail", blank=True)
    rights_opened_on = models.DateField("date d'ouverture des droits", null=True, blank=True, db_index=True)
    flux_date = models.DateField("date du flux", null=True, blank=True, db_index=True)
    rights_state = models.CharField("état du droit", max_length=1, choices=RightsState.choices, blank=True)
    rights_and_duties = models.BooleanField("soumis aux droits et devoirs", default=True)
    single_parent = models.BooleanField("parent isolé", default=False)
    last_contact_on = models.DateField("dernier contact", null=True, blank=True)
    # Derived from the facts by BeneficiaryQuerySet.refresh_status(), never typed (SPEC §2): stored for lists.
    status_code = models.CharField(
        "statut",
        max_length=20,
        choices=Status.choices,
        default=Status.TO_ORIENT,
        db_default=Status.TO_ORIENT,
        editable=False,
        db_index=True,
    )
    origin = models.CharField("origine", max_length=10, choices=FileOrigin.choices, default=FileOrigin.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="créé par",
        db_index=False,  # indexed with the file (Meta.indexes)
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = BeneficiaryQuerySet.as_manager()

    class Meta:
        verbose_name = "dossier"
        verbose_name_plural = "dossiers"
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="beneficiary_name_idx"),
            # The access path reads "files created by these users" as ids only (index-only scans).
            models.Index(fields=["created_by", "id"], name="beneficiary_author_idx"),
            models.Index(fields=["sector", "last_name"], name="beneficiary_sector_idx"),
            models.Index(fields=["commune", "last_name"], name="beneficiary_commune_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["nir_hash"],
                condition=~Q(nir_hash=""),
                name="one_file_per_nir",
                violation_error_message="Un dossier existe déjà pour ce NIR.",
            ),
            models.CheckConstraint(
                condition=Q(birth_date__gt="1900-01-01"),
                name="birth_date_plausible",
                violation_error_message="La date de naissance n'est pas plausible.",
            ),
        ]

    def __str__(self):
        return f"Dossier n° {self.pk}"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name.upper()}"

    def clean(self):
        if self.birth_date and self.birth_date >= timezone.localdate():
            raise ValidationError({"birth_date": "La date de naissance doit être dans le passé."})

    # Facts of the status this model holds itself; the others live in orientations, episodes and exits.
    STATUS_FACTS = ("rights_and_duties", "rights_state")

    def save(self, *args, **kwargs):
        """A new file has no journey yet: its status follows its rights. A change of rights refreshes it."""
        if self._state.adding:
            out = not self.rights_and_duties or self.rights_state in OUT_OF_SCOPE_RIGHTS_STATES
            self.status_code = Status.OUT_OF_SCOPE if out else Status.TO_ORIENT
            super().save(*args, **kwargs)
            return
        changed = self._audit_changed_fields()
        super().save(*args, **kwargs)
        if changed is None or set(changed) & set(self.STATUS_FACTS):
            self.refresh_status()

    def refresh_status(self):
        """Stores this file's derived status and reads it back."""
        files = type(self).objects.filter(pk=self.pk)
        files.refresh_status()
        self.status_code = files.values_list("status_code", flat=True).get()
        return self.status

    # NIR -----------------------------------------------------------------------------------------
    def set_nir(self, value):
        """Stores the NIR encrypted and its stem's hash; an empty value clears both."""
        if not value:
            self.nir_encrypted, self.nir_hash = "", ""
            return
        value = nir_lib.validate(value)
        self.nir_encrypted = nir_lib.encrypt(value)
        self.nir_hash = nir_lib.stem_hash(value)

    @property
    def has_nir(self):
        return bool(self.nir_hash)

    # Territory -----------------------------------------------------------------------------------
    def assign_sector_from_commune(self):
        """Sets the primary sector from the commune, unless an orientation officer set it by hand."""
        if self.sector_set_by_hand:
            return
        if self.commune_id is None:
            self.sector = None
            return
        from partners.models import SectorCommune

        membership = (
            SectorCommune.objects.filter(commune_id=self.commune_id, kind=PRIMARY_SECTOR_KIND)
            .select_related("sector")
            .first()
        )
        self.sector = membership.sector if membership else None

    @property
    def is_unassigned(self):
        return self.sector_id is None

    # Status --------------------------------------------------------------------------------------
    @property
    def status(self):
        return Status(self.status_code)

    # Journey annotations (`with_journey()`), for lists ------------------------------------------------------
    @property
    def current_pathway_label(self):
        """The label of the annotated `current_pathway` ("" without a current orientation)."""
        code = getattr(self, "current_pathway", None)
        if not code:
            return ""
        pathway = self._meta.get_field("orientations").related_model._meta.get_field("pathway")
        return dict(pathway.flatchoices).get(code, code)

    @property
    def current_referent_name(self):
        """The annotated current referent's name ("" without one)."""
        if not getattr(self, "current_referent_id", None):
            return ""
        return f"{self.current_referent_first_name} {self.current_referent_last_name}".strip()

    @property
    def current_orientation(self):
        return self.orientations.filter(ended_on__isnull=True).select_related("organisation").first()

    @property
    def current_referent_assignment(self):
        return self.referent_assignments.filter(ended_on__isnull=True).select_related("agent", "organisation").first()

    @property
    def open_episode(self):
        return self.episodes.filter(ended_on__isnull=True).first()

    @property
    def current_contract(self):
        """The contract in force today, else the coming one, else the last one (one query)."""
        return self.contracts.current_first().first()

    @property
    def has_open_right(self):
        return self.rights_state in OPEN_RIGHTS_STATES


class RightsStateChange(models.Model):
    """Append-only history of a household's RSA rights state (from the flux) or of a file's (by hand)."""

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, null=True, blank=True, related_name="rights_changes"
    )
    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, null=True, blank=True, related_name="rights_changes"
    )
    state = models.CharField("état du droit", max_length=1, choices=RightsState.choices)
    effective_on = models.DateField("date")
    suspension_reason = models.CharField("motif de suspension", max_length=3, blank=True)
    suspended_on = models.DateField("suspendu le", null=True, blank=True)
    closure_reason = models.CharField("motif de clôture", max_length=3, blank=True)
    closed_on = models.DateField("clos le", null=True, blank=True)
    source = models.CharField("source", max_length=200, blank=True)
    recorded_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "changement d'état du droit"
        verbose_name_plural = "historique des droits"
        ordering = ["effective_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(household__isnull=False) | Q(beneficiary__isnull=False),
                name="rights_change_has_subject",
            )
        ]

    def __str__(self):
        return f"{self.get_state_display()} le {self.effective_on:%d/%m/%Y}"


class FileShare(models.Model):
    """An explicit share of a file with a named user or an organisation, with a reason and an end date.

    The grant itself is a django-guardian object permission (see permissions.py); this row keeps why,
    by whom and until when.
    """

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="file_shares",
        verbose_name="utilisateur",
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="file_shares",
        verbose_name="organisation",
    )
    reason = models.CharField("motif", max_length=300)
    ends_on = models.DateField("fin du partage")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="partagé par"
    )
    created_at = models.DateTimeField("partagé le", auto_now_add=True)
    revoked_at = models.DateTimeField("retiré le", null=True, blank=True)

    class Meta:
        verbose_name = "partage de dossier"
        verbose_name_plural = "partages de dossiers"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(organisation__isnull=True))
                | (Q(user__isnull=True) & Q(organisation__isnull=False)),
                name="share_with_a_user_or_an_organisation",
                violation_error_message="Un partage se fait avec un utilisateur ou avec une organisation.",
            )
        ]

    def __str__(self):
        return f"Partage du {self.beneficiary} avec {self.user or self.organisation}"

    @property
    def is_active(self):
        return self.revoked_at is None and self.ends_on >= timezone.localdate()


# django-guardian with direct foreign keys: joins on integers, not on a generic text object_pk.
class BeneficiaryUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="user_grants")


class BeneficiaryGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="group_grants")


# The journey: referent, interviews, episodes, contracts and activities, exits -------------------------------
class ReferentAssignmentQuerySet(models.QuerySet):
    def current(self):
        return self.filter(ended_on__isnull=True)


class ReferentAssignment(AuditedModel):
    """The single referent ("référent unique") named by the lead organisation; history kept."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="referent_assignments", verbose_name="dossier"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referent_assignments", verbose_name="référent"
    )
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name="organisme référent"
    )
    designated_on = models.DateField("désigné le")
    designated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="désigné par"
    )
    ended_on = models.DateField("fin", null=True, blank=True)
    end_reason = models.CharField("motif du changement", max_length=200, blank=True)
    created_at = models.DateTimeField("saisi le", auto_now_add=True)

    objects = ReferentAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = "désignation du référent"
        verbose_name_plural = "désignations de référent"
        ordering = ["-designated_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=Q(ended_on__isnull=True),
                name="one_current_referent",
                violation_error_message="Ce dossier a déjà un référent en cours.",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("designated_on")),
                name="referent_ends_after_designation",
                violation_error_message="La fin ne peut pas précéder la désignation.",
            ),
        ]
        indexes = [
            # "The files this agent is the current referent of" (access path, portfolios): ids only.
            models.Index(
                fields=["agent", "beneficiary"], condition=Q(ended_on__isnull=True), name="referent_agent_current_idx"
            )
        ]

    def __str__(self):
        return f"Référent désigné le {self.designated_on:%d/%m/%Y}"


class InterviewQuerySet(models.QuerySet):
    def held(self):
        return self.filter(status=InterviewStatus.HELD)

    def accompaniment_kinds(self):
        return self.filter(kind__in=ACCOMPANIMENT_INTERVIEW_KINDS)


class Interview(AuditedModel):
    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="interviews", verbose_name="dossier"
    )
    kind = models.CharField("type d'entretien", max_length=20, choices=InterviewKind.choices)
    scheduled_for = models.DateTimeField("prévu le")
    held_on = models.DateField("tenu le", null=True, blank=True)
    status = models.CharField("statut", max_length=10, choices=InterviewStatus.choices, default=InterviewStatus.PLANNED)
    medium = models.CharField(
        "modalité", max_length=12, choices=InterviewMedium.choices, default=InterviewMedium.IN_PERSON
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="interviews_attended", verbose_name="professionnels présents", blank=True
    )
    outcome = models.CharField("conclusion", max_length=300, blank=True)
    notes = models.TextField("notes", blank=True)
    complementary_rights = models.JSONField(
        "droits complémentaires ouverts", default=list, blank=True, help_text="Entretien d'accès aux droits CAF."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="saisi par",
        db_index=False,  # indexed with the file (Meta.indexes)
    )
    created_at = models.DateTimeField("saisi le", auto_now_add=True)

    objects = InterviewQuerySet.as_manager()

    class Meta:
        verbose_name = "entretien"
        ordering = ["-scheduled_for", "-id"]
        indexes = [
            models.Index(fields=["beneficiary", "scheduled_for"], name="interview_file_date_idx"),
            models.Index(fields=["created_by", "beneficiary"], name="interview_author_file_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="held") | Q(held_on__isnull=False),
                name="held_interview_has_a_date",
                violation_error_message="Un entretien tenu doit avoir une date.",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} du {timezone.localtime(self.scheduled_for):%d/%m/%Y}"

    @property
    def is_accompaniment(self):
        return self.kind in ACCOMPANIMENT_INTERVIEW_KINDS


class EpisodeQuerySet(models.QuerySet):
    def open(self):
        return self.filter(ended_on__isnull=True)

    def open_on(self, day):
        """Episodes in progress at the end of `day` (started by then, not ended by then)."""
        return self.filter(started_on__lte=day).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))


class Episode(AuditedModel):
    """An accompaniment episode: opens with the first held accompaniment interview after the orientation,
    closes with the exit."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="episodes", verbose_name="dossier"
    )
    started_on = models.DateField("entrée en accompagnement")
    opening_interview = models.OneToOneField(
        Interview, on_delete=models.PROTECT, related_name="opened_episode", verbose_name="premier entretien"
    )
    ended_on = models.DateField("fin", null=True, blank=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        verbose_name = "épisode d'accompagnement"
        verbose_name_plural = "épisodes d'accompagnement"
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=Q(ended_on__isnull=True),
                name="one_open_episode",
                violation_error_message="Ce dossier a déjà un accompagnement en cours.",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="episode_ends_after_it_starts",
                violation_error_message="La sortie ne peut pas précéder l'entrée en accompagnement.",
            ),
        ]

    def __str__(self):
        return f"Accompagnement depuis le {self.started_on:%d/%m/%Y}"

    @property
    def duration_days(self):
        end = self.ended_on or timezone.localdate()
        return (end - self.started_on).days


class ContractQuerySet(models.QuerySet):
    def current_first(self, today=None):
        """The contract in force today first, then the others, the latest start first (so that the first
        one is "the current contract": in force, else the coming one, else the last one)."""
        today = today or timezone.localdate()
        return self.annotate(
            in_force_rank=Case(
                When(starts_on__lte=today, ends_on__gte=today, then=Value(0)),
                default=Value(1),
                output_field=models.IntegerField(),
            )
        ).order_by("in_force_rank", "-starts_on", "-id")

    def overlapping(self, starts_on, ends_on):
        return self.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)


class ContractPeriod(models.TextChoices):
    UPCOMING = "upcoming", "À venir"
    IN_FORCE = "in_force", "En cours"
    ENDED = "ended", "Terminé"


class Contract(AuditedModel):
    """The commitment contract ("contrat d'engagement"; legacy CER/PPAE recordable) and its weekly hours."""

    beneficiary = models.ForeignKey(
        Beneficiary, on_delete=models.CASCADE, related_name="contracts", verbose_name="dossier"
    )
    kind = models.CharField("type de contrat", max_length=4, choices=ContractKind.choices, default=ContractKind.CE)
    signed_on = models.DateField("signé le")
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin")
    weekly_hours = models.DecimalField(
        "heures d'activité hebdomadaires",
        max_digits=4,
        decimal_places=1,
        default=DEFAULT_WEEKLY_HOURS,
        help_text="15 h par défaut ; jusqu'à 20 h par paliers ; moins avec un motif.",
    )
    hours_reduction_reason = models.CharField(
        "motif de réduction", max_length=30, choices=HoursReductionReason.choices, blank=True
    )
    hours_reduction_comment = models.CharField("précision sur la réduction", max_length=300, blank=True)
    objectives = models.TextField("objectifs", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="saisi par",
        db_index=False,  # indexed with the file (Meta.indexes)
    )
    created_at = models.DateTimeField("saisi le", auto_now_add=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = "contrat d'engagement"
        verbose_name_plural = "contrats d'engagement"
        ordering = ["-signed_on", "-id"]
        indexes = [models.Index(fields=["created_by", "beneficiary"], name="contract_author_file_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")),
                name="contract_ends_after_it_starts",
                violation_error_message="La fin du contrat doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=Q(weekly_hours__gte=0) & Q(weekly_hours__lte=MAX_WEEKLY_HOURS),
                name="weekly_hours_between_0_and_20",
                violation_error_message="Les heures hebdomadaires vont de 0 à 20.",
            ),
            models.CheckConstraint(
                condition=Q(weekly_hours__gte=DEFAULT_WEEKLY_HOURS) | ~Q(hours_reduction_reason=""),
                name="hours_below_15_need_a_reason",
                violation_error_message="En dessous de 15 heures, un motif de réduction est obligatoire.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} signé le {self.signed_on:%d/%m/%Y}"

    @property
    def short_kind(self):
        """CE, CER or PPAE."""
        return self.kind.upper()

    def period_on(self, day):
        if day < self.starts_on:
            return ContractPeriod.UPCOMING
        if day > self.ends_on:
            return ContractPeriod.ENDED
        return ContractPeriod.IN_FORCE

    @property
    def period(self):
        return self.period_on(timezone.localdate())

    @property
    def period_label(self):
        return ContractPeriod(self.period).label

    @property
    def is_reduced(self):
        return bool(self.hours_reduction_reason)


def hours_in_force(contract, steps, day):
    """The weekly hours the contract asks for on `day`: the latest step started by then, else the base.
    `steps` are the contract's ContractHoursStep rows, in any order."""
    hours = contract.weekly_hours
    for step in sorted(steps, key=lambda s: s.starts_on):
        if step.starts_on <= day:
            hours = step.weekly_hours
    return hours


class ContractHoursStep(models.Model):
    """A step of the progressive plan: from this date, this many weekly hours (up to 20)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="hours_steps")
    starts_on = models.DateField("à partir du")
    weekly_hours = models.DecimalField("heures hebdomadaires", max_digits=4, decimal_places=1)

    class Meta:
        verbose_name = "palier d'heures"
        verbose_name_plural = "paliers d'heures"
        ordering = ["contract", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "starts_on"], name="one_step_per_date"),
            models.CheckConstraint(
                condition=Q(weekly_hours__gte=0) & Q(weekly_hours__lte=MAX_WEEKLY_HOURS),
                name="step_hours_between_0_and_20",
                violation_error_message="Les heures hebdomadaires vont de 0 à 20.",
            ),
        ]

    def __str__(self):
        return f"{self.weekly_hours} h à partir du {self.starts_on:%d/%m/%Y}"


class ActivityQuerySet(models.QuerySet):
    def for_plan(self):
        """The action plan's rows: the partner, the hours done in total and the date of the last status
        change (which, for a done or abandoned activity, is when its planned hours stop counting)."""
        last_change = ActivityStatusChange.objects.filter(activity=OuterRef("pk")).order_by("-changed_on", "-id")
        return self.select_related("provider_organisation").annotate(
            hours_done_total=Sum("hours_done__hours"),
            last_status_change_on=Subquery(last_change.values("changed_on")[:1]),
        )

    def running_between(self, first_day, last_day):
        """Activities whose planned dates meet [first_day, last_day] (an ended one may stop earlier)."""
        return self.filter(starts_on__lte=last_day, ends_on__gte=first_day)


class Activity(AuditedModel):
    """An action of the contract's action plan, with planned hours per week and hours done."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="activities", verbose_name="contrat")
    kind = models.CharField("type d'activité", max_length=30, choices=ActivityKind.choices)
    title = models.CharField("intitulé", max_length=200)
    provider = models.CharField("organisme", max_length=200, blank=True)
    provider_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="partenaire",
    )
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin")
    weekly_planned_hours = models.DecimalField("heures prévues par semaine", max_digits=4, decimal_places=1)
    status = models.CharField("statut", max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="saisi par"
    )
    created_at = models.DateTimeField("saisi le", auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = "activité"
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="activity_ends_after_it_starts",
                violation_error_message="La fin de l'activité doit suivre son début.",
            ),
            models.CheckConstraint(
                condition=Q(weekly_planned_hours__gte=0) & Q(weekly_planned_hours__lte=35),
                name="activity_hours_plausible",
                violation_error_message="Les heures prévues vont de 0 à 35 par semaine.",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def provider_label(self):
        if self.provider_organisation_id:
            return str(self.provider_organisation)
        return self.provider

    @property
    def is_closed(self):
        return self.status in ACTIVITY_CLOSED_STATUSES

    @property
    def next_statuses(self):
        return ACTIVITY_TRANSITIONS[self.status]

    @property
    def closed_on(self):
        """The date a done or abandoned activity ended (its last status change), else None."""
        if not self.is_closed:
            return None
        if not hasattr(self, "last_status_change_on"):
            change = self.status_changes.order_by("-changed_on", "-id").first()
            self.last_status_change_on = change.changed_on if change else None
        return self.last_status_change_on

    @property
    def effective_ends_on(self):
        """The last day its planned hours count: its planned end, or the day it was done or abandoned
        when earlier. Before its start for an activity abandoned before it began."""
        closed_on = self.closed_on
        return min(self.ends_on, closed_on) if closed_on else self.ends_on

    def runs_during(self, first_day, last_day):
        return self.starts_on <= last_day and self.effective_ends_on >= first_day


class ActivityStatusChange(models.Model):
    """A dated change of an activity's status, and who made it: the activity's history."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField("statut", max_length=12, choices=ActivityStatus.choices)
    changed_on = models.DateField("le")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="par"
    )
    created_at = models.DateTimeField("saisi le", auto_now_add=True)

    class Meta:
        verbose_name = "changement de statut d'une activité"
        verbose_name_plural = "changements de statut des activités"
        ordering = ["changed_on", "id"]

    def __str__(self):
        return f"{self.get_status_display()} le {self.changed_on:%d/%m/%Y}"


class ActivityHours(AuditedModel):
    """Hours done on an activity during one week (the week starts on Monday)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="hours_done")
    week_of = models.DateField("semaine du")
    hours = models.DecimalField("heures réalisées", max_digits=4, decimal_places=1)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "heures réalisées"
        verbose_name_plural = "heures réalisées"
        ordering = ["week_of"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "week_of"], name="one_record_per_activity_week"),
            models.CheckConstraint(
                condition=Q(hours__gte=0) & Q(hours__lte=60),
                name="hours_done_plausible",
                violation_error_message="Les heures réalisées vont de 0 à 60 par semaine.",
            ),
        ]

    def __str__(self):
        return f"{self.hours} h la semaine du {self.week_of:%d/%m/%Y}"


# Weekly hours of a contract: target, planned and done, computed in Python (never in SQL date arithmetic) -------
ONE_WEEK = datetime.timedelta(days=7)


def format_hours(value):
    """Hours as people write them: 15, 17,5 (no trailing zero, decimal comma)."""
    text = f"{Decimal(value):.1f}".replace(".", ",")
    return text.removesuffix(",0")


def monday_of(day):
    return day - datetime.timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeekFigures:
    """One week of a contract: the hours it asks for, those its activities plan, those recorded done."""

    monday: datetime.date
    target: Decimal
    planned: Decimal
    done: Decimal
    recorded: bool  # hours were recorded for at least one activity that week
    is_current: bool  # the week of today

    @property
    def sunday(self):
        return self.monday + datetime.timedelta(days=6)

    @property
    def below_target(self):
        return self.done < self.target

    @property
    def plan_below_target(self):
        return self.planned < self.target


def contract_mondays(contract, today):
    """The Mondays of the contract's weeks up to today's week, the most recent first."""
    if contract.starts_on > today:
        return []
    monday, first = monday_of(min(today, contract.ends_on)), monday_of(contract.starts_on)
    mondays = []
    while monday >= first:
        mondays.append(monday)
        monday -= ONE_WEEK
    return mondays


def week_figures(contract, *, mondays, steps, activities, hours_by_week, today):
    """The figures of the given weeks. No query: `steps` are the contract's steps, `activities` its
    activities (from `Activity.objects.for_plan()`, so that their end is known), `hours_by_week` maps a
    Monday to the hours done that week on the contract's activities.

    The target of a week is the step in force on its last day (a step counts for the whole week it starts
    in); the planned hours are those of the activities running that week, for a partial week too."""
    current = monday_of(today)
    ends = [(activity, activity.effective_ends_on) for activity in activities]
    figures = []
    for monday in mondays:
        sunday = monday + datetime.timedelta(days=6)
        planned = sum(
            (a.weekly_planned_hours for a, end in ends if a.starts_on <= sunday and end >= monday), Decimal(0)
        )
        figures.append(
            WeekFigures(
                monday=monday,
                target=hours_in_force(contract, steps, min(sunday, contract.ends_on)),
                planned=planned,
                done=hours_by_week.get(monday, Decimal(0)),
                recorded=monday in hours_by_week,
                is_current=monday == current,
            )
        )
    return figures


def hours_done_by_week(contract, mondays=None):
    """One query: the hours done on the contract's activities, by week (Monday → total)."""
    records = ActivityHours.objects.filter(activity__contract=contract)
    if mondays is not None:
        records = records.filter(week_of__in=list(mondays))
    rows = records.order_by().values("week_of").annotate(total=Sum("hours"))
    return {row["week_of"]: row["total"] for row in rows}


class Exit(AuditedModel):
    """The exit from the accompaniment (or from the file, for the reasons that allow it)."""

    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.CASCADE, related_name="exits", verbose_name="dossier")
    episode = models.OneToOneField(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="exit", verbose_name="épisode clos"
    )
    exited_on = models.DateField("date de sortie")
    reason = models.CharField("motif de sortie", max_length=30, choices=ExitReason.choices)
    comment = models.CharField("précision", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="saisie par",
        db_index=False,  # indexed with the file (Meta.indexes)
    )
    created_at = models.DateTimeField("saisie le", auto_now_add=True)

    class Meta:
        verbose_name = "sortie"
        ordering = ["-exited_on", "-id"]
        indexes = [models.Index(fields=["created_by", "beneficiary"], name="exit_author_file_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(episode__isnull=False) | Q(reason__in=EXIT_REASONS_WITHOUT_EPISODE),
                name="positive_exit_needs_an_episode",
                violation_error_message="Une sortie vers l'emploi ou la formation suppose un accompagnement en cours.",
            )
        ]

    def __str__(self):
        return f"Sortie du {self.exited_on:%d/%m/%Y} ({self.get_reason_display()})"

    @property
    def is_positive(self):
        return self.reason in POSITIVE_EXIT_REASONS


# Exports of the file list ---------------------------------------------------------------------------------
class ExportQuerySet(models.QuerySet):
    def expired(self, *, now):
        return self.exclude(status=ExportStatus.EXPIRED).filter(expires_at__lte=now)


class Export(models.Model):
    """A CSV/XLSX export of the file list as a user filtered it: built from what that user may see, kept in
    the private storage, downloadable by that user only, until it expires. Never holds the NIR."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exports", verbose_name="demandé par"
    )
    format = models.CharField("format", max_length=4, choices=ExportFormat.choices)
    # The list's query string (filters and sort): the export shows what the list showed.
    query = models.CharField("filtres", max_length=2000, blank=True)
    status = models.CharField("état", max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    row_count = models.PositiveIntegerField("nombre de dossiers", null=True, blank=True)
    file = models.FileField("fichier", storage=private_storage, upload_to="exports/", blank=True)
    error = models.CharField("erreur", max_length=300, blank=True)
    created_at = models.DateTimeField("demandé le", auto_now_add=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)
    expires_at = models.DateTimeField("expire le", db_index=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        verbose_name = "export"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="ready") | (Q(row_count__isnull=False) & ~Q(file="")),
                name="ready_export_has_its_file",
                violation_error_message="Un export prêt a son fichier et son nombre de dossiers.",
            )
        ]

    def __str__(self):
        return f"Export {self.get_format_display()} du {timezone.localtime(self.created_at):%d/%m/%Y à %H:%M}"

    @property
    def filename(self):
        return f"dossiers-{timezone.localtime(self.created_at):%Y%m%d-%H%M}.{self.format}"

    def is_downloadable(self, now=None):
        return self.status == ExportStatus.READY and self.expires_at > (now or timezone.now())


# Data exchange ------------------------------------------------------------------------------------------------
# Files received from the CAF/MSA (VRSB0801 flux) and from France Travail (beneficiaries extract): the registry
# of every file, the households or rows it rejected and why, the France Travail facts of a file, and the rows an
# orientation officer must link to a file or dismiss. The import code is in accompaniment/exchange/.
def import_upload_path(instance, filename):
    """The stored copy's name says nothing of its content: a random name under the month received."""
    import pathlib
    import uuid

    suffix = pathlib.Path(filename).suffix.lower()[:10]
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class DataImportQuerySet(models.QuerySet):
    def completed(self):
        return self.filter(status=ImportStatus.DONE)

    def flux(self):
        return self.filter(kind__in=FLUX_IMPORT_KINDS)

    def with_stored_file_expired(self, today):
        return self.exclude(stored_file="").filter(expires_on__lt=today)

    def expired(self, today):
        """Past their retention: the stored copy and the rejected households or rows are deleted (SPEC §1)."""
        return self.filter(expires_on__lt=today)

    def in_progress(self):
        return self.exclude(status__in=FINISHED_IMPORT_STATUSES)


class DataImport(models.Model):
    """One file received (SPEC §6): what it is, what it did, who imported it. Counts are of households for a
    CAF/MSA flux and of rows for a France Travail extract; `processed` grows while the import runs (progress)."""

    kind = models.CharField("nature", max_length=20, choices=ImportKind.choices)
    flux_type = models.CharField("type de flux", max_length=1, choices=FluxType.choices, blank=True)
    file_name = models.CharField("nom du fichier", max_length=255)
    checksum = models.CharField("empreinte SHA-256", max_length=64, db_index=True)
    size = models.PositiveBigIntegerField("taille (octets)", default=0)
    stored_file = models.FileField(
        "fichier conservé", storage=private_storage, upload_to=import_upload_path, max_length=300, blank=True
    )
    expires_on = models.DateField("fichier conservé jusqu'au", null=True, blank=True, db_index=True)
    flux_created_on = models.DateField("date de création du flux", null=True, blank=True)
    reference_date = models.DateField("date de référence", null=True, blank=True)
    status = models.CharField(
        "statut", max_length=12, choices=ImportStatus.choices, default=ImportStatus.RECEIVED, db_index=True
    )
    message = models.TextField("message", blank=True)
    warnings = models.JSONField("avertissements", default=list, blank=True)
    total = models.PositiveIntegerField("foyers ou lignes du fichier", null=True, blank=True)
    processed = models.PositiveIntegerField("traités", default=0)
    created = models.PositiveIntegerField("créés", default=0)
    updated = models.PositiveIntegerField("modifiés", default=0)
    unchanged = models.PositiveIntegerField("inchangés", default=0)
    rejected = models.PositiveIntegerField("rejetés", default=0)
    files_created = models.PositiveIntegerField("dossiers créés", default=0)
    outdated = models.PositiveIntegerField("foyers déjà à jour d'un flux plus récent", default=0)
    queued = models.PositiveIntegerField("lignes à rapprocher", default=0)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="déjà importé par"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="importé par",
    )
    received_at = models.DateTimeField("reçu le", auto_now_add=True, db_index=True)
    started_at = models.DateTimeField("commencé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    objects = DataImportQuerySet.as_manager()

    class Meta:
        verbose_name = "fichier importé"
        verbose_name_plural = "fichiers importés"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=FLUX_IMPORT_KINDS) | Q(flux_type=""),
                name="only_a_flux_has_a_flux_type",
                violation_error_message="Seul un flux CAF ou MSA a un type de flux.",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} « {self.file_name} » reçu le {timezone.localtime(self.received_at):%d/%m/%Y}"

    @property
    def is_flux(self):
        return self.kind in FLUX_IMPORT_KINDS

    @property
    def is_finished(self):
        return self.status in FINISHED_IMPORT_STATUSES

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def progress_percent(self):
        if self.is_finished:
            return 100
        if not self.total:
            return 0
        return min(100, int(100 * self.processed / self.total))

    @property
    def unit(self):
        """What the counts count, in French: households of a flux, rows of an extract."""
        return "foyers" if self.is_flux else "lignes"

    @property
    def duration_label(self):
        """The duration in French words: « 2 min 05 s », « 1 h 02 min », « moins d'une seconde »."""
        duration = self.duration
        if duration is None:
            return ""
        seconds = int(duration.total_seconds())
        if seconds < 1:
            return "moins d'une seconde"
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours} h {minutes:02d} min"
        if minutes:
            return f"{minutes} min {seconds:02d} s"
        return f"{seconds} s"

    @property
    def tally(self):
        """The counts in a French sentence that suits households and rows alike: « 1 203 créations, 5 mises à
        jour, 0 sans changement, 1 rejet »."""

        def count(value, singular, plural):
            return f"{number_format(value, force_grouping=True)} {plural if value > 1 else singular}"

        return ", ".join(
            (
                count(self.created, "création", "créations"),
                count(self.updated, "mise à jour", "mises à jour"),
                count(self.unchanged, "sans changement", "sans changement"),
                count(self.rejected, "rejet", "rejets"),
            )
        )

    def is_expired(self, today=None):
        """Past its retention: its stored copy and its rejected households or rows are (or are about to be)
        deleted; the registry row and its counts stay."""
        return bool(self.expires_on and self.expires_on < (today or timezone.localdate()))

    @property
    def summary(self):
        """The line of SPEC §8: `created=N updated=N unchanged=N rejected=N`."""
        return f"created={self.created} updated={self.updated} unchanged={self.unchanged} rejected={self.rejected}"


class ImportRejection(models.Model):
    """A household (CAF/MSA flux) or a row (France Travail extract) that was not imported, and why, in words an
    orientation officer can act on. Nominative through what it names: read by orientation officers only."""

    data_import = models.ForeignKey(DataImport, on_delete=models.CASCADE, related_name="rejections")
    position = models.PositiveIntegerField("rang dans le fichier")
    identifier = models.CharField("identification", max_length=120, blank=True)
    element = models.CharField("élément en cause", max_length=200, blank=True)
    reason = models.TextField("motif")

    class Meta:
        verbose_name = "rejet d'import"
        verbose_name_plural = "rejets d'import"
        ordering = ["data_import", "position", "id"]

    def __str__(self):
        return f"Rejet n° {self.position} de l'import {self.data_import_id}"


class FranceTravailRegistration(AuditedModel):
    """What the latest France Travail extract says of a file's person: registration, accompaniment, counsellor,
    barriers flagged. Replaced by each extract that carries the person."""

    beneficiary = models.OneToOneField(
        Beneficiary, on_delete=models.CASCADE, related_name="france_travail_registration", verbose_name="dossier"
    )
    registered_on = models.DateField("inscrit le", null=True, blank=True)
    category = models.CharField(
        "catégorie d'inscription", max_length=1, choices=FranceTravailCategory.choices, blank=True
    )
    registration_reason_code = models.CharField("code du motif d'inscription", max_length=10, blank=True)
    registration_reason = models.CharField("motif d'inscription", max_length=200, blank=True)
    modality = models.CharField(
        "modalité d'accompagnement", max_length=10, choices=FranceTravailModality.choices, blank=True
    )
    agency = models.CharField("structure principale", max_length=200, blank=True)
    follow_up_agency = models.CharField("structure de suivi", max_length=200, blank=True)
    safir_code = models.CharField("code SAFIR", max_length=10, blank=True)
    counsellor_civility = models.CharField("civilité du conseiller", max_length=10, blank=True)
    counsellor_last_name = models.CharField("nom du conseiller", max_length=100, blank=True)
    counsellor_first_name = models.CharField("prénom du conseiller", max_length=100, blank=True)
    counsellor_email = models.EmailField("e-mail du conseiller", blank=True)
    follow_up_started_on = models.DateField("début de l'accompagnement", null=True, blank=True)
    follow_up_planned_end_on = models.DateField("fin prévue de l'accompagnement", null=True, blank=True)
    last_interview_on = models.DateField("dernier entretien", null=True, blank=True)
    last_ppae_interview_on = models.DateField("dernier entretien PPAE", null=True, blank=True)
    occupations = models.JSONField("métiers recherchés (ROME)", default=list, blank=True)
    barriers = models.JSONField("freins signalés", default=list, blank=True)
    receives_rsa = models.BooleanField("bénéficiaire du RSA selon France Travail", null=True, blank=True)
    source_import = models.ForeignKey(
        DataImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="extrait"
    )
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)

    class Meta:
        verbose_name = "inscription France Travail"
        verbose_name_plural = "inscriptions France Travail"

    def __str__(self):
        return f"Inscription France Travail du {self.beneficiary}"

    @property
    def barrier_labels(self):
        return [label for code, label in FranceTravailBarrier.choices if code in self.barriers]

    @property
    def counsellor_name(self):
        return " ".join(p for p in (self.counsellor_first_name, self.counsellor_last_name) if p)


class FranceTravailReviewRowQuerySet(models.QuerySet):
    def for_user(self, user):
        """Orientation officers only, rows of their organisation's sectors (the Département's officers also
        the rows of no known sector): see accompaniment.permissions."""
        from .permissions import visible_review_rows

        return visible_review_rows(self, user)

    def open(self):
        return self.filter(status=ReviewStatus.OPEN)


class FranceTravailReviewRow(AuditedModel):
    """A row of a France Travail extract that matched no file by its id, nor exactly one file by name and birth
    date: an orientation officer links it to a file or dismisses it."""

    data_import = models.ForeignKey(
        DataImport, on_delete=models.CASCADE, related_name="review_rows", verbose_name="extrait"
    )
    line = models.PositiveIntegerField("ligne")
    france_travail_uid = models.UUIDField("identifiant unique France Travail", db_index=True)
    civility = models.CharField("civilité", max_length=10, blank=True)
    last_name = models.CharField("nom", max_length=100)
    first_name = models.CharField("prénom", max_length=100)
    birth_date = models.DateField("date de naissance")
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("commune (libellé)", max_length=120, blank=True)
    commune = models.ForeignKey(
        "partners.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="commune"
    )
    sector = models.ForeignKey(
        "partners.Sector", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name="secteur"
    )
    agency = models.CharField("structure France Travail", max_length=200, blank=True)
    # The facts to apply to the file when the row is linked (see exchange.france_travail.registration_facts).
    facts = models.JSONField("informations de l'extrait", default=dict, blank=True)
    reason = models.CharField("motif", max_length=20, choices=ReviewReason.choices)
    candidates = models.PositiveIntegerField("dossiers correspondants", default=0)
    status = models.CharField(
        "statut", max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True
    )
    beneficiary = models.ForeignKey(
        Beneficiary,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="dossier rattaché",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("décidé le", null=True, blank=True)
    comment = models.CharField("commentaire", max_length=300, blank=True)
    created_at = models.DateTimeField("reçue le", auto_now_add=True)

    objects = FranceTravailReviewRowQuerySet.as_manager()

    class Meta:
        verbose_name = "ligne France Travail à rapprocher"
        verbose_name_plural = "lignes France Travail à rapprocher"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["france_travail_uid"],
                condition=Q(status="open"),
                name="one_open_review_row_per_france_travail_uid",
                violation_error_message="Cette personne est déjà dans la file de rapprochement.",
            ),
            models.CheckConstraint(
                condition=~Q(status="linked") | Q(beneficiary__isnull=False),
                name="linked_review_row_names_its_file",
                violation_error_message="Une ligne rattachée nomme son dossier.",
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(decided_at__isnull=False),
                name="decided_review_row_is_dated",
                violation_error_message="Une ligne rattachée ou écartée porte la date de la décision.",
            ),
        ]

    def __str__(self):
        return f"Ligne {self.line} de l'extrait {self.data_import_id}"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name.upper()}"


# Deadlines ------------------------------------------------------------------------------------------------
# The engine (accompaniment/deadline_engine.py) collects the rules each app declares in its `deadlines.py`,
# derives one `Deadline` per subject and rule version from the facts, and raises alerts before the breach.
class DeadlineRuleQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Les versions de règle sont immuables : enregistrez une nouvelle version.")

    def for_code(self, code):
        return self.filter(code=code)


class DeadlineRule(models.Model):
    """One immutable version of a deadline rule: editing a rule creates a new version with an effective-from
    date, optionally for one sector (it then overrides the Département's version there). A clock uses the
    version in force where and when it starts; what was already computed is never rewritten.

    `start_event`, `met_by` and `cancelled_by` name events declared in code by the rule's app (its
    `deadlines.py`): the data chooses among them, the code says how each is read from the facts."""

    code = models.CharField("code", max_length=40, db_index=True)
    label = models.CharField("libellé", max_length=200)
    subject = models.CharField("objet suivi", max_length=60, help_text="Modèle suivi, par exemple un dossier.")
    start_event = models.CharField("point de départ", max_length=60)
    met_by = models.CharField("respecté quand", max_length=60)
    cancelled_by = models.JSONField("annulé quand", default=list, blank=True)
    delay = models.PositiveIntegerField("délai")
    delay_unit = models.CharField("unité du délai", max_length=10, choices=DelayUnit.choices)
    extended_delay = models.PositiveIntegerField(
        "délai allongé",
        null=True,
        blank=True,
        help_text="Délai appliqué quand le point de départ le prévoit (par exemple une vulnérabilité), même unité.",
    )
    warning = models.PositiveIntegerField("alerte avant l'échéance", default=3)
    warning_unit = models.CharField(
        "unité de l'alerte", max_length=10, choices=WarningUnit.choices, default=WarningUnit.DAYS
    )
    enabled = models.BooleanField("active", default=True)
    effective_from = models.DateField("en vigueur à partir du")
    sector = models.ForeignKey(
        "partners.Sector",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="secteur",
        limit_choices_to={"kind": PRIMARY_SECTOR_KIND},
        help_text="Vide : la version du Département. Renseigné : remplace celle du Département dans ce secteur.",
    )
    comment = models.CharField("motif de la version", max_length=300, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="créée par",
    )

    objects = DeadlineRuleQuerySet.as_manager()

    class Meta:
        verbose_name = "version de règle de délai"
        verbose_name_plural = "règles de délai (versions)"
        ordering = ["code", "sector__name", "-effective_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "effective_from"],
                condition=Q(sector__isnull=True),
                name="one_departement_rule_version_per_date",
                violation_error_message="Une version du Département existe déjà à cette date pour cette règle.",
            ),
            models.UniqueConstraint(
                fields=["code", "sector", "effective_from"],
                condition=Q(sector__isnull=False),
                name="one_sector_rule_version_per_date",
                violation_error_message="Une version de ce secteur existe déjà à cette date pour cette règle.",
            ),
            models.CheckConstraint(
                condition=Q(delay__gt=0),
                name="rule_delay_positive",
                violation_error_message="Le délai doit être d'au moins une unité.",
            ),
            models.CheckConstraint(
                condition=Q(extended_delay__isnull=True) | Q(extended_delay__gte=models.F("delay")),
                name="rule_extended_delay_not_shorter",
                violation_error_message="Le délai allongé ne peut pas être plus court que le délai.",
            ),
        ]

    def __str__(self):
        where = f", {self.sector}" if self.sector_id else ""
        return f"{self.label} (version du {self.effective_from:%d/%m/%Y}{where})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Les versions de règle sont immuables : enregistrez une nouvelle version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Les versions de règle ne s'effacent pas : désactivez la règle par une nouvelle version.")

    @property
    def delay_label(self):
        return _amount(self.delay, self.delay_unit)

    @property
    def extended_delay_label(self):
        return _amount(self.extended_delay, self.delay_unit) if self.extended_delay else ""

    @property
    def warning_label(self):
        return _amount(self.warning, self.warning_unit)


def _amount(value, unit):
    if unit == DelayUnit.MONTHS:
        return f"{value} mois"
    label = {DelayUnit.DAYS: "jour", DelayUnit.HOURS: "heure"}[unit]
    return f"{value} {label}{'s' if value > 1 else ''}"


def deadline_state_at(at):
    """The state of a deadline as of `at` (a timezone-aware datetime), from its stored times alone: any
    report can be evaluated at any as-of date with the same expression the check stores."""
    return Case(
        When(cancelled_at__lte=at, then=Value(DeadlineState.CANCELLED)),
        When(Q(met_at__lte=at) & Q(met_at__lte=models.F("due_at")), then=Value(DeadlineState.MET)),
        When(met_at__lte=at, then=Value(DeadlineState.MET_LATE)),
        When(due_at__lt=at, then=Value(DeadlineState.OVERDUE)),
        When(warns_at__lte=at, then=Value(DeadlineState.DUE_SOON)),
        default=Value(DeadlineState.PENDING),
        output_field=models.CharField(),
    )


class DeadlineQuerySet(models.QuerySet):
    def open(self):
        """Neither met nor cancelled: the clock still runs."""
        return self.filter(met_at__isnull=True, cancelled_at__isnull=True)

    def in_state(self, *states):
        return self.filter(state__in=states)

    def overdue(self):
        return self.filter(state=DeadlineState.OVERDUE)

    def due_soon(self):
        return self.filter(state=DeadlineState.DUE_SOON)

    def with_state_at(self, at):
        """Annotates `state_at`: the state as of `at`, for reports at any as-of date."""
        return self.annotate(state_at=deadline_state_at(at))

    def of_files(self, files):
        """Deadlines of the files of a queryset (e.g. `Beneficiary.objects.for_user(user)`)."""
        return self.filter(beneficiary__in=files.values("id"))


class Deadline(models.Model):
    """A clock of one rule version for one subject: when it started, when the alert is due, when it is
    due, and when it was met or cancelled. Computed once when the clock starts (in Python: calendar months
    and time zones), stored, then compared by the check with set-based statements; `state` is that
    comparison as of the last check (or the last refresh of its subject)."""

    rule = models.ForeignKey(
        DeadlineRule,
        on_delete=models.PROTECT,
        related_name="deadlines",
        verbose_name="règle",
        db_index=False,  # versions are never deleted; the check filters by rule_code
    )
    rule_code = models.CharField("code de la règle", max_length=40)
    subject_type = models.CharField("type d'objet suivi", max_length=60)
    subject_id = models.PositiveBigIntegerField("identifiant de l'objet suivi")
    # The file the subject belongs to (the subject itself for file rules): access, recipients, sector.
    beneficiary = models.ForeignKey(
        Beneficiary,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name="dossier",
        db_index=False,  # deadline_file_idx starts with it
    )
    # The record that started the clock when it is not the subject (e.g. the orientation of `entry_15d`).
    source_id = models.PositiveBigIntegerField("identifiant du fait de départ", null=True, blank=True)
    starts_at = models.DateTimeField("départ")
    warns_at = models.DateTimeField("alerte à partir du")
    due_at = models.DateTimeField("échéance")
    met_at = models.DateTimeField("respecté le", null=True, blank=True)
    cancelled_at = models.DateTimeField("annulé le", null=True, blank=True)
    cancel_reason = models.CharField("motif d'annulation", max_length=40, blank=True)
    state = models.CharField("état", max_length=10, choices=DeadlineState.choices, default=DeadlineState.PENDING)
    created_at = models.DateTimeField("calculé le")

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = "échéance"
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_code", "subject_type", "subject_id", "starts_at"],
                name="one_deadline_per_rule_subject_and_start",
            ),
            models.UniqueConstraint(
                fields=["rule_code", "subject_type", "subject_id"],
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="one_running_deadline_per_rule_and_subject",
            ),
            models.CheckConstraint(
                condition=Q(warns_at__gte=models.F("starts_at")) & Q(due_at__gte=models.F("warns_at")),
                name="deadline_times_in_order",
                violation_error_message="Le départ précède l'alerte, qui précède l'échéance.",
            ),
            models.CheckConstraint(
                condition=Q(met_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="deadline_met_or_cancelled_not_both",
                violation_error_message="Une échéance respectée ne peut pas être annulée.",
            ),
        ]
        # Few indexes: a first check inserts a row per file and rule. Lookups by subject go through the
        # unique constraints (rule code first); the stored next deadline is indexed with the state.
        indexes = [
            models.Index(fields=["state", "due_at"], name="deadline_state_due_idx"),
            models.Index(fields=["beneficiary", "due_at"], name="deadline_file_idx"),
        ]

    def __str__(self):
        return f"Échéance {self.rule_code} du {timezone.localtime(self.due_at):%d/%m/%Y}"

    @property
    def is_open(self):
        return self.met_at is None and self.cancelled_at is None

    @property
    def is_day_based(self):
        return self.rule.delay_unit != DelayUnit.HOURS

    def days_left(self, today=None):
        """Whole days until the due day (negative once late)."""
        today = today or timezone.localdate()
        return (timezone.localtime(self.due_at).date() - today).days

    @property
    def cancel_reason_label(self):
        from .deadline_engine import cancel_reason_label

        return cancel_reason_label(self.cancel_reason)


class DeadlineAlert(models.Model):
    """Raised once when a deadline turns `due_soon` and once when it turns `overdue` (a unique constraint,
    not only the check's lock); its notifications are written by the same run, in the same transaction."""

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="alerts", verbose_name="échéance")
    kind = models.CharField("type d'alerte", max_length=10, choices=AlertKind.choices)
    created_at = models.DateTimeField("levée le", db_index=True)

    class Meta:
        verbose_name = "alerte d'échéance"
        verbose_name_plural = "alertes d'échéance"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["deadline", "kind"], name="one_alert_per_deadline_and_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.deadline.rule_code})"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An alert in someone's in-app list: a user's own, or a shared queue's (one row for the whole queue,
    e.g. the orientation officers covering the file's sector, whoever of them reads it)."""

    alert = models.ForeignKey(DeadlineAlert, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name="destinataire",
    )
    queue = models.CharField("liste partagée", max_length=20, choices=NotificationQueue.choices, blank=True)
    created_at = models.DateTimeField("reçue le")
    read_at = models.DateTimeField("lue le", null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="lue par",
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "notification"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(recipient__isnull=False) & Q(queue="")) | (Q(recipient__isnull=True) & ~Q(queue="")),
                name="notification_to_a_user_or_a_queue",
                violation_error_message="Une notification va à une personne ou à une liste partagée.",
            ),
            models.UniqueConstraint(
                fields=["alert", "recipient"],
                condition=Q(recipient__isnull=False),
                name="one_notification_per_alert_and_user",
            ),
            models.UniqueConstraint(
                fields=["alert", "queue"], condition=~Q(queue=""), name="one_notification_per_alert_and_queue"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx"),
            # A shared queue's unread alerts, newest first: a page is read from the index, whatever the backlog.
            models.Index(
                fields=["queue", "-id"],
                name="notification_queue_unread_idx",
                condition=Q(read_at__isnull=True) & ~Q(queue=""),
            ),
        ]

    def __str__(self):
        return f"Notification {self.alert}"

    @property
    def is_read(self):
        return self.read_at is not None


class DeadlineDigest(models.Model):
    """The daily e-mail digest sent to a user: at most one a day (claimed by this row before sending)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField("jour")
    sent_at = models.DateTimeField("envoyé le")
    counts = models.JSONField("compteurs", default=dict)

    class Meta:
        verbose_name = "récapitulatif quotidien"
        verbose_name_plural = "récapitulatifs quotidiens"
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_user_and_day")]

    def __str__(self):
        return f"Récapitulatif du {self.day:%d/%m/%Y}"


class DeadlineCheck(models.Model):
    """One row per kind of run (`daily`, `hourly`): the row the check locks against overlapping runs (a
    row lock, released with the transaction, even when a worker dies), and what its last run did."""

    name = models.CharField(max_length=20, unique=True)
    last_started_at = models.DateTimeField("dernier lancement", null=True, blank=True)
    last_finished_at = models.DateTimeField("dernière fin", null=True, blank=True)
    last_as_of = models.DateTimeField("dernière date d'évaluation", null=True, blank=True)
    last_report = models.JSONField("compte rendu", default=dict, blank=True)

    class Meta:
        verbose_name = "vérification des échéances"
        verbose_name_plural = "vérifications des échéances"

    def __str__(self):
        return f"Vérification {self.name}"
