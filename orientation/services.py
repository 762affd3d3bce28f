"""Writes of the orientation app that span several models: keyword-only, atomic."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accompaniment.enums import Status
from accompaniment.models import ReferentAssignment
from accompaniment.permissions import sensitive_details_visible
from accompaniment.services import refuse_future_date
from partners.enums import OrganisationType

from .enums import SENSITIVE_CATEGORIES, BarrierCategoryCode, BarrierLevel, OrientationEndReason
from .models import Diagnostic, DiagnosticBarrier, Orientation

# The organisations that may lead an accompaniment (SPEC §2 step 4).
LEAD_ORGANISATION_TYPES = (
    OrganisationType.DEPARTEMENT,
    OrganisationType.FRANCE_TRAVAIL,
    OrganisationType.CCAS,
    OrganisationType.MISSION_LOCALE,
    OrganisationType.CAP_EMPLOI,
    OrganisationType.INSERTION_OPERATOR,
)


def tripartite_error(participants):
    """A tripartite diagnostic brings together the person, a France Travail counsellor and a Département
    insertion worker: the message saying who is missing among `participants`, or "" when none is."""
    types = {user.organisation.type for user in participants if user.organisation_id}
    missing = []
    if OrganisationType.FRANCE_TRAVAIL not in types:
        missing.append("un agent de France Travail")
    if OrganisationType.DEPARTEMENT not in types:
        missing.append("un agent du Département")
    if not missing:
        return ""
    return (
        "Un diagnostic tripartite réunit la personne, un conseiller France Travail et un agent d'insertion du "
        f"Département : ajoutez aux professionnels présents {' et '.join(missing)}."
    )


@transaction.atomic
def diagnostic_record(*, beneficiary, by, barriers, participants=(), **fields):
    """Records a diagnostic as one event. `barriers` maps a category code to a dict with `level`, `comment`
    and optional `situations`; categories left out are stored as "not addressed"."""
    refuse_future_date(fields["held_on"], "held_on", "La date du diagnostic")
    if fields.get("tripartite") and (error := tripartite_error(participants)):
        raise ValidationError({"participants": error})
    diagnostic = Diagnostic.objects.create(beneficiary=beneficiary, created_by=by, **fields)
    if participants:
        diagnostic.participants.set(participants)
    for category in BarrierCategoryCode.values:
        values = barriers.get(category, {})
        level = values.get("level") or BarrierLevel.NOT_ADDRESSED
        barrier = DiagnosticBarrier.objects.create(
            diagnostic=diagnostic, category=category, level=level, comment=values.get("comment", "")
        )
        situations = values.get("situations")
        if situations:
            barrier.situations.set(situations)
    return diagnostic


def details_visible(barrier, user):
    """The situations and comments of health and family barriers are readable only by social workers (who may
    see the file)."""
    return barrier.category not in SENSITIVE_CATEGORIES or sensitive_details_visible(user)


def _check_decision(beneficiary, decided_on, organisation, diagnostic=None):
    refuse_future_date(decided_on, "decided_on", "La date de décision")
    if beneficiary.status == Status.OUT_OF_SCOPE:
        raise ValidationError("Ce dossier est hors champ (droit clos ou non soumis aux droits et devoirs).")
    if organisation is None:
        raise ValidationError({"organisation": "Choisissez l'organisme référent."})
    if organisation.type not in LEAD_ORGANISATION_TYPES:
        raise ValidationError({"organisation": "Cet organisme ne peut pas être organisme référent."})
    if diagnostic is not None and diagnostic.beneficiary_id != beneficiary.pk:
        raise ValidationError({"diagnostic": "Ce diagnostic appartient à un autre dossier."})


@transaction.atomic
def orientation_decide(*, beneficiary, pathway, organisation, decided_on, by, reasoning="", diagnostic=None):
    """A first orientation (or a new one after an exit). A file with a current orientation is reoriented."""
    _check_decision(beneficiary, decided_on, organisation, diagnostic)
    if Orientation.objects.select_for_update().filter(beneficiary=beneficiary, ended_on__isnull=True).exists():
        raise ValidationError("Ce dossier a déjà une orientation en cours : utilisez la réorientation.")
    return Orientation.objects.create(
        beneficiary=beneficiary,
        pathway=pathway,
        organisation=organisation,
        decided_on=decided_on,
        decided_by=by,
        reasoning=reasoning,
        diagnostic=diagnostic,
    )


@transaction.atomic
def orientation_reorient(*, beneficiary, pathway, organisation, decided_on, by, reason, reasoning="", diagnostic=None):
    """Closes the current orientation with a reason and decides the new one; history is kept. When the lead
    organisation changes, the referent's assignment ends: the new organisation names its own."""
    _check_decision(beneficiary, decided_on, organisation, diagnostic)
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif de la réorientation."})
    current = Orientation.objects.select_for_update().filter(beneficiary=beneficiary, ended_on__isnull=True).first()
    if current is None:
        raise ValidationError("Ce dossier n'a pas d'orientation en cours à modifier.")
    if decided_on < current.decided_on:
        raise ValidationError({"decided_on": "La réorientation ne peut pas précéder l'orientation en cours."})
    current.close(on=decided_on, reason=OrientationEndReason.REORIENTATION, comment=reason)
    if organisation.pk != current.organisation_id:
        assignment = ReferentAssignment.objects.filter(beneficiary=beneficiary, ended_on__isnull=True).first()
        if assignment is not None:
            assignment.ended_on = max(decided_on, assignment.designated_on)
            assignment.end_reason = "Réorientation vers un autre organisme"
            assignment.save(update_fields=["ended_on", "end_reason"])
    return Orientation.objects.create(
        beneficiary=beneficiary,
        pathway=pathway,
        organisation=organisation,
        decided_on=decided_on,
        decided_by=by,
        reasoning=reasoning,
        diagnostic=diagnostic,
        previous=current,
    )


@transaction.atomic
def orientation_notify(*, orientation, notified_on, by):
    orientation.notify(on=notified_on, by=by)
    return orientation
