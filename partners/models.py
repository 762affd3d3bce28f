"""Territories, organisations, teams and users: the base every other app builds on.

`partners` imports no other app of the project.
"""

from functools import cached_property

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, Group, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .enums import (
    PRIMARY_SECTOR_KIND,
    SECTOR_KIND_OF_ORGANISATION_TYPE,
    CommuneKind,
    OrganisationType,
    Role,
    SectorKind,
)

MARSEILLE_INSEE_CODE = "13055"


def address_insee_code(insee_code, postal_code=""):
    """The INSEE code of an address's commune: Marseille given as 13055 becomes its municipal arrondissement
    from the postal code (13001 → 13201 … 13016 → 13216)."""
    code = (insee_code or "").strip()
    postal_code = (postal_code or "").strip()
    if code == MARSEILLE_INSEE_CODE and postal_code.startswith("130") and len(postal_code) == 5:
        number = int(postal_code[3:])
        if 1 <= number <= 16:
            code = f"132{number:02d}"
    return code


class CommuneQuerySet(models.QuerySet):
    def of_departement(self, code):
        return self.filter(departement=code)

    def from_postal_code(self, postal_code):
        """Communes served by a postal code (a postal code may serve several communes)."""
        return self.filter(postal_codes__regex=rf"(^|\s){postal_code}(\s|$)")


class Commune(models.Model):
    insee_code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=120)
    departement = models.CharField("département", max_length=3, db_index=True)
    kind = models.CharField("nature", max_length=30, choices=CommuneKind.choices, default=CommuneKind.COMMUNE)
    postal_codes = models.CharField("codes postaux", max_length=200, blank=True)
    population = models.PositiveIntegerField("population", null=True, blank=True)

    objects = CommuneQuerySet.as_manager()

    class Meta:
        verbose_name = "commune"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.insee_code})"

    @classmethod
    def resolve(cls, insee_code, postal_code=""):
        """The commune of an address: Marseille given as 13055 is resolved to its arrondissement
        from the postal code (13001 → 13201 … 13016 → 13216). Returns None when unknown."""
        code = address_insee_code(insee_code, postal_code)
        postal_code = (postal_code or "").strip()
        if not code and postal_code:
            matches = list(cls.objects.from_postal_code(postal_code)[:2])
            return matches[0] if len(matches) == 1 else None
        return cls.objects.filter(insee_code=code).first()


class Sector(models.Model):
    code = models.CharField("code", max_length=30, unique=True)
    name = models.CharField("nom", max_length=150)
    kind = models.CharField("nature", max_length=30, choices=SectorKind.choices, db_index=True)
    communes = models.ManyToManyField(
        Commune, through="SectorCommune", related_name="sectors", verbose_name="communes", blank=True
    )

    class Meta:
        verbose_name = "secteur"
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name

    @property
    def is_primary(self):
        return self.kind == PRIMARY_SECTOR_KIND


class SectorCommune(models.Model):
    """A commune in a sector. Sectors of different kinds overlap, but a commune belongs to at most one
    sector of each kind (the denormalised `kind` lets the database enforce it)."""

    sector = models.ForeignKey(Sector, on_delete=models.CASCADE, related_name="memberships")
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="sector_memberships")
    kind = models.CharField(max_length=30, choices=SectorKind.choices, editable=False)

    class Meta:
        verbose_name = "commune du secteur"
        verbose_name_plural = "communes du secteur"
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "kind"],
                name="commune_in_one_sector_per_kind",
                violation_error_message="Cette commune appartient déjà à un secteur de cette nature.",
            )
        ]

    def save(self, *args, **kwargs):
        self.kind = self.sector.kind
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.commune} → {self.sector}"


class Organisation(models.Model):
    code = models.CharField("code", max_length=30, unique=True)
    name = models.CharField("nom", max_length=200)
    type = models.CharField("type", max_length=30, choices=OrganisationType.choices, db_index=True)
    sectors = models.ManyToManyField(Sector, related_name="organisations", verbose_name="secteurs", blank=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    email = models.EmailField("e-mail de contact", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    # The auth group whose members are this organisation's users: explicit shares with an organisation
    # are guardian group permissions on it.
    group = models.OneToOneField(Group, on_delete=models.PROTECT, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.group_id is None:
            self.group, _ = Group.objects.get_or_create(name=f"organisation:{self.code}")
        super().save(*args, **kwargs)

    @property
    def sector_kind(self):
        return SECTOR_KIND_OF_ORGANISATION_TYPE.get(self.type)

    @property
    def is_departement(self):
        return self.type == OrganisationType.DEPARTEMENT


class UserQuerySet(models.QuerySet):
    def with_role(self, role):
        return self.filter(role_assignments__role=role)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        user = self._create_user(email, password, **extra_fields)
        user.set_roles([Role.ADMIN])
        return user

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("adresse e-mail", unique=True)
    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name="organisation",
        null=True,
        blank=True,
    )
    phone = models.CharField("téléphone", max_length=20, blank=True)
    is_social_worker = models.BooleanField(
        "travailleur social",
        default=False,
        help_text="Tenu au secret professionnel : peut lire les parties sensibles des diagnostics.",
    )
    is_staff = models.BooleanField("accès à l'administration", default=False)
    is_active = models.BooleanField("actif", default=True)
    date_joined = models.DateTimeField("créé le", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = "utilisateur"
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return self.get_full_name() or self.email

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name

    def save(self, *args, **kwargs):
        self.email = (self.email or "").lower()
        super().save(*args, **kwargs)
        self._sync_organisation_group()

    def _sync_organisation_group(self):
        """The user belongs to the auth group of their organisation, and of no other organisation."""
        wanted = {self.organisation.group_id} if self.organisation_id and self.organisation.group_id else set()
        current = set(self.groups.filter(name__startswith="organisation:").values_list("id", flat=True))
        if current - wanted:
            self.groups.remove(*(current - wanted))
        if wanted - current:
            self.groups.add(*(wanted - current))

    @cached_property
    def role_codes(self):
        if not self.pk:
            return frozenset()
        return frozenset(self.role_assignments.values_list("role", flat=True))

    def has_role(self, *roles):
        return bool(self.role_codes.intersection(roles))

    def set_roles(self, roles):
        roles = set(roles)
        self.role_assignments.exclude(role__in=roles).delete()
        existing = set(self.role_assignments.values_list("role", flat=True))
        UserRole.objects.bulk_create([UserRole(user=self, role=role) for role in roles - existing])
        self.__dict__.pop("role_codes", None)

    @property
    def role_labels(self):
        return [label for code, label in Role.choices if code in self.role_codes]

    @cached_property
    def managed_team_ids(self):
        return frozenset(self.managed_teams.values_list("id", flat=True))


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField("rôle", max_length=30, choices=Role.choices)

    class Meta:
        verbose_name = "rôle"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_assignment_per_role")]

    def __str__(self):
        return self.get_role_display()


class Team(models.Model):
    name = models.CharField("nom", max_length=150)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="teams", verbose_name="organisation"
    )
    manager = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="managed_teams",
        verbose_name="responsable",
        null=True,
        blank=True,
    )
    members = models.ManyToManyField(User, related_name="teams", verbose_name="membres", blank=True)

    class Meta:
        verbose_name = "équipe"
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_name_unique_in_organisation")
        ]

    def __str__(self):
        return f"{self.name} ({self.organisation})"


def teammates_of(user):
    """Ids of the users who share a team with `user`, or whose team `user` manages (subquery)."""
    return User.objects.filter(Q(teams__members=user) | Q(teams__manager=user)).values("id")


class Heartbeat(models.Model):
    """One row, touched every minute by the Celery beat through a worker; /healthz reads it."""

    name = models.CharField(max_length=30, unique=True, default="beat")
    last_run_at = models.DateTimeField()

    class Meta:
        verbose_name = "battement"

    def __str__(self):
        return f"{self.name} : {self.last_run_at:%d/%m/%Y %H:%M:%S}"

    @classmethod
    def beat(cls, name="beat"):
        cls.objects.update_or_create(name=name, defaults={"last_run_at": timezone.now()})

    @classmethod
    def last(cls, name="beat"):
        return cls.objects.filter(name=name).values_list("last_run_at", flat=True).first()


# Conventions and COPIL meetings live in their own module (SPEC §4); they are models of this app.
from .models_conventions import (  # noqa: E402, F401
    Convention,
    ConventionDocument,
    ConventionOwner,
    ConventionParty,
    ConventionResource,
    CopilAction,
    CopilMeeting,
    FundingLine,
)
