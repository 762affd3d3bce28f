"""Who may see which file: access derived from relations, never copied (SPEC §1).

`visible_beneficiaries()` (reached as `Beneficiary.objects.for_user(user)`) is the one path every view,
export and API endpoint uses. Each relation is one `Q` built from subqueries, so the number of queries does
not depend on the data. This module is the only one that talks to django-guardian, which records the
explicit shares that no relation covers.
"""

from django.db import transaction
from django.db.models import Q
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


def _file_ids(**filters):
    """Ids of the files matching `filters` on the Beneficiary model (a subquery, never evaluated here)."""
    from .models import Beneficiary

    return Beneficiary.objects.filter(**filters).values("id")


def _files_with_a_referent():
    from .models import ReferentAssignment

    return ReferentAssignment.objects.filter(ended_on__isnull=True).values("beneficiary_id")


def _sector_relation(user):
    """Orientation officers: the files of their organisation's sectors; the Département's officers also
    the unassigned queue."""
    organisation = user.organisation
    if organisation is None:
        return Q(pk__in=[])
    sector_ids = organisation.sectors.values("id")
    communes = SectorCommune.objects.filter(sector__in=sector_ids).values("commune_id")
    relation = Q(sector__in=sector_ids) | Q(commune__in=communes)
    if organisation.is_departement:
        relation |= Q(sector__isnull=True)
    return relation


def _lead_organisation_relation(user):
    """Orientation officers and managers of the lead organisation of the current orientation."""
    if user.organisation_id is None:
        return Q(pk__in=[])
    return Q(pk__in=_file_ids(orientations__ended_on__isnull=True, orientations__organisation_id=user.organisation_id))


def _referent_relation(user):
    """The files the user is the current referent of."""
    return Q(pk__in=_file_ids(referent_assignments__ended_on__isnull=True, referent_assignments__agent=user))


def _authored_relation(user):
    """Records the user wrote: the file itself, its interviews, diagnostics, contracts, exits."""
    return (
        Q(created_by=user)
        | Q(pk__in=_file_ids(interviews__created_by=user))
        | Q(pk__in=_file_ids(diagnostics__created_by=user))
        | Q(pk__in=_file_ids(contracts__created_by=user))
        | Q(pk__in=_file_ids(exits__created_by=user))
    )


def _followed_by(members):
    """Files whose current referent is one of `members` (a subquery of user ids), or that one of them
    created while no referent is designated yet."""
    return Q(pk__in=_file_ids(referent_assignments__ended_on__isnull=True, referent_assignments__agent__in=members)) | (
        Q(created_by__in=members) & ~Q(pk__in=_files_with_a_referent())
    )


def _team_relation(user):
    """Referents: the files of their team."""
    return _followed_by(teammates_of(user))


def _managed_teams_relation(user):
    """Managers: the files followed by the teams they manage."""
    return _followed_by(User.objects.filter(teams__manager=user).values("id"))


def _share_relation(user):
    """Explicit shares (django-guardian), with a user or with the user's organisation."""
    return Q(user_grants__user=user, user_grants__permission__codename="view_beneficiary") | Q(
        group_grants__group__in=user.groups.values("id"), group_grants__permission__codename="view_beneficiary"
    )


def relations_for(user):
    roles = user.role_codes
    relation = Q(pk__in=[])
    if Role.ORIENTATION_OFFICER in roles:
        relation |= _sector_relation(user) | _lead_organisation_relation(user) | _authored_relation(user)
    if Role.REFERENT in roles:
        relation |= _referent_relation(user) | _team_relation(user) | _authored_relation(user)
    if Role.MANAGER in roles:
        relation |= _managed_teams_relation(user) | _lead_organisation_relation(user) | _authored_relation(user)
    if Role.CAF_AGENT in roles:
        relation |= _authored_relation(user)
    return relation


def visible_beneficiaries(queryset, user):
    if not may_read_nominative_data(user):
        return queryset.none()
    shared_ids = queryset.model.objects.filter(_share_relation(user)).values("id")
    return queryset.filter(relations_for(user) | Q(pk__in=shared_ids))


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
