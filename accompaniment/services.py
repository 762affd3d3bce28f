"""Writes about a file that span several models: keyword-only, atomic.

Audited models log their own creations and changes; the services add what no model save says (shares).
"""

from django.db import transaction
from django.utils import timezone

from audit.models import Action
from audit.services import record

from .enums import FileOrigin
from .models import Beneficiary, RightsStateChange
from .permissions import revoke_share, share_file

MANUAL_SOURCE = "Saisie manuelle"


def _record_rights_state(beneficiary, *, on):
    RightsStateChange.objects.create(
        beneficiary=beneficiary, state=beneficiary.rights_state, effective_on=on, source=MANUAL_SOURCE
    )


@transaction.atomic
def beneficiary_create(*, by, nir="", **fields):
    """A file created by hand: its flux date is its creation date (SPEC §2), its sector follows its commune."""
    today = timezone.localdate()
    beneficiary = Beneficiary(**fields, created_by=by, origin=FileOrigin.MANUAL, flux_date=today)
    beneficiary.set_nir(nir)
    beneficiary.assign_sector_from_commune()
    beneficiary.save()
    if beneficiary.rights_state:
        _record_rights_state(beneficiary, on=today)
    return beneficiary


@transaction.atomic
def beneficiary_update(*, beneficiary, by, nir="", **fields):
    """Applies the form's fields to the stored file; an empty NIR keeps the one on record."""
    current = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    previous_commune_id, previous_state = current.commune_id, current.rights_state
    for name, value in fields.items():
        setattr(current, name, value)
    if nir:
        current.set_nir(nir)
    if current.commune_id != previous_commune_id:
        current.assign_sector_from_commune()
    current.save()
    if current.rights_state and current.rights_state != previous_state:
        _record_rights_state(current, on=timezone.localdate())
    return current


@transaction.atomic
def beneficiary_assign(*, beneficiary, by, commune=None, sector=None):
    """An orientation officer takes a file out of the unassigned queue: by its commune (the sector follows)
    or by setting its primary sector by hand."""
    current = Beneficiary.objects.select_for_update().get(pk=beneficiary.pk)
    if sector is not None:
        current.sector = sector
        current.sector_set_by_hand = True
        if commune is not None:
            current.commune = commune
    else:
        current.commune = commune
        current.sector_set_by_hand = False
        current.assign_sector_from_commune()
    current.save()
    return current


@transaction.atomic
def file_share(*, beneficiary, by, reason, ends_on, user=None, organisation=None):
    share = share_file(
        beneficiary=beneficiary, by=by, reason=reason, ends_on=ends_on, user=user, organisation=organisation
    )
    record(Action.SHARE, obj=beneficiary, user=by)
    return share


@transaction.atomic
def file_share_revoke(*, share, by):
    revoke_share(share)
    record(Action.UPDATE, obj=share, fields=["revoked_at"], user=by)
    return share
