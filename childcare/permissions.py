"""Who sees which childcare request, placement and provider (SPEC §1).

- Caseworkers (referents — Département insertion workers, France Travail counsellors —, managers,
  orientation officers) see the requests of the files they see: `Beneficiary.objects.for_user(user)`.
- CAF agents see the requests of their sectors waiting for an eligibility decision, and those they decided.
- Childcare coordinators see the requests of their sectors waiting for a place, the requests and placements
  of their organisation's providers, and those they answered.

CAF agents and coordinators never get the file itself: the request pages show them only what is needed to
check and to place (parent's name and contact, commune, child's first name and age, needs). A sector relation
matches the request's primary sector or its commune (so that an organisation scoped by sectors of another
kind — a CAF territory — reaches it), as `accompaniment.permissions` does for files.
"""

from django.db.models import Q

from accompaniment.models import Beneficiary
from accompaniment.permissions import may_read_nominative_data
from partners.enums import Role
from partners.models import Sector, SectorCommune

from .enums import RequestStatus

# Who files requests from a file they see (SPEC §1: referents request childcare; FT counsellors are referents).
REQUESTER_ROLES = (Role.REFERENT,)
CASEWORKER_ROLES = (Role.REFERENT, Role.MANAGER, Role.ORIENTATION_OFFICER)


def may_request(user):
    return user.has_role(*REQUESTER_ROLES)


def checks_eligibility(user):
    return user.has_role(Role.CAF_AGENT)


def coordinates(user):
    return user.has_role(Role.CHILDCARE_COORDINATOR)


def _sector_relation(user, prefix=""):
    organisation = user.organisation
    if organisation is None:
        return Q(pk__in=[])
    sector_ids = organisation.sectors.values("id")
    communes = SectorCommune.objects.filter(sector__in=sector_ids).values("commune_id")
    return Q(**{f"{prefix}sector__in": sector_ids}) | Q(**{f"{prefix}commune__in": communes})


def visible_requests(queryset, user):
    from .models import Provider

    if not may_read_nominative_data(user):
        return queryset.none()
    roles = user.role_codes
    relation = Q(pk__in=[])
    if roles & set(CASEWORKER_ROLES):
        relation |= Q(beneficiary__in=Beneficiary.objects.for_user(user).values("id"))
    if Role.CAF_AGENT in roles:
        relation |= (Q(status=RequestStatus.SUBMITTED) & _sector_relation(user)) | Q(eligibility_checked_by=user)
    if Role.CHILDCARE_COORDINATOR in roles:
        relation |= (Q(status=RequestStatus.ELIGIBLE) & _sector_relation(user)) | Q(answered_by=user)
        if user.organisation_id:
            # A crèche's "référent familles": the requests its providers may answer, and their placements.
            own = Provider.objects.filter(organisation_id=user.organisation_id)
            served = Sector.objects.filter(childcare_providers__in=own.values("id")).values("id")
            served_communes = SectorCommune.objects.filter(sector__in=served).values("commune_id")
            relation |= Q(status=RequestStatus.ELIGIBLE) & (Q(sector__in=served) | Q(commune__in=served_communes))
            relation |= Q(placements__provider__organisation_id=user.organisation_id)
    return queryset.filter(pk__in=queryset.model.objects.filter(relation).values("pk"))


def visible_placements(queryset, user):
    from .models import ChildcareRequest

    return queryset.filter(request__in=ChildcareRequest.objects.for_user(user).values("pk"))


def visible_providers(queryset, user):
    """Users who may read requests see the providers (a directory); `editable_providers` says who keeps them."""
    if not may_read_nominative_data(user):
        return queryset.none()
    return queryset


def editable_providers(queryset, user):
    """A coordinator keeps up to date (and places in) the providers of their organisation and those serving
    their sectors (a CAF coordinator's territories hold the communes of the providers' districts)."""
    if not coordinates(user) or user.organisation_id is None:
        return queryset.none()
    sector_ids = user.organisation.sectors.values("id")
    communes = SectorCommune.objects.filter(sector__in=sector_ids).values("commune_id")
    condition = (
        Q(organisation_id=user.organisation_id)
        | Q(sectors__in=sector_ids)
        | Q(sectors__memberships__commune__in=communes)
    )
    return queryset.filter(pk__in=queryset.model.objects.filter(condition).values("pk"))


def may_place_in(user, provider):
    """A coordinator places in the providers they keep (their organisation's, their sectors')."""
    from .models import Provider

    return editable_providers(Provider.objects.filter(pk=provider.pk), user).exists()
