"""The deadlines of a beneficiary's file (SPEC §5): the subject, its start, meeting and cancelling events, and
the default rules a data migration copies into `DeadlineRule` (effective from 1 January 2025).

Each event is one function over querysets, evaluated for every file at once by the engine
(accompaniment/deadline_engine.py). Facts owned by the orientation app (orientations, diagnostics) are read
through the file's reverse relations, as accompaniment.permissions does: accompaniment never imports
orientation (tests/accompaniment/test_deadline_rules.py checks the choice values below match its enums).
"""

from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Q, Subquery, When

from . import deadline_engine as engine
from .bulk_sql import DayStart
from .enums import (
    ACCOMPANIMENT_INTERVIEW_KINDS,
    DelayUnit,
    InterviewKind,
    InterviewStatus,
    NotificationQueue,
)
from .models import OUT_OF_SCOPE_RIGHTS_STATES, Beneficiary, Contract, Exit, Interview, ReferentAssignment

# Values of the orientation app's choices (orientation.enums), named here without importing the app.
REMOBILISATION = "remobilisation"  # Pathway.REMOBILISATION
REORIENTATION = "reorientation"  # OrientationEndReason.REORIENTATION
# SPEC §2 step 8: the joint review comes after 12 months rather than 6 with a health, housing or family
# vulnerability: a strong or medium barrier of those categories, not lifted, in the latest diagnostic.
VULNERABILITY_CATEGORIES = ("health", "housing", "family")  # BarrierCategoryCode
VULNERABILITY_LEVELS = ("strong", "medium")  # BarrierLevel


def _orientations():
    return Beneficiary._meta.get_field("orientations").related_model.objects


def _diagnostics():
    return Beneficiary._meta.get_field("diagnostics").related_model.objects


def _barriers():
    diagnostic = Beneficiary._meta.get_field("diagnostics").related_model
    return diagnostic._meta.get_field("barriers").related_model.objects


# Who is told: the referent and the manager of their teams; without a referent, the orientation queue of the
# file's territory (one shared row, read by the officers who see that file) -----------------------------------
CURRENT = "deadline__beneficiary__referent_assignments"


def file_recipients(alerts):
    has_referent = ReferentAssignment.objects.filter(beneficiary=OuterRef("deadline__beneficiary"), ended_on=None)
    referents = alerts.annotate(
        recipient_id=Subquery(has_referent.values("agent_id")[:1]), queue=engine.text("")
    ).filter(recipient_id__isnull=False)
    # One filter() call: the team is the current referent's (not a former referent's).
    managers = alerts.filter(
        **{f"{CURRENT}__ended_on__isnull": True, f"{CURRENT}__agent__teams__manager__isnull": False}
    ).annotate(recipient_id=F(f"{CURRENT}__agent__teams__manager_id"), queue=engine.text(""))
    queue = alerts.filter(~Exists(has_referent)).annotate(
        recipient_id=engine.no_id(), queue=engine.text(NotificationQueue.ORIENTATION)
    )
    return [referents, managers, queue]


FILE = engine.Subject(
    model="accompaniment.Beneficiary",
    label="dossier",
    sector="sector_id",
    beneficiary="pk",
    watch={
        "accompaniment.Beneficiary": "pk",
        "accompaniment.ReferentAssignment": "beneficiary_id",
        "accompaniment.Interview": "beneficiary_id",
        "accompaniment.Contract": "beneficiary_id",
        "accompaniment.Exit": "beneficiary_id",
        "orientation.Orientation": "beneficiary_id",
        "orientation.Diagnostic": "beneficiary_id",
    },
    recipients=file_recipients,
)


# Starts ----------------------------------------------------------------------------------------------
def _current_orientation(of="pk"):
    return _orientations().filter(beneficiary=OuterRef(of), ended_on__isnull=True)


def _flux_date(files):
    return files.in_scope().filter(flux_date__isnull=False).annotate(start=F("flux_date"))


def _rights_opened(files):
    return files.in_scope().filter(rights_opened_on__isnull=False).annotate(start=F("rights_opened_on"))


def _orientation_decided(files):
    current = _current_orientation()
    return (
        files.in_scope()
        .annotate(start=Subquery(current.values("decided_on")[:1]), source=Subquery(current.values("pk")[:1]))
        .filter(start__isnull=False)
    )


def _orientation_notified(files):
    current = _current_orientation().filter(notified_on__isnull=False)
    return (
        files.in_scope()
        .annotate(start=Subquery(current.values("notified_on")[:1]), source=Subquery(current.values("pk")[:1]))
        .filter(start__isnull=False)
    )


def _remobilisation_contract_signed(files):
    """The latest contract signed under the current `remobilisation` orientation (a new contract — a
    revision — restarts the clock); extended with a vulnerability in the latest diagnostic."""
    orientation = _current_orientation().filter(pathway=REMOBILISATION)
    of_the_contract = _current_orientation(of="beneficiary_id").filter(pathway=REMOBILISATION)
    contracts = Contract.objects.filter(
        beneficiary=OuterRef("pk"), signed_on__gte=Subquery(of_the_contract.values("decided_on")[:1])
    ).order_by("-signed_on", "-id")
    latest_diagnostic = _diagnostics().filter(beneficiary=OuterRef(OuterRef("pk"))).order_by("-held_on", "-id")
    vulnerability = _barriers().filter(
        diagnostic=Subquery(latest_diagnostic.values("pk")[:1]),
        category__in=VULNERABILITY_CATEGORIES,
        level__in=VULNERABILITY_LEVELS,
        lifted_on__isnull=True,
    )
    return (
        files.in_scope()
        .annotate(
            start=Subquery(contracts.values("signed_on")[:1]),
            source=Subquery(orientation.values("pk")[:1]),
            extended=Exists(vulnerability),
        )
        .filter(start__isnull=False, source__isnull=False)
    )


FLUX_DATE = engine.Start("flux_date", "La date du flux CAF/MSA (ou de création du dossier)", FILE, _flux_date)
RIGHTS_OPENED = engine.Start("rights_opened", "La date d'ouverture des droits", FILE, _rights_opened)
ORIENTATION_DECIDED = engine.Start("orientation_decided", "La décision d'orientation", FILE, _orientation_decided)
ORIENTATION_NOTIFIED = engine.Start(
    "orientation_notified", "La notification de l'orientation", FILE, _orientation_notified
)
REMOBILISATION_CONTRACT = engine.Start(
    "remobilisation_contract_signed",
    "La signature du contrat, en parcours de remobilisation (social)",
    FILE,
    _remobilisation_contract_signed,
)


# Meetings --------------------------------------------------------------------------------------------
def _lasting(records, began, ended, deadline):
    """A lasting fact (an orientation, a referent's assignment) meets a clock when it is current at or after
    the clock's start: met on the later of its beginning and the start."""
    alive = records.alias(ended_at=DayStart(ended)).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gte=deadline.starts_at)
    )
    return engine.earliest(alive, engine.at_or_after_start(DayStart(began), deadline))


def _held(kinds, deadline):
    """The first interview of these kinds held on or after the clock's start day."""
    interviews = (
        Interview.objects.filter(beneficiary_id=deadline.subject_id, status=InterviewStatus.HELD, kind__in=kinds)
        .alias(held_at=DayStart("held_on"))
        .filter(held_at__gte=deadline.starts_at)
    )
    return engine.earliest(interviews, F("held_at"))


def _orientation_decided_meets(deadline):
    return _lasting(_orientations().filter(beneficiary_id=deadline.subject_id), "decided_on", "ended_on", deadline)


def _referent_designated(deadline):
    assignments = ReferentAssignment.objects.filter(beneficiary_id=deadline.subject_id)
    return _lasting(assignments, "designated_on", "ended_on", deadline)


def _contract_signed(deadline):
    """A contract signed since the decision of the clock's orientation (the letter may follow the signature)."""
    contracts = Contract.objects.filter(
        beneficiary_id=deadline.subject_id,
        beneficiary__orientations__pk=deadline.source_id,
        signed_on__gte=F("beneficiary__orientations__decided_on"),
    )
    return engine.earliest(contracts, engine.at_or_after_start(DayStart("signed_on"), deadline))


ORIENTATION_DECISION = engine.Meeting(
    "orientation_decision", "Une orientation est décidée", FILE, _orientation_decided_meets
)
REFERENT_DESIGNATED = engine.Meeting("referent_designated", "Un référent est désigné", FILE, _referent_designated)
ACCOMPANIMENT_HELD = engine.Meeting(
    "accompaniment_interview_held",
    "Un entretien d'accompagnement est tenu",
    FILE,
    lambda deadline: _held(ACCOMPANIMENT_INTERVIEW_KINDS, deadline),
)
CAF_RIGHTS_HELD = engine.Meeting(
    "caf_rights_interview_held",
    "Un entretien d'accès aux droits CAF est tenu",
    FILE,
    lambda deadline: _held((InterviewKind.CAF_RIGHTS,), deadline),
)
CONTRACT_SIGNED = engine.Meeting("contract_signed", "Un contrat d'engagement est signé", FILE, _contract_signed)
REVIEW_HELD = engine.Meeting(
    "review_held", "Un bilan est tenu", FILE, lambda deadline: _held((InterviewKind.REVIEW,), deadline)
)


# Cancellations ----------------------------------------------------------------------------------------
def _out_of_scope(deadline, now):
    """The right is closed or refused, or the person is no longer subject to rights and duties (no date on
    the file: cancelled when the check sees it)."""
    out = Beneficiary.objects.filter(pk=deadline.subject_id).filter(
        Q(rights_and_duties=False) | Q(rights_state__in=OUT_OF_SCOPE_RIGHTS_STATES)
    )
    return Case(When(Exists(out), then=engine.now_value(now)), default=None, output_field=DateTimeField())


def _exit(deadline, now):
    exits = (
        Exit.objects.filter(beneficiary_id=deadline.subject_id)
        .alias(exited_at=DayStart("exited_on"))
        .filter(exited_at__gte=deadline.starts_at)
    )
    return engine.earliest(exits, F("exited_at"))


def _source_orientation_closed(deadline, *, reoriented):
    closed = _orientations().filter(pk=deadline.source_id, ended_on__isnull=False)
    closed = closed.filter(end_reason=REORIENTATION) if reoriented else closed.exclude(end_reason=REORIENTATION)
    return engine.earliest(closed, engine.at_or_after_start(DayStart("ended_on"), deadline))


OUT_OF_SCOPE = engine.Cancellation(
    "out_of_scope", "Droit clos ou personne plus soumise aux droits et devoirs", FILE, _out_of_scope
)
EXIT = engine.Cancellation("exit", "Sortie du dispositif (déménagement, fin de droits, emploi…)", FILE, _exit)
NEW_ORIENTATION = engine.Cancellation(
    "new_orientation",
    "Nouvelle orientation (le délai repart de la nouvelle décision)",
    FILE,
    lambda deadline, now: _source_orientation_closed(deadline, reoriented=True),
)
ORIENTATION_ENDED = engine.Cancellation(
    "orientation_ended",
    "Orientation close (sortie, fin de droits ou décision saisie par erreur)",
    FILE,
    lambda deadline, now: _source_orientation_closed(deadline, reoriented=False),
)


# The default rules (SPEC §5) ----------------------------------------------------------------------------
FILE_CANCELLATIONS = ("exit", "out_of_scope")
ORIENTATION_CANCELLATIONS = ("exit", "new_orientation", "orientation_ended", "out_of_scope")

RULES = (
    engine.RuleDefinition(
        code="orientation_6w",
        label="Orientation dans les 6 semaines suivant le flux",
        subject=FILE,
        start="flux_date",
        met_by="orientation_decision",
        cancelled_by=FILE_CANCELLATIONS,
        delay=42,
        delay_unit=DelayUnit.DAYS,
    ),
    engine.RuleDefinition(
        code="referent_1m",
        label="Référent désigné dans le mois suivant l'ouverture des droits",
        subject=FILE,
        start="rights_opened",
        met_by="referent_designated",
        cancelled_by=FILE_CANCELLATIONS,
        delay=1,
        delay_unit=DelayUnit.MONTHS,
    ),
    engine.RuleDefinition(
        code="entry_15d",
        label="Entrée en accompagnement dans les 15 jours suivant l'orientation",
        subject=FILE,
        start="orientation_decided",
        met_by="accompaniment_interview_held",
        cancelled_by=ORIENTATION_CANCELLATIONS,
        delay=15,
        delay_unit=DelayUnit.DAYS,
    ),
    engine.RuleDefinition(
        code="caf_rights_7d",
        label="Entretien d'accès aux droits CAF dans les 7 jours suivant l'ouverture des droits",
        subject=FILE,
        start="rights_opened",
        met_by="caf_rights_interview_held",
        cancelled_by=FILE_CANCELLATIONS,
        delay=7,
        delay_unit=DelayUnit.DAYS,
        enabled=False,
    ),
    engine.RuleDefinition(
        code="contract_1m",
        label="Contrat d'engagement signé dans le mois suivant la notification de l'orientation",
        subject=FILE,
        start="orientation_notified",
        met_by="contract_signed",
        cancelled_by=ORIENTATION_CANCELLATIONS,
        delay=1,
        delay_unit=DelayUnit.MONTHS,
    ),
    engine.RuleDefinition(
        code="social_review_6m",
        label="Bilan du parcours social 6 mois après le contrat (12 mois en cas de vulnérabilité)",
        subject=FILE,
        start="remobilisation_contract_signed",
        met_by="review_held",
        cancelled_by=ORIENTATION_CANCELLATIONS,
        delay=6,
        extended_delay=12,
        delay_unit=DelayUnit.MONTHS,
    ),
)

engine.register(
    FILE,
    FLUX_DATE,
    RIGHTS_OPENED,
    ORIENTATION_DECIDED,
    ORIENTATION_NOTIFIED,
    REMOBILISATION_CONTRACT,
    ORIENTATION_DECISION,
    REFERENT_DESIGNATED,
    ACCOMPANIMENT_HELD,
    CAF_RIGHTS_HELD,
    CONTRACT_SIGNED,
    REVIEW_HELD,
    OUT_OF_SCOPE,
    EXIT,
    NEW_ORIENTATION,
    ORIENTATION_ENDED,
    *RULES,
)
