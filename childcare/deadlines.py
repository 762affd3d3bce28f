"""The childcare deadlines (SPEC §5): `childcare_24h` (an emergency request answered within 24 hours) and
`avip_review_6m` (a placement reviewed or ended 6 months after its start). The default rules become
`DeadlineRule` versions through childcare/migrations/0002_deadline_rules.py; from then on they are data.

Who is told: for a request, its requester, the childcare coordinators of its commune's sectors and — while
the request still waits for the CAF's eligibility check, which only they can make — the CAF agents whose
organisation covers the request's sector or commune (as `permissions.visible_requests` lets them see it); for
a placement, the coordinators of its provider's organisation and the file's current referent.
"""

from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accompaniment import deadline_engine as engine
from accompaniment.bulk_sql import DayStart
from accompaniment.enums import DelayUnit, WarningUnit
from partners.enums import Role

from .enums import RequestKind, RequestStatus
from .models import ChildcareRequest, Placement

REQUEST_PATH = "deadline__beneficiary__childcare_requests"
PLACEMENT_PATH = f"{REQUEST_PATH}__placements"
COORDINATORS_OF_COMMUNE = "deadline__beneficiary__commune__sector_memberships__sector__organisations__members"
CURRENT = "deadline__beneficiary__referent_assignments"
# The members of the organisations covering a request, as `permissions.visible_requests` reaches it: those of
# its sector, and those of a sector (a CAF territory, of another kind) holding its commune.
MEMBERS_COVERING_REQUEST = (
    f"{REQUEST_PATH}__sector__organisations__members",
    f"{REQUEST_PATH}__commune__sector_memberships__sector__organisations__members",
)


def request_recipients(alerts):
    requester = alerts.annotate(
        recipient_id=Subquery(
            ChildcareRequest.objects.filter(pk=OuterRef("deadline__subject_id")).values("requested_by_id")[:1]
        ),
        queue=engine.text(""),
    ).filter(recipient_id__isnull=False)
    # One filter() call: the coordinators are members of an organisation of the file's commune's sectors.
    coordinators = alerts.filter(
        **{f"{COORDINATORS_OF_COMMUNE}__role_assignments__role": Role.CHILDCARE_COORDINATOR}
    ).annotate(recipient_id=F(f"{COORDINATORS_OF_COMMUNE}__id"), queue=engine.text(""))
    return [requester, coordinators, *(_caf_agents(alerts, members) for members in MEMBERS_COVERING_REQUEST)]


def _caf_agents(alerts, members):
    """The CAF agents who must check the eligibility of a request still waiting for it (one filter() call: the
    request of the alert, its status and the agent are read on the same joined rows)."""
    return alerts.filter(
        **{
            f"{REQUEST_PATH}__pk": F("deadline__subject_id"),
            f"{REQUEST_PATH}__status": RequestStatus.SUBMITTED,
            f"{members}__role_assignments__role": Role.CAF_AGENT,
        }
    ).annotate(recipient_id=F(f"{members}__id"), queue=engine.text(""))


def placement_recipients(alerts):
    members = f"{PLACEMENT_PATH}__provider__organisation__members"
    coordinators = alerts.filter(
        **{
            f"{PLACEMENT_PATH}__pk": F("deadline__subject_id"),
            f"{members}__role_assignments__role": Role.CHILDCARE_COORDINATOR,
        }
    ).annotate(recipient_id=F(f"{members}__id"), queue=engine.text(""))
    referents = alerts.filter(**{f"{CURRENT}__ended_on__isnull": True, f"{CURRENT}__agent__isnull": False}).annotate(
        recipient_id=F(f"{CURRENT}__agent_id"), queue=engine.text("")
    )
    return [coordinators, referents]


REQUEST = engine.Subject(
    model="childcare.ChildcareRequest",
    label="demande de garde",
    sector="sector_id",
    beneficiary="beneficiary_id",
    watch={"childcare.ChildcareRequest": "pk"},
    recipients=request_recipients,
    alerts_page="childcare:worklist",
)
PLACEMENT = engine.Subject(
    model="childcare.Placement",
    label="accueil AVIP",
    sector="request__sector_id",
    beneficiary="request__beneficiary_id",
    watch={"childcare.Placement": "pk"},
    recipients=placement_recipients,
    alerts_page="childcare:worklist",
)


def _emergency_requested(requests):
    return requests.filter(kind=RequestKind.URGENCE).annotate(start=F("created_at"))


def _request_answered(deadline):
    answered = ChildcareRequest.objects.filter(pk=deadline.subject_id, answered_at__isnull=False)
    return engine.earliest(answered, F("answered_at"))


def _placement_started(placements):
    """Parent contracts (crèches, childminders): an emergency's home care lasts its days, with no review."""
    return placements.exclude(request__kind=RequestKind.URGENCE).annotate(start=F("starts_on"))


def _placement_reviewed(deadline):
    """Reviewed (renewed or ended at the review) or ended early: the earlier of both days."""
    placements = Placement.objects.filter(pk=deadline.subject_id).alias(closed_on=Coalesce("reviewed_on", "ended_on"))
    return engine.earliest(
        placements.filter(closed_on__isnull=False), engine.at_or_after_start(DayStart("closed_on"), deadline)
    )


EMERGENCY_REQUESTED = engine.Start(
    "emergency_requested", "Demande de garde urgente créée", REQUEST, _emergency_requested
)
REQUEST_ANSWERED = engine.Meeting(
    "request_answered", "La demande a reçu une réponse (accueil proposé ou refus motivé)", REQUEST, _request_answered
)
PLACEMENT_STARTED = engine.Start("placement_started", "Début de l'accueil AVIP", PLACEMENT, _placement_started)
PLACEMENT_REVIEWED = engine.Meeting(
    "placement_reviewed", "L'accueil a fait l'objet d'un bilan ou a pris fin", PLACEMENT, _placement_reviewed
)

RULES = (
    engine.RuleDefinition(
        code="childcare_24h",
        label="Réponse à une demande de garde urgente sous 24 heures",
        subject=REQUEST,
        start="emergency_requested",
        met_by="request_answered",
        delay=24,
        delay_unit=DelayUnit.HOURS,
        warning=6,
        warning_unit=WarningUnit.HOURS,
    ),
    engine.RuleDefinition(
        code="avip_review_6m",
        label="Bilan de l'accueil AVIP 6 mois après son début",
        subject=PLACEMENT,
        start="placement_started",
        met_by="placement_reviewed",
        delay=6,
        delay_unit=DelayUnit.MONTHS,
    ),
)

engine.register(
    REQUEST, PLACEMENT, EMERGENCY_REQUESTED, REQUEST_ANSWERED, PLACEMENT_STARTED, PLACEMENT_REVIEWED, *RULES
)
