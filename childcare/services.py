"""Writes of the childcare app: a request filed, its eligibility decided by the CAF, its answer (a placement
or a refusal), a placement's review and end. Eligibility and capacity rules live here, with French messages.

Capacity holds under concurrency: `placement_create` and a renewal at review (`placement_review`) lock the
provider's row (SELECT … FOR UPDATE) in the transaction that counts its running placements and inserts the new
one, so two coordinators placing into the last free place at the same moment end with one placement and one
clear refusal. On SQLite, whose writers are serialised by IMMEDIATE transactions, the lock is a no-op and the
count is right anyway.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accompaniment.enums import Status

from .enums import (
    MAX_CHILD_AGE_YEARS,
    MAX_CRECHE_AGE_YEARS,
    Outcome,
    ProviderKind,
    RequestKind,
    RequestStatus,
    ReviewDecision,
)
from .models import ChildcareRequest, Placement, Provider, age_in_months, default_contract_end


# Eligibility ------------------------------------------------------------------------------------------------
def parent_is_eligible(beneficiary):
    """A job seeker (known to France Travail) or a beneficiary in accompaniment (SPEC §3, Essonne)."""
    return bool(
        beneficiary.france_travail_id
        or beneficiary.france_travail_uid
        or beneficiary.status_code == Status.IN_ACCOMPANIMENT
    )


def check_child_age(*, birth_date, on, provider_kind):
    """Children under 10; under 3 in a crèche (their age on the first day of care)."""
    months = age_in_months(birth_date, on)
    if months < 0:
        raise ValidationError({"child_birth_date": "L'enfant doit être né au premier jour de la garde."})
    if months >= MAX_CHILD_AGE_YEARS * 12:
        raise ValidationError(
            {
                "child_birth_date": "La garde AVIP est réservée aux enfants de moins de 10 ans au premier jour de la garde."
            }
        )
    if provider_kind == ProviderKind.CRECHE and months >= MAX_CRECHE_AGE_YEARS * 12:
        raise ValidationError(
            {
                "provider_kind": "Une crèche accueille les enfants de moins de 3 ans : choisissez un(e) assistant(e) maternel(le)."
            }
        )


def check_request(*, kind, provider_kind, starts_on, ends_on, child_birth_date):
    if kind == RequestKind.URGENCE and provider_kind != ProviderKind.HOME_HELP:
        raise ValidationError(
            {
                "provider_kind": "Une demande urgente est une garde à domicile par un service d'aide à domicile, "
                "pas un accueil en crèche ni chez un(e) assistant(e) maternel(le)."
            }
        )
    if kind != RequestKind.URGENCE and provider_kind == ProviderKind.HOME_HELP:
        raise ValidationError(
            {"provider_kind": "La garde à domicile par un service d'aide à domicile est réservée aux urgences."}
        )
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "La fin de la garde doit suivre son début."})
    check_child_age(birth_date=child_birth_date, on=starts_on, provider_kind=provider_kind)


@transaction.atomic
def request_file(
    *,
    beneficiary,
    by,
    kind,
    provider_kind,
    purpose,
    starts_on,
    ends_on=None,
    hours,
    constraints="",
    child_member=None,
    child_first_name="",
    child_birth_date=None,
):
    """Files a request for a child of the household (`child_member`) or a child added here (first name and
    birth date). An emergency's end defaults to its first day; other requests last a parent contract."""
    if child_member is not None:
        if child_member.household_id != beneficiary.household_id or beneficiary.household_id is None:
            raise ValidationError({"child_member": "Cet enfant n'est pas du foyer de ce dossier."})
        child_first_name, child_birth_date = child_member.first_name, child_member.birth_date
    if not child_first_name or child_birth_date is None:
        raise ValidationError(
            {"child_first_name": "Choisissez un enfant du foyer ou indiquez son prénom et sa date de naissance."}
        )
    if ends_on is None:
        ends_on = starts_on if kind == RequestKind.URGENCE else default_contract_end(starts_on)
    check_request(
        kind=kind, provider_kind=provider_kind, starts_on=starts_on, ends_on=ends_on, child_birth_date=child_birth_date
    )
    if not parent_is_eligible(beneficiary):
        raise ValidationError(
            "Le parent doit être demandeur d'emploi (inscrit à France Travail) ou accompagné dans son parcours : "
            "la garde AVIP n'est pas ouverte à ce dossier."
        )
    return ChildcareRequest.objects.create(
        beneficiary=beneficiary,
        child_member=child_member,
        child_first_name=child_first_name,
        child_birth_date=child_birth_date,
        kind=kind,
        provider_kind=provider_kind,
        purpose=purpose,
        starts_on=starts_on,
        ends_on=ends_on,
        hours=hours,
        constraints=constraints,
        sector_id=beneficiary.sector_id,
        commune_id=beneficiary.commune_id,
        requested_by=by,
    )


def _locked_request(request):
    return ChildcareRequest.objects.select_for_update().get(pk=request.pk)


@transaction.atomic
def eligibility_confirm(*, request, by):
    request = _locked_request(request)
    if request.status != RequestStatus.SUBMITTED:
        raise ValidationError("L'éligibilité de cette demande a déjà été examinée.")
    request.status = RequestStatus.ELIGIBLE
    request.eligibility_checked_by = by
    request.eligibility_checked_at = timezone.now()
    request.save()
    return request


@transaction.atomic
def eligibility_refuse(*, request, by, reason):
    """Not eligible, with a reason: that is the request's answer (an emergency is then answered)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif de non-éligibilité."})
    request = _locked_request(request)
    if request.status != RequestStatus.SUBMITTED:
        raise ValidationError("L'éligibilité de cette demande a déjà été examinée.")
    now = timezone.now()
    request.status = RequestStatus.INELIGIBLE
    request.eligibility_checked_by = by
    request.eligibility_checked_at = now
    request.eligibility_refusal_reason = reason
    request.answered_at, request.answered_by = now, by
    request.save()
    return request


@transaction.atomic
def request_decline(*, request, by, reason):
    """The coordinator's refusal, with a reason (no suitable place): the request's answer."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif du refus."})
    request = _locked_request(request)
    if not request.is_open:
        raise ValidationError("Cette demande a déjà reçu une réponse.")
    request.status = RequestStatus.DECLINED
    request.decline_reason = reason
    request.answered_at, request.answered_by = timezone.now(), by
    request.save()
    return request


# Placement ---------------------------------------------------------------------------------------------------
def check_provider_fits(*, provider, request, starts_on):
    """The provider may take this child on this day: label valid, kind and age range fit."""
    if request.is_emergency and provider.kind != ProviderKind.HOME_HELP:
        raise ValidationError(
            {
                "provider": "Une urgence se place auprès d'un service d'aide à domicile : pas en crèche ni chez un(e) assistant(e) maternel(le)."
            }
        )
    if not request.is_emergency and provider.kind == ProviderKind.HOME_HELP:
        raise ValidationError({"provider": "Un service d'aide à domicile ne prend que les urgences."})
    if not provider.active:
        raise ValidationError({"provider": f"{provider} n'accueille plus d'enfant AVIP (structure inactive)."})
    if not provider.label_valid_on(starts_on):
        if provider.label_ends_on and provider.label_ends_on < starts_on:
            text = f"Le label AVIP de {provider} a expiré le {provider.label_ends_on:%d/%m/%Y} : aucun nouvel accueil."
        else:
            text = f"Le label AVIP de {provider} n'est pas valide le {starts_on:%d/%m/%Y} : aucun nouvel accueil."
        raise ValidationError({"provider": text})
    months = age_in_months(request.child_birth_date, starts_on)
    if provider.kind == ProviderKind.CRECHE and months >= MAX_CRECHE_AGE_YEARS * 12:
        raise ValidationError(
            {
                "provider": f"Une crèche accueille les enfants de moins de 3 ans : {request.child_first_name} a "
                f"{months // 12} ans au {starts_on:%d/%m/%Y}."
            }
        )
    if not provider.min_age_months <= months <= provider.max_age_months:
        raise ValidationError(
            {
                "provider": f"L'enfant ({months} mois au {starts_on:%d/%m/%Y}) est hors de la tranche d'âge de "
                f"{provider} ({provider.age_range_label})."
            }
        )


def check_provider_serves(*, provider, request):
    """The provider takes children of the request's sector (one of its sectors is the request's, or holds its
    commune): a coordinator does not place a child of Aix in a crèche of Marseille."""
    serving = Provider.objects.filter(pk=provider.pk).serving(
        sector_id=request.sector_id, commune_id=request.commune_id
    )
    if not serving.exists():
        where = request.sector or request.commune
        raise ValidationError(
            {
                "provider": f"{provider} n'accueille pas les enfants "
                + (f"du secteur de cette demande ({where})." if where else "de ce secteur.")
            }
        )


def free_places(provider, starts_on, ends_on):
    return (
        provider.avip_places - Placement.objects.running_between(starts_on, ends_on).filter(provider=provider).count()
    )


def check_free_place(*, provider, starts_on, ends_on, otherwise):
    """At least one AVIP place free at the provider between the dates. Call it with the provider's row locked
    (`_locked_provider`), in the transaction that inserts the placement."""
    if free_places(provider, starts_on, ends_on) <= 0:
        raise ValidationError(
            {
                "provider": f"Plus aucune place AVIP libre chez {provider} du {starts_on:%d/%m/%Y} au "
                f"{ends_on:%d/%m/%Y} (la dernière vient peut-être d'être attribuée) : {otherwise}"
            }
        )


def _locked_provider(provider_id):
    """The provider's row, locked until the end of the transaction: whoever counts its running placements
    next waits for this transaction's placement (the capacity rule under concurrency)."""
    return Provider.objects.select_for_update().get(pk=provider_id)


@transaction.atomic
def placement_create(*, request, provider, by, starts_on=None, ends_on=None):
    """Places the request's child with the provider (the request's answer). Locks the provider's row, then
    counts its running placements: the last free AVIP place goes to one coordinator only."""
    starts_on = starts_on or request.starts_on
    if ends_on is None:
        ends_on = request.ends_on if request.is_emergency else default_contract_end(starts_on)
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "La fin de l'accueil doit suivre son début."})
    provider = _locked_provider(provider.pk)
    request = _locked_request(request)
    if request.status == RequestStatus.SUBMITTED:
        raise ValidationError("La CAF n'a pas encore confirmé l'éligibilité de cette demande.")
    if not request.is_open:
        raise ValidationError("Cette demande a déjà reçu une réponse.")
    check_provider_serves(provider=provider, request=request)
    check_provider_fits(provider=provider, request=request, starts_on=starts_on)
    check_free_place(
        provider=provider,
        starts_on=starts_on,
        ends_on=ends_on,
        otherwise="l'accueil n'est pas enregistré. Choisissez une autre structure ou gardez la demande en liste "
        "d'attente.",
    )
    placement = Placement.objects.create(
        request=request, provider=provider, starts_on=starts_on, ends_on=ends_on, created_by=by
    )
    request.status = RequestStatus.PLACED
    request.answered_at, request.answered_by = timezone.now(), by
    request.save()
    return placement


def _check_renewal(*, provider, request, starts_on, ends_on):
    """A renewal is a new parent contract: the checks of a new placement on its first day (label valid, the
    child's age — a crèche child may have turned 3 —, a free AVIP place), each refusal saying what to do."""
    try:
        check_provider_fits(provider=provider, request=request, starts_on=starts_on)
        check_free_place(
            provider=provider,
            starts_on=starts_on,
            ends_on=ends_on,
            otherwise="l'enfant ne peut pas y rester au-delà du contrat en cours.",
        )
    except ValidationError as error:
        raise ValidationError(
            {
                "decision": [
                    f"Renouvellement au {starts_on:%d/%m/%Y} impossible. {message} "
                    "Mettez fin à l'accueil avec la situation du parent ; une nouvelle demande permet de "
                    "chercher une autre structure."
                    for message in error.messages
                ]
            }
        ) from error


@transaction.atomic
def placement_review(*, placement, by, decision, reviewed_on, outcome=""):
    """The review at 6 months: renew (a new placement of 6 months follows this one, if the provider may still
    take the child then) or end with an outcome."""
    placement = Placement.objects.select_for_update().select_related("request").get(pk=placement.pk)
    if not placement.awaits_review:
        raise ValidationError("Cet accueil a déjà fait l'objet d'un bilan.")
    if reviewed_on < placement.starts_on:
        raise ValidationError({"reviewed_on": "Le bilan suit le début de l'accueil."})
    placement.reviewed_on = reviewed_on
    placement.review_decision = decision
    renewal = None
    if decision == ReviewDecision.RENEW:
        starts_on = placement.ends_on + datetime.timedelta(days=1)
        ends_on = default_contract_end(starts_on)
        provider = _locked_provider(placement.provider_id)
        _check_renewal(provider=provider, request=placement.request, starts_on=starts_on, ends_on=ends_on)
        placement.save()
        renewal = Placement.objects.create(
            request=placement.request,
            provider=provider,
            starts_on=starts_on,
            ends_on=ends_on,
            renewal_of=placement,
            created_by=by,
        )
        return placement, renewal
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Indiquez la situation du parent à la fin de l'accueil."})
    placement.ended_on = min(max(reviewed_on, placement.starts_on), placement.ends_on)
    placement.outcome = outcome
    placement.save()
    return placement, renewal


@transaction.atomic
def placement_end(*, placement, by, ended_on, outcome):
    """Ends a placement before or at its term, with the parent's situation (employment, training…)."""
    placement = Placement.objects.select_for_update().get(pk=placement.pk)
    if placement.ended_on:
        raise ValidationError("Cet accueil est déjà terminé.")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Indiquez la situation du parent à la fin de l'accueil."})
    if ended_on < placement.starts_on:
        raise ValidationError({"ended_on": "La fin de l'accueil suit son début."})
    placement.ended_on = ended_on
    placement.outcome = outcome
    placement.save()
    return placement
