"""Writes about a file that span several models: keyword-only, atomic.

Audited models log their own creations and changes; the services add what no model save says (shares).
"""

import datetime
import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from audit.models import Action
from audit.services import record
from partners.enums import Role

from . import exports
from .enums import (
    ACCOMPANIMENT_INTERVIEW_KINDS,
    DEFAULT_WEEKLY_HOURS,
    EXIT_REASONS_WITHOUT_EPISODE,
    MAX_WEEKLY_HOURS,
    ActivityStatus,
    ContractKind,
    ExportStatus,
    FileOrigin,
    InterviewKind,
    InterviewStatus,
)
from .filters import BeneficiaryFilter
from .models import (
    Activity,
    ActivityHours,
    Beneficiary,
    Contract,
    ContractHoursStep,
    Episode,
    Exit,
    Export,
    Interview,
    ReferentAssignment,
    RightsStateChange,
)
from .permissions import revoke_share, share_file

logger = logging.getLogger(__name__)

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


def _check_hours(weekly_hours, reduction_reason):
    if weekly_hours > MAX_WEEKLY_HOURS:
        raise ValidationError({"weekly_hours": f"Au plus {MAX_WEEKLY_HOURS} heures par semaine."})
    if weekly_hours < 0:
        raise ValidationError({"weekly_hours": "Le nombre d'heures ne peut pas être négatif."})
    if weekly_hours < DEFAULT_WEEKLY_HOURS and not reduction_reason:
        raise ValidationError(
            {"hours_reduction_reason": f"En dessous de {DEFAULT_WEEKLY_HOURS} heures, indiquez le motif de réduction."}
        )
    if weekly_hours >= DEFAULT_WEEKLY_HOURS and reduction_reason:
        raise ValidationError({"hours_reduction_reason": "Un motif de réduction suppose moins de 15 heures."})


@transaction.atomic
def contract_sign(*, beneficiary, by, hours_steps=(), **fields):
    """Records a signed commitment contract; there is none without a current orientation."""
    orientation = _current_orientation(beneficiary)
    if orientation is None:
        raise ValidationError("Un contrat ne peut être signé qu'avec une orientation en cours.")
    signed_on = fields["signed_on"]
    refuse_future_date(signed_on, "signed_on", "La date de signature")
    if signed_on < orientation.decided_on and fields.get("kind", ContractKind.CE) == ContractKind.CE:
        raise ValidationError({"signed_on": "Le contrat ne peut pas être signé avant la décision d'orientation."})
    if fields["ends_on"] <= fields["starts_on"]:
        raise ValidationError({"ends_on": "La fin du contrat doit suivre son début."})
    _check_hours(fields.get("weekly_hours", DEFAULT_WEEKLY_HOURS), fields.get("hours_reduction_reason", ""))
    contract = Contract.objects.create(beneficiary=beneficiary, created_by=by, **fields)
    previous = contract.weekly_hours
    for starts_on, hours in sorted(hours_steps):
        if not contract.starts_on < starts_on <= contract.ends_on:
            raise ValidationError({"hours_steps": "Chaque palier commence pendant le contrat, après son début."})
        if hours > MAX_WEEKLY_HOURS or hours < previous:
            raise ValidationError({"hours_steps": "Les paliers montent progressivement, jusqu'à 20 heures au plus."})
        ContractHoursStep.objects.create(contract=contract, starts_on=starts_on, weekly_hours=hours)
        previous = hours
    return contract


@transaction.atomic
def activity_add(*, contract, by, **fields):
    if fields["ends_on"] < fields["starts_on"]:
        raise ValidationError({"ends_on": "La fin de l'activité doit suivre son début."})
    return Activity.objects.create(contract=contract, created_by=by, **fields)


@transaction.atomic
def activity_record_hours(*, activity, week_of, hours, by):
    """Records the hours done on an activity for the week containing `week_of` (from Monday)."""
    monday = week_of - datetime.timedelta(days=week_of.weekday())
    if monday > timezone.localdate():
        raise ValidationError({"week_of": "Les heures réalisées ne peuvent pas concerner une semaine future."})
    if monday + datetime.timedelta(days=6) < activity.starts_on or monday > activity.ends_on:
        raise ValidationError({"week_of": "Cette semaine est en dehors des dates de l'activité."})
    if hours < 0 or hours > 60:
        raise ValidationError({"hours": "Les heures réalisées vont de 0 à 60 par semaine."})
    record_, _ = ActivityHours.objects.update_or_create(
        activity=activity, week_of=monday, defaults={"hours": hours, "recorded_by": by}
    )
    if activity.status == ActivityStatus.PLANNED:
        activity.status = ActivityStatus.IN_PROGRESS
        activity.save(update_fields=["status"])
    return record_


@transaction.atomic
def exit_record(*, beneficiary, exited_on, reason, by, comment=""):
    """The exit closes the open episode, the current orientation and the referent's assignment.

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
    return exit_


# Exports of the file list -------------------------------------------------------------------------------------
def export_query(params):
    """The list's filters and sort from a query string or QueryDict, without the page or anything unknown."""
    params = QueryDict(params) if isinstance(params, str) else params
    kept = QueryDict(mutable=True)
    for name in BeneficiaryFilter.base_filters:
        values = [value for value in params.getlist(name) if value]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()[:2000]


@transaction.atomic
def export_request(*, user, query, format):
    """Records an export of the list as `user` filtered it. Small ones are built at once; the others by a
    Celery task that receives the export's id only (never names). Returns the export."""
    query = export_query(query)
    export = Export.objects.create(
        user=user,
        format=format,
        query=query,
        expires_at=timezone.now() + datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS),
    )
    if exports.filtered_files(user, query).count() <= exports.SYNC_MAX_ROWS:
        export_build(export=export)
    else:
        from .tasks import build_export

        transaction.on_commit(lambda: build_export.delay(export.pk))
    return export


def export_build(*, export):
    """Builds the export's file in a temporary folder, then stores it in the private storage and marks the
    export ready: an export is either complete or not offered. Audited as an export of that many files."""
    if export.status != ExportStatus.PENDING:
        return export  # a redelivered task: already built (or expired)
    try:
        with tempfile.TemporaryDirectory(prefix="parcours-export-") as folder:
            path = Path(folder) / export.filename
            count = exports.write(export, path)
            with transaction.atomic(), open(path, "rb") as content:
                export.file.save(export.filename, File(content), save=False)
                export.row_count = count
                export.status = ExportStatus.READY
                export.finished_at = timezone.now()
                export.save(update_fields=["file", "row_count", "status", "finished_at"])
                record(Action.EXPORT, model=Beneficiary, count=count, user=export.user)
    except Exception:
        logger.exception("Export %s : échec de la construction", export.pk)
        export.status = ExportStatus.FAILED
        export.error = "L'export n'a pas pu être construit. Réessayez ou contactez l'administrateur."
        export.finished_at = timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
    return export


def exports_purge_expired(*, now=None):
    """Deletes the files of expired exports (SPEC §1: 7 days by default); the rows stay, marked expired."""
    count = 0
    for export in Export.objects.expired(now=now or timezone.now()):
        if export.file:
            export.file.delete(save=False)
        export.status = ExportStatus.EXPIRED
        export.save(update_fields=["file", "status"])
        count += 1
    return count
