"""Households, persons and their files (the beneficiary's "dossier")."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from audit.services import AuditedModel
from partners.enums import PRIMARY_SECTOR_KIND

from . import nir as nir_lib
from .enums import OPEN_RIGHTS_STATES, FileOrigin, FundType, MemberRole, RightsState, Sex, Status


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

    def with_status(self):
        """Annotates `status_code`, derived as SPEC §2 says (the journey adds orientation and episodes)."""
        return self.annotate(
            status_code=Case(
                When(~Q(rights_and_duties=True), then=Value(Status.OUT_OF_SCOPE)),
                When(rights_state__in=OUT_OF_SCOPE_RIGHTS_STATES, then=Value(Status.OUT_OF_SCOPE)),
                default=Value(Status.TO_ORIENT),
                output_field=models.CharField(),
            )
        )

    def with_status_code(self, status):
        return self.with_status().filter(status_code=status)

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
    origin = models.CharField("origine", max_length=10, choices=FileOrigin.choices, default=FileOrigin.MANUAL)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="créé par",
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
        code = getattr(self, "status_code", None)
        if code is None:
            if not self.rights_and_duties or self.rights_state in OUT_OF_SCOPE_RIGHTS_STATES:
                code = Status.OUT_OF_SCOPE
            else:
                code = Status.TO_ORIENT
        return Status(code)

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
