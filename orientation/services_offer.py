"""Writes of the directory and the insertion offer: prescribing a person to an action (an activity of the
contract's action plan), the operator's answer, attendance and outcome, and the expiry of unanswered
prescriptions. Keyword-only `<entity>_<verb>()`, atomic; a refusal is a ValidationError with a French
message keyed by the form field it concerns.

Places: an action row is locked (`select_for_update`) before its places are counted and a prescription is
added, so that two referents prescribing the last place at the same time end with one prescription and
one refusal (on PostgreSQL; SQLite serialises writers anyway).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accompaniment import services as accompaniment_services
from accompaniment.enums import ACTIVITY_TRANSITIONS, ActivityStatus
from accompaniment.models import ContractPeriod

from .enums import (
    PRESCRIPTION_ANSWER_DELAY,
    Attendance,
    PrescriptionOutcome,
    PrescriptionStatus,
    RefusalReason,
)
from .models_offer import InsertionAction, Prescription, ServiceCategory

# Outcomes that end the plan's activity as done; a dropped one ends it as abandoned.
DONE_OUTCOMES = (PrescriptionOutcome.COMPLETED, PrescriptionOutcome.EMPLOYMENT, PrescriptionOutcome.TRAINING)


# Directory ------------------------------------------------------------------------------------------------
@transaction.atomic
def service_save(*, service, by, categories, sectors):
    """Saves a service of the directory (built by its form) with its categories and sectors."""
    service.updated_by = by
    service.save()
    service.sectors.set(sectors)
    wanted = set(categories)
    existing = set(service.categories.values_list("category", flat=True))
    service.categories.exclude(category__in=wanted).delete()
    ServiceCategory.objects.bulk_create(ServiceCategory(service=service, category=c) for c in wanted - existing)
    return service


@transaction.atomic
def action_save(*, action, pathways, sectors):
    """Saves an insertion action (built by its form) with its eligible pathways and sectors."""
    from .models_offer import ActionPathway

    action.save()
    action.sectors.set(sectors)
    wanted = set(pathways)
    existing = set(action.pathways.values_list("pathway", flat=True))
    action.pathways.exclude(pathway__in=wanted).delete()
    ActionPathway.objects.bulk_create(ActionPathway(action=action, pathway=p) for p in wanted - existing)
    return action


# Prescription -----------------------------------------------------------------------------------------------
def plan_contract(beneficiary):
    """The contract whose action plan receives the prescription: the one in force, else the coming one."""
    contract = beneficiary.contracts.current_first().first()
    if contract is None or contract.period == ContractPeriod.ENDED:
        return None
    return contract


def prescription_errors(*, beneficiary, action, today):
    """Why `beneficiary` cannot be prescribed to `action` (places aside), as a list of French messages."""
    errors = []
    if not action.active:
        errors.append("Cette action n'est plus proposée.")
    if action.ends_on < today:
        errors.append(f"Cette action s'est terminée le {action.ends_on:%d/%m/%Y}.")
    orientation = beneficiary.current_orientation
    pathways = action.pathway_codes
    if orientation is None:
        errors.append("La personne n'a pas d'orientation en cours.")
    elif pathways and orientation.pathway not in pathways:
        errors.append(
            f"Cette action est réservée aux parcours {', '.join(action.pathway_labels).lower()} : "
            f"la personne est en parcours {orientation.get_pathway_display().lower()}."
        )
    sector_ids = {sector.pk for sector in action.sectors.all()}
    if sector_ids and beneficiary.sector_id not in sector_ids:
        errors.append("Cette action n'est pas ouverte aux personnes du secteur de ce dossier.")
    return errors


@transaction.atomic
def prescription_prescribe(*, beneficiary, action, by, comment="", now=None):
    """Prescribes `beneficiary` to `action`: a pending prescription that holds a place for
    PRESCRIPTION_ANSWER_DELAY, and a planned activity of the contract's action plan."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    action = InsertionAction.objects.select_for_update().get(pk=action.pk)  # places are counted under this lock
    errors = prescription_errors(beneficiary=beneficiary, action=action, today=today)
    if errors:
        raise ValidationError(errors)
    for pk in action.prescriptions.filter(beneficiary=beneficiary).overdue_for_answer(now).values_list("pk", flat=True):
        _expire(pk, now)
    if action.prescriptions.filter(
        beneficiary=beneficiary, status__in=[PrescriptionStatus.PENDING, PrescriptionStatus.ACCEPTED]
    ).exists():
        raise ValidationError("Cette personne est déjà prescrite sur cette action.")
    if action.places_left_now(now) <= 0:
        raise ValidationError(
            f"L'action « {action.title} » est complète : plus aucune place disponible. "
            "Choisissez une autre action ou attendez qu'une place se libère."
        )
    contract = plan_contract(beneficiary)
    if contract is None:
        raise ValidationError(
            "Aucun contrat d'engagement en cours : signez-le d'abord, la prescription devient une activité "
            "de son plan d'action."
        )
    starts_on = max(action.starts_on, contract.starts_on, today)
    ends_on = min(action.ends_on, contract.ends_on)
    if ends_on < starts_on:
        raise ValidationError(
            f"L'action (du {action.starts_on:%d/%m/%Y} au {action.ends_on:%d/%m/%Y}) ne se déroule pas pendant "
            f"le contrat (du {contract.starts_on:%d/%m/%Y} au {contract.ends_on:%d/%m/%Y})."
        )
    try:
        activity = accompaniment_services.activity_add(
            contract=contract,
            by=by,
            kind=action.activity_kind,
            title=action.title,
            starts_on=starts_on,
            ends_on=ends_on,
            weekly_planned_hours=action.weekly_hours,
            provider_organisation=action.operator,
        )
    except ValidationError as error:
        raise ValidationError(error.messages) from error
    return Prescription.objects.create(
        action=action,
        beneficiary=beneficiary,
        activity=activity,
        comment=comment.strip(),
        prescribed_by=by,
        prescribed_at=now,
        expires_at=now + PRESCRIPTION_ANSWER_DELAY,
    )


def _locked(prescription):
    return Prescription.objects.select_for_update().select_related("activity", "action").get(pk=prescription.pk)


def _move_activity(activity, status, *, by, today):
    """Follows the prescription on the plan's activity when the move is allowed today (the activity's
    own rules decide: e.g. it cannot be in progress before it starts); otherwise leaves it as it is."""
    if status == activity.status or status not in ACTIVITY_TRANSITIONS[activity.status]:
        return
    try:
        accompaniment_services.activity_change_status(activity=activity, status=status, on=today, by=by)
    except ValidationError:
        pass  # e.g. an activity that starts later: the referent moves it from the contract page


def _still_pending(prescription, now):
    if prescription.status != PrescriptionStatus.PENDING:
        raise ValidationError(f"Cette prescription a déjà une réponse ({prescription.get_status_display().lower()}).")
    if prescription.expires_at <= now:
        raise ValidationError(
            f"Cette prescription a expiré le {timezone.localtime(prescription.expires_at):%d/%m/%Y} sans réponse : "
            "sa place est libérée."
        )


@transaction.atomic
def prescription_accept(*, prescription, by, now=None):
    now = now or timezone.now()
    prescription = _locked(prescription)
    _still_pending(prescription, now)
    prescription.status = PrescriptionStatus.ACCEPTED
    prescription.answered_at = now
    prescription.answered_by = by
    prescription.save(update_fields=["status", "answered_at", "answered_by"])
    return prescription


@transaction.atomic
def prescription_refuse(*, prescription, by, reason, comment="", now=None):
    """Refuses with a reason (and a precision for "other"): the place is freed, the activity abandoned."""
    now = now or timezone.now()
    prescription = _locked(prescription)
    _still_pending(prescription, now)
    comment = comment.strip()
    if reason not in RefusalReason.values:
        raise ValidationError({"refusal_reason": "Choisissez le motif du refus."})
    if reason == RefusalReason.OTHER and not comment:
        raise ValidationError({"refusal_comment": "Précisez le motif du refus."})
    prescription.status = PrescriptionStatus.REFUSED
    prescription.refusal_reason = reason
    prescription.refusal_comment = comment
    prescription.answered_at = now
    prescription.answered_by = by
    prescription.save(update_fields=["status", "refusal_reason", "refusal_comment", "answered_at", "answered_by"])
    _move_activity(prescription.activity, ActivityStatus.ABANDONED, by=by, today=timezone.localdate(now))
    return prescription


@transaction.atomic
def prescription_follow_up(*, prescription, by, attendance, outcome="", comment="", now=None):
    """Records the attendance and, when known, the outcome of an accepted prescription; the plan's
    activity follows (in progress once attended, done or abandoned with the outcome)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    prescription = _locked(prescription)
    if prescription.status != PrescriptionStatus.ACCEPTED:
        raise ValidationError("L'assiduité et l'issue se saisissent sur une prescription acceptée.")
    if attendance not in Attendance.values:
        raise ValidationError({"attendance": "Choisissez l'assiduité."})
    if outcome and outcome not in PrescriptionOutcome.values:
        raise ValidationError({"outcome": "Choisissez une issue de la liste."})
    if outcome == PrescriptionOutcome.OTHER and not comment.strip():
        raise ValidationError({"outcome_comment": "Précisez l'issue."})
    prescription.attendance = attendance
    prescription.outcome = outcome
    prescription.outcome_comment = comment.strip()
    prescription.followed_up_at = now
    prescription.save(update_fields=["attendance", "outcome", "outcome_comment", "followed_up_at"])
    activity = prescription.activity
    if attendance in (Attendance.ATTENDED, Attendance.PARTIAL):
        _move_activity(activity, ActivityStatus.IN_PROGRESS, by=by, today=today)
    if outcome in DONE_OUTCOMES:
        _move_activity(activity, ActivityStatus.DONE, by=by, today=today)
    elif outcome == PrescriptionOutcome.DROPPED or (attendance == Attendance.ABSENT and outcome):
        _move_activity(activity, ActivityStatus.ABANDONED, by=by, today=today)
    return prescription


def prescriptions_expire(now=None):
    """Marks expired the prescriptions left without answer past their delay (their place was already free:
    places are counted from `expires_at`), and abandons their activity. Idempotent. Returns how many."""
    now = now or timezone.now()
    return sum(
        _expire(pk, now) for pk in list(Prescription.objects.overdue_for_answer(now).values_list("pk", flat=True))
    )


@transaction.atomic
def _expire(pk, now):
    prescription = Prescription.objects.select_for_update().select_related("activity").get(pk=pk)
    if prescription.status != PrescriptionStatus.PENDING or prescription.expires_at > now:
        return 0
    prescription.status = PrescriptionStatus.EXPIRED
    prescription.save(update_fields=["status"])
    by = prescription.prescribed_by
    _move_activity(prescription.activity, ActivityStatus.ABANDONED, by=by, today=timezone.localdate(now))
    return 1
