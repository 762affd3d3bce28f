"""Who may see which file: access derived from relations, never copied (SPEC §1).

`visible_beneficiaries()` (reached as `Beneficiary.objects.for_user(user)`) is the one path every view,
export and API endpoint uses. Each relation is one `Q` built from subqueries, so the number of queries does
not depend on the data. This module is the only one that talks to django-guardian, which records the
explicit shares that no relation covers.
"""

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from partners.enums import PRIMARY_SECTOR_KIND, OrganisationType, Role
from partners.models import Sector, SectorCommune, User, teammates_of

from .enums import ImportKind

VIEW_PERMISSION = "accompaniment.view_beneficiary"

# Roles that may read nominative files at all. COPIL members, the DPO and functional admins never do,
# whatever is shared with them.
NOMINATIVE_ROLES = (
    Role.REFERENT,
    Role.ORIENTATION_OFFICER,
    Role.MANAGER,
    Role.CAF_AGENT,
    Role.CHILDCARE_COORDINATOR,
    Role.OPERATOR,
)


def may_read_nominative_data(user):
    return bool(user and user.is_authenticated and user.is_active and user.has_role(*NOMINATIVE_ROLES))


def _models():
    from .models import Beneficiary, BeneficiaryGroupObjectPermission, BeneficiaryUserObjectPermission

    return Beneficiary, BeneficiaryUserObjectPermission, BeneficiaryGroupObjectPermission


def _related(name):
    """A model that points at files, reached through the reverse relation `name` (no import of its app)."""
    Beneficiary, *_ = _models()
    return Beneficiary._meta.get_field(name).related_model


# Each relation gives querysets of file ids, each read from the table that holds the relation (so that its
# index is used); the visible files are those whose id is in their union.
def _sector_relation(user, prefix=""):
    """Orientation officers: the files of their organisation's sectors; the Département's officers also
    the unassigned queue. A condition on the file's own columns (it matches most files: no subquery);
    `prefix` reaches the file from another model (e.g. "alert__deadline__beneficiary__")."""
    organisation = user.organisation
    if organisation is None:
        return Q(pk__in=[])
    sector_ids = organisation.sectors.values("id")
    communes = SectorCommune.objects.filter(sector__in=sector_ids).values("commune_id")
    relation = Q(**{f"{prefix}sector__in": sector_ids}) | Q(**{f"{prefix}commune__in": communes})
    if organisation.is_departement:
        relation |= Q(**{f"{prefix}sector__isnull": True})
    return relation


def orientation_queue_scope(user, prefix=""):
    """The files whose orientation queue `user` reads: an orientation officer's sector relation (the
    same files `for_user()` gives them through their sectors)."""
    if Role.ORIENTATION_OFFICER not in user.role_codes or not may_read_nominative_data(user):
        return Q(pk__in=[])
    return _sector_relation(user, prefix)


def _lead_organisation_ids(user):
    """Orientation officers and managers of the lead organisation of the current orientation."""
    if user.organisation_id is None:
        return []
    orientations = _related("orientations").objects
    return [orientations.filter(ended_on__isnull=True, organisation_id=user.organisation_id).values("beneficiary_id")]


def _referent_ids(user):
    """The files the user is the current referent of."""
    return [_related("referent_assignments").objects.filter(ended_on__isnull=True, agent=user).values("beneficiary_id")]


def _authored_ids(user):
    """Records the user wrote: the file itself, its interviews, diagnostics, contracts, exits."""
    Beneficiary, *_ = _models()
    return [Beneficiary.objects.filter(created_by=user).values("id")] + [
        _related(name).objects.filter(created_by=user).values("beneficiary_id")
        for name in ("interviews", "diagnostics", "contracts", "exits")
    ]


def _followed_by_ids(members):
    """Files whose current referent is one of `members` (a subquery of user ids), or that one of them
    created while no referent is designated yet."""
    Beneficiary, *_ = _models()
    assignments = _related("referent_assignments").objects.filter(ended_on__isnull=True)
    return [
        assignments.filter(agent__in=members).values("beneficiary_id"),
        Beneficiary.objects.filter(created_by__in=members)
        .filter(~Exists(assignments.filter(beneficiary=OuterRef("pk"))))
        .values("id"),
    ]


def followed_file_ids(members):
    """Ids of the files followed by `members` (a subquery of user ids), as one subquery: those they are the
    current referent of, and those one of them created while no referent is designated yet."""
    first, *others = [part.order_by() for part in _followed_by_ids(members)]
    return first.union(*others, all=True)


def _team_ids(user):
    """Referents: the files of their team."""
    return _followed_by_ids(teammates_of(user))


def _managed_teams_ids(user):
    """Managers: the files followed by the teams they manage."""
    return _followed_by_ids(User.objects.filter(teams__manager=user).values("id"))


def _share_ids(user):
    """Explicit shares (django-guardian), with a user or with the user's organisation."""
    _, user_grants, group_grants = _models()
    return [
        user_grants.objects.filter(user=user, permission__codename="view_beneficiary").values("content_object_id"),
        group_grants.objects.filter(group__in=user.groups.values("id"), permission__codename="view_beneficiary").values(
            "content_object_id"
        ),
    ]


def visible_ids(user):
    """The ids of the files `user` may see through relations held by other tables, as one SQL subquery (a
    UNION ALL); the sector relation of orientation officers is a condition on the file itself."""
    roles = user.role_codes
    parts = []
    if Role.ORIENTATION_OFFICER in roles:
        parts += _lead_organisation_ids(user)
    if Role.REFERENT in roles:
        parts += _referent_ids(user) + _team_ids(user)
    if Role.MANAGER in roles:
        parts += _managed_teams_ids(user) + _lead_organisation_ids(user)
    if roles & {Role.ORIENTATION_OFFICER, Role.REFERENT, Role.MANAGER, Role.CAF_AGENT}:
        parts += _authored_ids(user)
    parts += _share_ids(user)
    first, *others = [part.order_by() for part in parts]  # no ORDER BY inside a UNION
    return first.union(*others, all=True)


def sees_every_file(user):
    """The Département's orientation officers whose organisation covers every primary sector: the sector
    relation and the unassigned queue then hold every file. Said once, so that their lists need no filter
    (one query here instead of a condition the database would check on every file)."""
    organisation = user.organisation
    if not (organisation and organisation.is_departement and Role.ORIENTATION_OFFICER in user.role_codes):
        return False
    cached = getattr(user, "_sees_every_file", None)
    if cached is None:
        uncovered = Sector.objects.filter(kind=PRIMARY_SECTOR_KIND).exclude(organisations=organisation)
        cached = user._sees_every_file = not uncovered.exists()
    return cached


def visible_beneficiaries(queryset, user):
    if not may_read_nominative_data(user):
        return queryset.none()
    if sees_every_file(user):
        return queryset
    relation = Q(pk__in=visible_ids(user))
    if Role.ORIENTATION_OFFICER in user.role_codes:
        relation |= _sector_relation(user)
    return queryset.filter(relation)


def may_review_france_travail_rows(user):
    """Rows of a France Travail extract that matched no file are nominative: orientation officers only."""
    return bool(user and user.is_authenticated and user.is_active and user.has_role(Role.ORIENTATION_OFFICER))


def visible_review_rows(queryset, user):
    """The France Travail rows to link of the officer's organisation's sectors (by the commune of the row's
    address); the Département's officers also the rows of no known sector, as for the unassigned queue."""
    if not may_review_france_travail_rows(user) or user.organisation is None:
        return queryset.none()
    return queryset.filter(_sector_relation(user))


# Imports ---------------------------------------------------------------------------------------------------
# Functional admins start imports and read their counts; orientation officers also read rejected rows (SPEC §1).
IMPORT_ROLES = (Role.ADMIN, Role.ORIENTATION_OFFICER)

# The organisation that emits each kind of file: its orientation officers may read that file's rejected rows.
IMPORT_SOURCE_ORGANISATION_TYPES = {
    ImportKind.CAF: OrganisationType.CAF,
    ImportKind.MSA: OrganisationType.MSA,
    ImportKind.FRANCE_TRAVAIL: OrganisationType.FRANCE_TRAVAIL,
}


def may_run_imports(user):
    """The « Imports » page: upload a file, follow it, read every import's counts."""
    return bool(user and user.is_authenticated and user.is_active and user.has_role(*IMPORT_ROLES))


def may_read_import_rejections(user, data_import):
    """The rejected households or rows of an import name people but belong to no file, hence to no sector: no
    perimeter narrower than the Département applies to them. So they are read by orientation officers only
    (never by an admin, who sees counts), and among them:
    - the Département's officers, for every import: they run the orientation of the whole Département;
    - the officers of the organisation that emitted the file (France Travail for its extracts): the rows are
      their own organisation's data, and the correction has to be made in its system;
    - the officer who imported the file: they held all of it already.
    Others (e.g. a France Travail agency's officer, for a CAF flux someone else imported) see the counts."""
    if not (may_run_imports(user) and user.has_role(Role.ORIENTATION_OFFICER)):
        return False
    if is_departement_orientation_officer(user) or data_import.imported_by_id == user.pk:
        return True
    organisation = user.organisation
    return bool(organisation and organisation.type == IMPORT_SOURCE_ORGANISATION_TYPES.get(data_import.kind))


def sensitive_details_visible(user):
    """Sensitive parts of diagnostics (health, family): social workers only, on files they may see."""
    return bool(user.is_social_worker and may_read_nominative_data(user))


# Referent designation ----------------------------------------------------------------------------------
# Orientation officers designate referents, managers reassign them (SPEC §1).
REFERENT_DESIGNATOR_ROLES = (Role.ORIENTATION_OFFICER, Role.MANAGER)


def designates_referents(user):
    return user.has_role(*REFERENT_DESIGNATOR_ROLES)


def is_departement_orientation_officer(user):
    return bool(user.has_role(Role.ORIENTATION_OFFICER) and user.organisation and user.organisation.is_departement)


def may_designate_referent(user, lead_organisation_id):
    """Whether `user` may name the referent of a file they see whose current orientation is led by
    `lead_organisation_id`: its orientation officers and managers, and the Département's orientation
    officers for any file (they run the orientation of the whole Département)."""
    if lead_organisation_id is None or not designates_referents(user):
        return False
    return user.organisation_id == lead_organisation_id or is_departement_orientation_officer(user)


# Explicit shares -------------------------------------------------------------------------------------
@transaction.atomic
def share_file(*, beneficiary, by, reason, ends_on, user=None, organisation=None):
    from .models import FileShare

    share = FileShare.objects.create(
        beneficiary=beneficiary,
        user=user,
        organisation=organisation,
        reason=reason,
        ends_on=ends_on,
        created_by=by,
    )
    assign_perm(VIEW_PERMISSION, user or organisation.group, beneficiary)
    return share


def _holder_still_shared(share):
    from .models import FileShare

    others = FileShare.objects.filter(
        beneficiary_id=share.beneficiary_id, revoked_at__isnull=True, ends_on__gte=timezone.localdate()
    ).exclude(pk=share.pk)
    if share.user_id:
        return others.filter(user_id=share.user_id).exists()
    return others.filter(organisation_id=share.organisation_id).exists()


@transaction.atomic
def revoke_share(share):
    share.revoked_at = share.revoked_at or timezone.now()
    share.save(update_fields=["revoked_at"])
    if not _holder_still_shared(share):
        remove_perm(VIEW_PERMISSION, share.user or share.organisation.group, share.beneficiary)


def revoke_expired_shares(today=None):
    """Withdraws the grants of shares past their end date. Returns how many were revoked."""
    from .models import FileShare

    today = today or timezone.localdate()
    expired = FileShare.objects.filter(revoked_at__isnull=True, ends_on__lt=today).select_related(
        "beneficiary", "user", "organisation__group"
    )
    count = 0
    for share in expired:
        revoke_share(share)
        count += 1
    return count
