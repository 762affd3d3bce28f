"""The deadline of a convention (SPEC §5, rule `convention_renewal`): the clock starts at the start of its term
and is due at its end, with an alert 90 days before; it is met when the convention is renewed (a signed
convention renews it) or closed (terminated). The alerts go to the convention's owners. By renewal mode (see
`Convention`):

- explicit: one clock, due at `valid_to`; overdue if the convention ends neither renewed nor terminated;
- tacit: one clock per term — the first term, then each renewal period (`Convention.term_on`). When a period
  begins, the engine restarts the clock on the new start date: the ended period's deadline is cancelled
  ("délai relancé"), never overdue, and the new one alerts the owners 90 days before the period's end, so that
  they can denounce the convention. A termination or a signed renewal meets the running clock, and no period
  starts after them;
- none: one clock, due at `valid_to`, whose alert tells the owners that it ends; it is met once the
  convention has ended as planned (on its last day), unless a termination or a renewal met it before.

This is the only module of `partners` that imports another app: the deadline engine discovers it at start-up.
A convention in force when Parcours goes live starts its clock on the go-live date (its renewal still has to
be prepared); a convention that ended before then has none.

Which tacit period is current, and whether a convention without renewal has ended, are read as of the day of
the run (`engine.run_moment()`: today, or the date given to `check_deadlines --now`).
"""

from django.conf import settings
from django.db.models import DateField, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import post_save
from django.utils import timezone

from accompaniment import deadline_engine as engine
from accompaniment.bulk_sql import DayStart
from accompaniment.enums import DelayUnit

from .enums import CONVENTION_RENEWAL_WARNING_DAYS, MAX_CONVENTION_OWNERS, RenewalMode
from .models import Convention, ConventionOwner


def convention_recipients(alerts):
    """The convention's owners (at most MAX_CONVENTION_OWNERS): one queryset per owner rank, so that the
    number of statements stays constant whatever the number of conventions."""
    querysets = []
    for rank in range(MAX_CONVENTION_OWNERS):
        owners = ConventionOwner.objects.filter(convention_id=OuterRef("deadline__subject_id")).order_by("id")
        querysets.append(
            alerts.annotate(
                recipient_id=Subquery(owners.values("user_id")[rank : rank + 1]), queue=engine.text("")
            ).filter(recipient_id__isnull=False)
        )
    return querysets


CONVENTION = engine.Subject(
    model="partners.Convention",
    label="convention",
    sector=None,
    beneficiary=None,
    watch={"partners.Convention": "pk"},
    recipients=convention_recipients,
    alerts_page="partners:convention_list",
)


def _today():
    """The day the running check is evaluated as of (today outside a run)."""
    return timezone.localdate(engine.run_moment())


def _signed_with_end(conventions):
    """Signed conventions with an end date, with the term in force today: its first term, or its current
    period of tacit renewal (whose bounds are computed in Python, in calendar months)."""
    go_live = settings.PARCOURS_GO_LIVE_DATE
    return (
        conventions.filter(signed_on__isnull=False, valid_to__isnull=False)
        .with_current_term(_today())
        .filter(term_ends_on__gte=go_live)
        .annotate(start=Greatest(F("term_starts_on"), Value(go_live, DateField())), due=F("term_ends_on"))
        .order_by()
    )


def _renewed_or_closed(deadline):
    """The signature of a convention renewing it, else its termination, else — for a convention without
    renewal — its last day, once it has passed."""
    renewal = Convention.objects.filter(renews_id=deadline.subject_id, signed_on__isnull=False)
    renewed = engine.earliest(renewal, engine.at_or_after_start(DayStart("signed_on"), deadline))
    closed = Convention.objects.filter(pk=deadline.subject_id, terminated_on__isnull=False)
    terminated = engine.earliest(closed, engine.at_or_after_start(DayStart("terminated_on"), deadline))
    ended = Convention.objects.filter(pk=deadline.subject_id, renewal=RenewalMode.NONE, valid_to__lt=_today())
    ended_as_planned = engine.earliest(ended, engine.at_or_after_start(DayStart("valid_to"), deadline))
    return Coalesce(renewed, terminated, ended_as_planned)


CONVENTION_IN_FORCE = engine.Start(
    "convention_in_force",
    "Le début de validité de la convention signée (ou de sa période de reconduction tacite)",
    CONVENTION,
    _signed_with_end,
)
CONVENTION_RENEWED = engine.Meeting(
    "convention_renewed_or_closed",
    "La convention est renouvelée ou résiliée (ou, sans renouvellement, arrivée à son terme)",
    CONVENTION,
    _renewed_or_closed,
)

RULES = (
    engine.RuleDefinition(
        code="convention_renewal",
        label="Renouvellement d'une convention avant sa date de fin",
        subject=CONVENTION,
        start="convention_in_force",
        met_by="convention_renewed_or_closed",
        # Due at the end of the convention's term (the start's `due`); the delay is not used for it.
        delay=1,
        delay_unit=DelayUnit.DAYS,
        warning=CONVENTION_RENEWAL_WARNING_DAYS,
    ),
)

engine.register(CONVENTION, CONVENTION_IN_FORCE, CONVENTION_RENEWED, *RULES)


def _refresh_renewed(sender, instance, raw=False, **kwargs):
    """A saved renewal (e.g. its signature) meets the clock of the convention it renews at once, not at the
    next check (`watch` follows one attribute per model: the convention's own id)."""
    if not raw and instance.renews_id:
        engine.schedule_refresh(CONVENTION.key, instance.renews_id)


post_save.connect(_refresh_renewed, sender=Convention, dispatch_uid="deadline-refresh:partners.convention:renews")
