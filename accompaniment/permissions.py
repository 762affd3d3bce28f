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

from partners.enums import Role
from partners.models import SectorCommune, User, teammates_of

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


def visible_beneficiaries(queryset, user):
    if not may_read_nominative_data(user):
        return queryset.none()
    relation = Q(pk__in=visible_ids(user))
    if Role.ORIENTATION_OFFICER in user.role_codes:
        relation |= _sector_relation(user)
    return queryset.filter(relation)


def sensitive_details_visible(user):
    """Sensitive parts of diagnostics (health, family): social workers only, on files they may see."""
    return bool(user.is_social_worker and may_read_nominative_data(user))


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
