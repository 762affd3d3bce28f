"""Writes about a file that span several models: keyword-only, atomic.

Audited models log their own creations and changes; the services add what no model save says (shares).
"""

import calendar
import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from audit.models import Action
from audit.services import record
from partners.enums import Role

from .enums import (
    ACCOMPANIMENT_INTERVIEW_KINDS,
    ACTIVITY_CLOSED_STATUSES,
    ACTIVITY_TRANSITIONS,
    DEFAULT_CONTRACT_MONTHS,
    DEFAULT_WEEKLY_HOURS,
    EXIT_REASONS_WITHOUT_EPISODE,
    MAX_ACTIVITY_WEEKLY_HOURS,
    MAX_HOURS_DONE_PER_WEEK,
    MAX_HOURS_STEPS,
    MAX_WEEKLY_HOURS,
    ActivityKind,
    ActivityStatus,
    ContractKind,
    FileOrigin,
    HoursReductionReason,
    InterviewKind,
    InterviewStatus,
)
from .models import (
    Activity,
    ActivityHours,
    ActivityStatusChange,
    Beneficiary,
    Contract,
    ContractHoursStep,
    Episode,
    Exit,
    Interview,
    ReferentAssignment,
    RightsStateChange,
    format_hours,
    monday_of,
)
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


# The journey: referent, interviews and episodes, contracts and activities, exits -----------------------------
def refuse_future_date(value, field, label):
    if value > timezone.localdate():
        raise ValidationError({field: f"{label} ne peut pas être dans le futur."})


def _current_orientation(beneficiary):
    """The current orientation, through the reverse relation the orientation app maintains."""
    return beneficiary.orientations.filter(ended_on__isnull=True).select_related("organisation").first()


@transaction.atomic
def referent_designate(*, beneficiary, agent, designated_on, by, reason=""):
    """The lead organisation names the single referent; a previous referent's assignment is closed."""
    orientation = _current_orientation(beneficiary)
    if orientation is None:
        raise ValidationError("Un référent ne peut être désigné qu'après une orientation.")
    if agent.organisation_id != orientation.organisation_id:
        raise ValidationError({"agent": "Le référent doit appartenir à l'organisme référent de l'orientation."})
    if not agent.is_active or not agent.has_role(Role.REFERENT):
        raise ValidationError({"agent": "Cette personne n'a pas le rôle de référent."})
    refuse_future_date(designated_on, "designated_on", "La date de désignation")
    if designated_on < orientation.decided_on:
        raise ValidationError({"designated_on": "La désignation ne peut pas précéder la décision d'orientation."})
    current = (
        ReferentAssignment.objects.select_for_update().filter(beneficiary=beneficiary, ended_on__isnull=True).first()
    )
    if current is not None:
        if current.agent_id == agent.pk:
            raise ValidationError({"agent": "Cette personne est déjà la référente du dossier."})
        if designated_on < current.designated_on:
            raise ValidationError({"designated_on": "La désignation ne peut pas précéder celle du référent actuel."})
        current.ended_on = designated_on
        current.end_reason = reason or "Changement de référent"
        current.save(update_fields=["ended_on", "end_reason"])
    return ReferentAssignment.objects.create(
        beneficiary=beneficiary,
        agent=agent,
        organisation_id=orientation.organisation_id,
        designated_on=designated_on,
        designated_by=by,
    )


def _end_referent(beneficiary, *, on, reason):
    current = ReferentAssignment.objects.filter(beneficiary=beneficiary, ended_on__isnull=True).first()
    if current is not None:
        current.ended_on = max(on, current.designated_on)
        current.end_reason = reason
        current.save(update_fields=["ended_on", "end_reason"])


def _touch_last_contact(beneficiary, held_on):
    if beneficiary.last_contact_on is None or held_on > beneficiary.last_contact_on:
        Beneficiary.objects.filter(pk=beneficiary.pk).update(last_contact_on=held_on)
        beneficiary.last_contact_on = held_on


def _maybe_open_episode(interview):
    """The first held accompaniment interview after the orientation opens an episode (SPEC §2 step 6)."""
    if not (interview.status == InterviewStatus.HELD and interview.is_accompaniment):
        return None
    orientation = _current_orientation(interview.beneficiary)
    if orientation is None or interview.held_on < orientation.decided_on:
        return None
    if Episode.objects.filter(beneficiary_id=interview.beneficiary_id, ended_on__isnull=True).exists():
        return None
    return Episode.objects.create(
        beneficiary_id=interview.beneficiary_id, started_on=interview.held_on, opening_interview=interview
    )


def _check_interview(*, status, held_on, scheduled_for, complementary_rights, kind):
    if status == InterviewStatus.HELD:
        if held_on is None:
            raise ValidationError({"held_on": "Indiquez la date à laquelle l'entretien s'est tenu."})
        refuse_future_date(held_on, "held_on", "La date de l'entretien tenu")
    elif held_on is not None:
        raise ValidationError({"held_on": "Seul un entretien tenu a une date de tenue."})
    if complementary_rights and kind != InterviewKind.CAF_RIGHTS:
        raise ValidationError(
            {"complementary_rights": "Les droits complémentaires se saisissent sur un entretien d'accès aux droits."}
        )


@transaction.atomic
def interview_record(*, beneficiary, by, participants=(), **fields):
    """Records an interview; a held one updates the last contact date and may open an episode."""
    _check_interview(
        status=fields.get("status", InterviewStatus.PLANNED),
        held_on=fields.get("held_on"),
        scheduled_for=fields.get("scheduled_for"),
        complementary_rights=fields.get("complementary_rights"),
        kind=fields.get("kind"),
    )
    interview = Interview.objects.create(beneficiary=beneficiary, created_by=by, **fields)
    if participants:
        interview.participants.set(participants)
    if interview.status == InterviewStatus.HELD:
        _touch_last_contact(beneficiary, interview.held_on)
        _maybe_open_episode(interview)
    return interview


def _check_opening_interview(episode, *, status, kind, held_on, beneficiary):
    """The interview that opened an episode stays a held accompaniment interview, and the episode starts
    on the day it was held: correcting that day moves the start, within the episode's limits."""
    if status != InterviewStatus.HELD:
        raise ValidationError({"status": "Cet entretien a ouvert l'accompagnement : il reste « tenu »."})
    if kind not in ACCOMPANIMENT_INTERVIEW_KINDS:
        raise ValidationError(
            {
                "kind": "Cet entretien a ouvert l'accompagnement : il reste un entretien d'accompagnement, de suivi ou un bilan."
            }
        )
    if held_on is None or held_on == episode.started_on:
        return
    if episode.ended_on is not None and held_on > episode.ended_on:
        raise ValidationError(
            {
                "held_on": f"L'accompagnement ouvert par cet entretien a pris fin le {episode.ended_on:%d/%m/%Y} : "
                "l'entretien ne peut pas s'être tenu après."
            }
        )
    orientation = _current_orientation(beneficiary) if episode.ended_on is None else None
    if orientation is not None and held_on < orientation.decided_on:
        raise ValidationError(
            {
                "held_on": "L'entretien qui a ouvert l'accompagnement ne peut pas précéder la décision d'orientation "
                f"({orientation.decided_on:%d/%m/%Y})."
            }
        )


@transaction.atomic
def interview_update(*, interview, by, participants=None, **fields):
    episode = Episode.objects.select_for_update().filter(opening_interview=interview).first()
    if episode is not None:
        _check_opening_interview(
            episode,
            status=fields.get("status", interview.status),
            kind=fields.get("kind", interview.kind),
            held_on=fields.get("held_on", interview.held_on),
            beneficiary=interview.beneficiary,
        )
    for name, value in fields.items():
        setattr(interview, name, value)
    _check_interview(
        status=interview.status,
        held_on=interview.held_on,
        scheduled_for=interview.scheduled_for,
        complementary_rights=interview.complementary_rights,
        kind=interview.kind,
    )
    interview.save()
    if episode is not None and episode.started_on != interview.held_on:
        episode.started_on = interview.held_on
        episode.save(update_fields=["started_on"])
    if participants is not None:
        interview.participants.set(participants)
    if interview.status == InterviewStatus.HELD:
        _touch_last_contact(interview.beneficiary, interview.held_on)
        _maybe_open_episode(interview)
    return interview


# Contracts, their progressive plan and their action plan --------------------------------------------------
def add_months(day, months):
    """Calendar-correct: one month after 31/01 is the last day of February."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def suggested_contract_end(starts_on):
    """A contract's end, when none is given: 6 calendar months after its start."""
    return add_months(starts_on, DEFAULT_CONTRACT_MONTHS)


def contract_hours_errors(weekly_hours, reduction_reason, reduction_comment=""):
    """What is wrong with a contract's weekly hours and their reduction, keyed by field: 15 h by default,
    20 h at most, a reason below 15 h (and none above), a precision for "other"."""
    errors = {}
    if weekly_hours > MAX_WEEKLY_HOURS:
        errors["weekly_hours"] = f"Au plus {MAX_WEEKLY_HOURS} heures par semaine."
    elif weekly_hours < 0:
        errors["weekly_hours"] = "Le nombre d'heures ne peut pas être négatif."
    elif weekly_hours < DEFAULT_WEEKLY_HOURS and not reduction_reason:
        errors["hours_reduction_reason"] = (
            f"En dessous de {DEFAULT_WEEKLY_HOURS} heures, indiquez le motif de réduction."
        )
    elif weekly_hours >= DEFAULT_WEEKLY_HOURS and reduction_reason:
        errors["hours_reduction_reason"] = (
            f"Un motif de réduction suppose moins de {DEFAULT_WEEKLY_HOURS} heures par semaine."
        )
    if reduction_reason == HoursReductionReason.OTHER and not reduction_comment.strip():
        errors["hours_reduction_comment"] = "Précisez le motif de réduction."
    elif reduction_comment.strip() and not reduction_reason:
        errors["hours_reduction_comment"] = "Une précision suppose un motif de réduction."
    return errors


def hours_steps_errors(*, starts_on, ends_on, weekly_hours, steps):
    """What is wrong with a progressive plan, as (index, part, message): `steps` are (date, hours) pairs in
    the order they were entered, `index` points into it and `part` is "starts_on" or "weekly_hours".

    Steps start during the contract, after its first day, on different days, and rise above the contract's
    hours and above each other, up to 20 hours at most."""
    errors = []
    if len(steps) > MAX_HOURS_STEPS:
        errors.append((MAX_HOURS_STEPS, "starts_on", f"Au plus {MAX_HOURS_STEPS} paliers."))
    previous, seen = weekly_hours, set()
    for index, (day, hours) in sorted(enumerate(steps), key=lambda item: item[1][0]):
        if day in seen:
            errors.append((index, "starts_on", "Deux paliers ne peuvent pas commencer le même jour."))
            continue
        seen.add(day)
        if starts_on and ends_on and not starts_on < day <= ends_on:
            errors.append(
                (
                    index,
                    "starts_on",
                    f"Un palier commence pendant le contrat, après son premier jour "
                    f"(du {starts_on:%d/%m/%Y} au {ends_on:%d/%m/%Y}).",
                )
            )
        if hours > MAX_WEEKLY_HOURS:
            errors.append((index, "weekly_hours", f"Un palier va jusqu'à {MAX_WEEKLY_HOURS} heures au plus."))
        elif hours <= previous:
            errors.append(
                (index, "weekly_hours", f"Les paliers montent progressivement : plus de {format_hours(previous)} h.")
            )
        previous = max(previous, hours)
    return errors


def _overlap_error(contract):
    earliest = contract.starts_on + datetime.timedelta(days=2)
    return (
        f"Un contrat court déjà du {contract.starts_on:%d/%m/%Y} au {contract.ends_on:%d/%m/%Y} : choisissez "
        f"des dates qui ne le chevauchent pas, ou un début à partir du {earliest:%d/%m/%Y} pour le remplacer."
    )


@transaction.atomic
def contract_sign(*, beneficiary, by, hours_steps=(), **fields):
    """Records a signed commitment contract; there is none without a current orientation.

    Without an end, the contract lasts 6 months. A contract signed while another runs replaces it: the
    previous one ends the day before the new one starts (listed in `contract.replaced`)."""
    orientation = _current_orientation(beneficiary)
    if orientation is None:
        raise ValidationError("Un contrat ne peut être signé qu'avec une orientation en cours.")
    kind = fields.setdefault("kind", ContractKind.CE)
    signed_on, starts_on = fields["signed_on"], fields["starts_on"]
    ends_on = fields["ends_on"] = fields.get("ends_on") or suggested_contract_end(starts_on)
    weekly_hours = fields.setdefault("weekly_hours", Decimal(DEFAULT_WEEKLY_HOURS))
    fields["hours_reduction_comment"] = fields.get("hours_reduction_comment", "").strip()
    steps = [(day, Decimal(hours)) for day, hours in hours_steps]

    errors = {}
    if signed_on > timezone.localdate():
        errors["signed_on"] = "La date de signature ne peut pas être dans le futur."
    elif signed_on < orientation.decided_on and kind == ContractKind.CE:
        errors["signed_on"] = (
            f"Le contrat ne peut pas être signé avant la décision d'orientation ({orientation.decided_on:%d/%m/%Y})."
        )
    if starts_on < signed_on:
        errors["starts_on"] = "Le contrat commence le jour de sa signature ou après."
    if ends_on <= starts_on:
        errors["ends_on"] = "La fin du contrat doit suivre son début."
    errors.update(
        contract_hours_errors(weekly_hours, fields.get("hours_reduction_reason", ""), fields["hours_reduction_comment"])
    )
    step_errors = hours_steps_errors(starts_on=starts_on, ends_on=ends_on, weekly_hours=weekly_hours, steps=steps)
    if step_errors:
        errors["hours_steps"] = [message for _index, _part, message in step_errors]
    replaced = []
    if "ends_on" not in errors:
        running = Contract.objects.select_for_update().filter(beneficiary=beneficiary).overlapping(starts_on, ends_on)
        for previous in running:
            if previous.starts_on + datetime.timedelta(days=1) < starts_on:
                replaced.append(previous)
            else:
                errors.setdefault("starts_on", _overlap_error(previous))
    if errors:
        raise ValidationError(errors)

    for previous in replaced:
        previous.ends_on = starts_on - datetime.timedelta(days=1)
        previous.save(update_fields=["ends_on"])
    contract = Contract.objects.create(beneficiary=beneficiary, created_by=by, **fields)
    ContractHoursStep.objects.bulk_create(
        ContractHoursStep(contract=contract, starts_on=day, weekly_hours=hours) for day, hours in sorted(steps)
    )
    contract.replaced = replaced
    return contract


def _activity_errors(
    contract, *, kind, title, starts_on, ends_on, weekly_planned_hours, provider, provider_organisation
):
    errors = {}
    if not title.strip():
        errors["title"] = "Indiquez l'intitulé de l'activité."
    if kind not in ActivityKind.values:
        errors["kind"] = "Choisissez un type d'activité de la liste."
    if ends_on < starts_on:
        errors["ends_on"] = "La fin de l'activité doit suivre son début."
    elif ends_on < contract.starts_on or starts_on > contract.ends_on:
        errors["starts_on"] = (
            "L'activité se déroule, au moins en partie, pendant le contrat "
            f"(du {contract.starts_on:%d/%m/%Y} au {contract.ends_on:%d/%m/%Y})."
        )
    if not 0 <= weekly_planned_hours <= MAX_ACTIVITY_WEEKLY_HOURS:
        errors["weekly_planned_hours"] = f"Les heures prévues vont de 0 à {MAX_ACTIVITY_WEEKLY_HOURS} par semaine."
    if provider.strip() and provider_organisation is not None:
        errors["provider"] = "Choisissez un partenaire ou saisissez un organisme, pas les deux."
    return errors


@transaction.atomic
def activity_add(
    *, contract, by, kind, title, starts_on, ends_on, weekly_planned_hours, provider="", provider_organisation=None
):
    """Adds an activity to the contract's action plan; it starts as planned."""
    fields = {
        "kind": kind,
        "title": title.strip(),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "weekly_planned_hours": Decimal(weekly_planned_hours),
        "provider": provider.strip(),
        "provider_organisation": provider_organisation,
    }
    errors = _activity_errors(contract, **fields)
    if errors:
        raise ValidationError(errors)
    return Activity.objects.create(contract=contract, created_by=by, status=ActivityStatus.PLANNED, **fields)


@transaction.atomic
def activity_update(
    *, activity, by, kind, title, starts_on, ends_on, weekly_planned_hours, provider="", provider_organisation=None
):
    """Edits an activity (not its status: see activity_change_status). Its dates keep covering the weeks
    whose hours are recorded."""
    activity = Activity.objects.select_for_update().select_related("contract").get(pk=activity.pk)
    fields = {
        "kind": kind,
        "title": title.strip(),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "weekly_planned_hours": Decimal(weekly_planned_hours),
        "provider": provider.strip(),
        "provider_organisation": provider_organisation,
    }
    errors = _activity_errors(activity.contract, **fields)
    recorded = activity.hours_done.aggregate(first=Min("week_of"), last=Max("week_of"))
    if recorded["first"] and recorded["first"] + datetime.timedelta(days=6) < starts_on:
        errors.setdefault(
            "starts_on",
            f"Des heures sont enregistrées la semaine du {recorded['first']:%d/%m/%Y} : l'activité la couvre.",
        )
    if recorded["last"] and recorded["last"] > ends_on:
        errors.setdefault(
            "ends_on", f"Des heures sont enregistrées la semaine du {recorded['last']:%d/%m/%Y} : l'activité la couvre."
        )
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(activity, name, value)
    activity.save()
    return activity


def _transition_error(activity, status):
    current = ActivityStatus(activity.status)
    if status == current:
        return f"L'activité est déjà « {current.label.lower()} »."
    if not ACTIVITY_TRANSITIONS[current]:
        return f"Une activité {current.label.lower()} ne change plus de statut."
    return f"Une activité « {current.label.lower()} » ne peut pas devenir « {ActivityStatus(status).label.lower()} »."


@transaction.atomic
def activity_change_status(*, activity, status, on, by):
    """Moves an activity to `status` on the date `on`, along ACTIVITY_TRANSITIONS, and keeps the change in
    its history. A done or abandoned activity's planned hours stop counting after that date."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if status not in ActivityStatus.values or status not in ACTIVITY_TRANSITIONS[activity.status]:
        raise ValidationError({"status": _transition_error(activity, status)})
    errors = {}
    last = activity.status_changes.order_by("-changed_on", "-id").first()
    if on > timezone.localdate():
        errors["changed_on"] = "La date du changement ne peut pas être dans le futur."
    elif last is not None and on < last.changed_on:
        errors["changed_on"] = (
            f"Le changement ne peut pas précéder le précédent ({last.get_status_display().lower()} le "
            f"{last.changed_on:%d/%m/%Y})."
        )
    elif status in (ActivityStatus.IN_PROGRESS, ActivityStatus.DONE) and on < activity.starts_on:
        errors["changed_on"] = f"L'activité commence le {activity.starts_on:%d/%m/%Y} : choisissez une date ultérieure."
    elif status in ACTIVITY_CLOSED_STATUSES:
        last_week = activity.hours_done.aggregate(last=Max("week_of"))["last"]
        if last_week and on < last_week:
            errors["changed_on"] = (
                f"Des heures sont enregistrées la semaine du {last_week:%d/%m/%Y} : choisissez une date ultérieure."
            )
    if errors:
        raise ValidationError(errors)
    activity.status = status
    activity.save(update_fields=["status"])
    ActivityStatusChange.objects.create(activity=activity, status=status, changed_on=on, changed_by=by)
    return activity


@transaction.atomic
def activity_record_hours(*, activity, week_of, hours, by):
    """Records the hours done on an activity for the week containing `week_of` (stored as its Monday);
    recording a week again replaces its hours. A planned activity is then in progress."""
    activity = Activity.objects.select_for_update().select_related("contract").get(pk=activity.pk)
    contract, monday = activity.contract, monday_of(week_of)
    sunday, today = monday + datetime.timedelta(days=6), timezone.localdate()
    hours = Decimal(hours)
    errors = {}
    if monday > today:
        errors["week_of"] = "Les heures réalisées ne peuvent pas concerner une semaine future."
    elif sunday < contract.starts_on or monday > contract.ends_on:
        errors["week_of"] = (
            f"La semaine du {monday:%d/%m/%Y} est en dehors du contrat "
            f"(du {contract.starts_on:%d/%m/%Y} au {contract.ends_on:%d/%m/%Y})."
        )
    elif sunday < activity.starts_on or monday > activity.effective_ends_on:
        end = activity.effective_ends_on
        if activity.is_closed and end < activity.ends_on:
            errors["week_of"] = f"L'activité est {activity.get_status_display().lower()} depuis le {end:%d/%m/%Y}."
        else:
            errors["week_of"] = (
                f"La semaine du {monday:%d/%m/%Y} est en dehors des dates de l'activité "
                f"(du {activity.starts_on:%d/%m/%Y} au {activity.ends_on:%d/%m/%Y})."
            )
    if not 0 <= hours <= MAX_HOURS_DONE_PER_WEEK:
        errors["hours"] = f"Les heures réalisées vont de 0 à {MAX_HOURS_DONE_PER_WEEK} par semaine."
    if errors:
        raise ValidationError(errors)
    record_, _ = ActivityHours.objects.update_or_create(
        activity=activity, week_of=monday, defaults={"hours": hours, "recorded_by": by}
    )
    if activity.status == ActivityStatus.PLANNED:
        activity.status = ActivityStatus.IN_PROGRESS
        activity.save(update_fields=["status"])
        ActivityStatusChange.objects.create(
            activity=activity,
            status=ActivityStatus.IN_PROGRESS,
            changed_on=min(max(monday, activity.starts_on), today),
            changed_by=by,
        )
    return record_


@transaction.atomic
def exit_record(*, beneficiary, exited_on, reason, by, comment=""):
    """The exit closes the open episode, the current orientation, the referent's assignment and the contract
    in force (it ends on the exit date).

    Positive exits and `autre_accompagnement` need an accompaniment episode; `demenagement`, `fin_droits`,
    `abandon` and `autre` can also close a file that never entered accompaniment.
    """
    refuse_future_date(exited_on, "exited_on", "La date de sortie")
    episode = Episode.objects.select_for_update().filter(beneficiary=beneficiary, ended_on__isnull=True).first()
    if episode is None and reason not in EXIT_REASONS_WITHOUT_EPISODE:
        raise ValidationError(
            {"reason": "Ce motif de sortie suppose un accompagnement en cours : le dossier n'est pas accompagné."}
        )
    if episode is not None:
        if exited_on < episode.started_on:
            raise ValidationError(
                {
                    "exited_on": f"La sortie ne peut pas précéder l'entrée en accompagnement ({episode.started_on:%d/%m/%Y})."
                }
            )
        episode.ended_on = exited_on
        episode.save(update_fields=["ended_on"])
    elif _current_orientation(beneficiary) is None:
        # Exited, and no newer orientation: the file is out until it is oriented again (SPEC §2, status).
        previous = beneficiary.exits.order_by("-exited_on", "-id").first()
        if previous is not None:
            raise ValidationError(
                f"Ce dossier est déjà sorti du dispositif le {previous.exited_on:%d/%m/%Y} "
                f"({previous.get_reason_display()}) : une nouvelle orientation précède une nouvelle sortie."
            )
    exit_ = Exit.objects.create(
        beneficiary=beneficiary, episode=episode, exited_on=exited_on, reason=reason, comment=comment, created_by=by
    )
    orientation = _current_orientation(beneficiary)
    if orientation is not None:
        orientation.close(on=max(exited_on, orientation.decided_on), reason="exit", comment=exit_.get_reason_display())
    _end_referent(beneficiary, on=exited_on, reason="Sortie du dispositif")
    # The commitment contract ends with the accompaniment: its weeks stop counting after the exit.
    for contract in Contract.objects.filter(beneficiary=beneficiary, starts_on__lt=exited_on, ends_on__gt=exited_on):
        contract.ends_on = exited_on
        contract.save(update_fields=["ends_on"])
    return exit_
