"""The deadline engine (SPEC §5): rules as data, one deadline per subject and rule version, alerts before
the breach.

Each app declares in its own `deadlines.py` — discovered at start-up the way the admin discovers
`admin.py` — what can be followed and how it is read from its facts:

- a `Subject`: the model followed (a file, later a childcare request, a placement, a convention), where its
  sector and file are, which saved models concern it, who is told of its alerts;
- `Start`, `Meeting` and `Cancellation` events: how a clock starts, what meets it, what cancels it, each a
  small function over querysets (set-based: one statement for every subject at once);
- `RuleDefinition`s: the default rules (code, label, delay, warning…), which a data migration copies into
  `DeadlineRule` versions. From then on the rules are data: admins create new versions, never edit one.

For example, a later issue's `childcare/deadlines.py` would declare::

    from accompaniment import deadline_engine as engine

    REQUEST = engine.Subject(
        model="childcare.ChildcareRequest", label="demande de garde", sector="beneficiary__sector_id",
        beneficiary="beneficiary_id", watch={"childcare.ChildcareRequest": "pk"}, recipients=request_recipients,
    )
    engine.register(
        REQUEST,
        engine.Start("emergency_requested", "Demande urgente créée", REQUEST,
                     facts=lambda requests: requests.filter(kind="urgence").annotate(start=F("created_at"))),
        engine.Meeting("request_answered", "La demande a reçu une réponse", REQUEST,
                       at=lambda deadline: Subquery(...answered_at of deadline.subject_id...)),
        engine.RuleDefinition(code="childcare_24h", label="Réponse à une demande urgente sous 24 heures",
                              subject=REQUEST, start="emergency_requested", met_by="request_answered",
                              delay=24, delay_unit=DelayUnit.HOURS, warning=6, warning_unit=WarningUnit.HOURS),
    )

and a data migration would add its `DeadlineRule` version (see accompaniment/migrations/0010_deadlines_default_rules.py).

The engine then:

1. derives deadlines from the facts (`Run.sync`): new clocks are read with one query per start event, their
   times computed in Python (calendar months, end of day in Europe/Paris, hours across daylight-saving
   changes) with the rule version in force where and when the clock starts, and inserted in one statement;
   meeting and cancelling facts are applied with one UPDATE per event;
2. stores each deadline's state as of now (`Run.evaluate`: one UPDATE comparing stored times);
3. raises each alert at most once (`Run.raise_alerts`: INSERT … SELECT under a unique constraint) and
   writes its notifications (`Run.notify`: one INSERT … SELECT per kind of recipient).

The number of statements depends on the number of rules and events, never on the number of subjects.
`run_check()` does all of it under a row lock (the Celery tasks and `check_deadlines` call it);
`refresh()` does 1 and 2 for a few subjects right after a save (post_save → on_commit), so that a file
page is right at once; bulk writes (imports, seeds) are caught by the next check.
"""

import calendar
import contextlib
import contextvars
import datetime
import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Greatest
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from .bulk_sql import DayStart, insert_from_select, insert_rows
from .enums import (
    DEADLINE_RESTARTED,
    DEADLINE_RESTARTED_LABEL,
    OPEN_DEADLINE_STATES,
    AlertKind,
    DeadlineState,
    DelayUnit,
    WarningUnit,
)

logger = logging.getLogger(__name__)

LOCK_NAME = "check"
# After a bulk insert of at least this many rows, PostgreSQL's statistics of the table are refreshed within
# the run: the next statements join the new rows, and a planner that believes the table empty would choose
# nested loops over hundreds of thousands of rows (a first check of a whole Département, a large import).
ANALYZE_AFTER_ROWS = 10_000
NEW_DEADLINE_FIELDS = (
    "rule",
    "rule_code",
    "subject_type",
    "subject_id",
    "beneficiary",
    "source_id",
    "starts_at",
    "warns_at",
    "due_at",
    "cancel_reason",
    "state",
    "created_at",
)


# Calendar arithmetic (Python, never SQL) -------------------------------------------------------------------
def local_zone():
    return timezone.get_default_timezone()


def add_months(day, months):
    """Calendar months: 31 January + 1 month is the last day of February (28, or 29 in a leap year)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def day_start(day):
    """Midnight of `day` in Europe/Paris, timezone-aware."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=local_zone())


def day_end(day):
    """The last instant of `day` in Europe/Paris: a day-based rule is due at the end of its due day."""
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=local_zone())


def _plus_hours(moment, hours):
    """Elapsed hours, across daylight-saving changes (arithmetic in UTC, then back to local time)."""
    return (moment.astimezone(datetime.UTC) + datetime.timedelta(hours=hours)).astimezone(local_zone())


def _minus_days_on_the_clock(moment, days):
    """The same local time `days` calendar days earlier (the wall clock, not 24-hour periods)."""
    local = moment.astimezone(local_zone()).replace(tzinfo=None) - datetime.timedelta(days=days)
    return local.replace(tzinfo=local_zone())


@dataclass(frozen=True)
class ClockTimes:
    starts_at: datetime.datetime
    warns_at: datetime.datetime
    due_at: datetime.datetime

    def state_at(self, moment):
        """The state of a clock neither met nor cancelled (as `deadline_state_at` says in SQL)."""
        if self.due_at < moment:
            return DeadlineState.OVERDUE
        if self.warns_at <= moment:
            return DeadlineState.DUE_SOON
        return DeadlineState.PENDING


def clock_times(start, *, delay, unit, warning, warning_unit, due_on=None):
    """Start, warning and due times of a clock starting at `start` (a date, or an aware datetime for
    facts recorded to the minute). Day and month delays count calendar days from the start's local date and
    end at the end of the due day; hour delays count elapsed hours from the start's instant. `due_on` (a
    date set by the subject) replaces the delay: due at the end of that day."""
    if isinstance(start, datetime.datetime):
        starts_at = timezone.localtime(start, local_zone())
        start_day = starts_at.date()
    else:
        starts_at, start_day = day_start(start), start
    if due_on is not None:
        due_at = day_end(max(due_on, start_day))
    elif unit == DelayUnit.HOURS:
        due_at = _plus_hours(starts_at, delay)
    elif unit == DelayUnit.MONTHS:
        due_at = day_end(add_months(start_day, delay))
    elif unit == DelayUnit.DAYS:
        due_at = day_end(start_day + datetime.timedelta(days=delay))
    else:
        raise ValueError(f"Unité de délai inconnue : {unit}")
    if warning_unit == WarningUnit.HOURS:
        warns_at = _plus_hours(due_at, -warning)
    else:
        warns_at = _minus_days_on_the_clock(due_at, warning)
    return ClockTimes(starts_at=starts_at, warns_at=min(max(warns_at, starts_at), due_at), due_at=due_at)


# Declarations ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeadlineRef:
    """What an event's function may read of the deadline it is evaluated for (outer references)."""

    subject_id: object = field(default_factory=lambda: OuterRef("subject_id"))
    starts_at: object = field(default_factory=lambda: OuterRef("starts_at"))
    source_id: object = field(default_factory=lambda: OuterRef("source_id"))
    beneficiary_id: object = field(default_factory=lambda: OuterRef("beneficiary_id"))


@dataclass(frozen=True)
class Subject:
    """What deadlines can follow.

    `model`: "app_label.ModelName". `sector`: the lookup from the model to its primary sector's id (rule
    versions may be specific to a sector), or None. `beneficiary`: the lookup to the file it belongs to, or
    None. `watch`: {model label: attribute of that model holding the subject's id}; a save of one of them
    refreshes that subject's deadlines after commit. `recipients(alerts)`: given a queryset of
    `DeadlineAlert`s of this subject, querysets of those alerts annotated with `recipient_id` (a user id,
    or None) and `queue` (a NotificationQueue code, or ""), one notification per row. `alerts_page`: the URL
    name of the page where recipients who do not see the files (a childcare coordinator, a convention's
    owners) read these alerts, linked from their daily digest; "" when they are read in the alerts list.
    """

    model: str
    label: str
    sector: str | None
    beneficiary: str | None
    watch: Mapping[str, str]
    recipients: Callable
    alerts_page: str = ""

    @property
    def key(self):
        return self.model.lower()

    @property
    def model_class(self):
        return apps.get_model(self.model)


@dataclass(frozen=True)
class Start:
    """A clock's start. `facts(subjects)` receives the subject model's queryset and returns those whose
    clock runs now, annotated with `start` (a DateField or an aware DateTimeField), and optionally `source`
    (the id of the record that started it), `extended` (a boolean: the rule's extended delay applies) and
    `due` (a date the subject itself sets, e.g. a convention's end date: the clock is then due at the end of
    that day, and the rule's delay applies only where `due` is null)."""

    code: str
    label: str
    subject: Subject
    facts: Callable


@dataclass(frozen=True)
class Meeting:
    """What meets a deadline. `at(deadline)` receives a `DeadlineRef` and returns an expression giving
    the aware datetime the deadline was met (null while it is not): use `DayStart()` for date facts."""

    code: str
    label: str
    subject: Subject
    at: Callable


@dataclass(frozen=True)
class Cancellation:
    """What cancels a running deadline (the clock no longer applies). `at(deadline, now)` returns an
    expression giving when it was cancelled (null while it is not); `now` is the run's time, for facts that
    carry no date (e.g. "the right is closed")."""

    code: str
    label: str
    subject: Subject
    at: Callable


@dataclass(frozen=True)
class RuleDefinition:
    """A rule's defaults, as SPEC §5 gives them: the first version a data migration copies into the
    `DeadlineRule` table (from then on versions are data). `start`, `met_by`, `cancelled_by` are event codes."""

    code: str
    label: str
    subject: Subject
    start: str
    met_by: str
    delay: int
    delay_unit: str
    cancelled_by: tuple[str, ...] = ()
    extended_delay: int | None = None
    warning: int = 3
    warning_unit: str = WarningUnit.DAYS
    enabled: bool = True


class Registry:
    def __init__(self):
        self.subjects, self.starts, self.meetings, self.cancellations, self.rules = {}, {}, {}, {}, {}

    def add(self, declaration):
        kinds = {
            Subject: (self.subjects, "key"),
            Start: (self.starts, "code"),
            Meeting: (self.meetings, "code"),
            Cancellation: (self.cancellations, "code"),
            RuleDefinition: (self.rules, "code"),
        }
        table, attribute = kinds[type(declaration)]
        key = getattr(declaration, attribute)
        if table.get(key) not in (None, declaration):
            raise ValueError(f"Déclaration de délai en double : {key}")
        table[key] = declaration
        return declaration

    def events_of(self, subject_key):
        """{"start": [...], "met_by": [...], "cancelled_by": [...]} declared for a subject (admin choices)."""
        return {
            "start": [e for e in self.starts.values() if e.subject.key == subject_key],
            "met_by": [e for e in self.meetings.values() if e.subject.key == subject_key],
            "cancelled_by": [e for e in self.cancellations.values() if e.subject.key == subject_key],
        }


registry = Registry()


def register(*declarations):
    for declaration in declarations:
        registry.add(declaration)
    return declarations


_discovered = False


def autodiscover():
    """Imports `<app>.deadlines` of every installed app (called by AccompanimentConfig.ready())."""
    global _discovered
    if _discovered:
        return
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, "deadlines"):
            import_module(f"{app_config.name}.deadlines")
    _discovered = True
    connect_signals()


def cancel_reason_label(code):
    if not code:
        return ""
    if code == DEADLINE_RESTARTED:
        return DEADLINE_RESTARTED_LABEL
    cancellation = registry.cancellations.get(code)
    return cancellation.label if cancellation else code


def rule_labels():
    """{code: label} of the declared rules (the current label is a version's; this is the default)."""
    return {code: rule.label for code, rule in registry.rules.items()}


# Rule versions -----------------------------------------------------------------------------------------
class Versions:
    """Every version of every rule, loaded once per run (a small table), and the one in force where and
    when a clock starts: the latest version of the subject's sector effective on that day if there is one,
    else the latest version of the Département."""

    def __init__(self, rules=None):
        from .models import DeadlineRule

        rules = list(DeadlineRule.objects.all() if rules is None else rules)
        self.by_code = defaultdict(list)
        for rule in sorted(rules, key=lambda r: (r.effective_from, r.pk or 0)):
            self.by_code[rule.code].append(rule)

    def codes(self):
        return [code for code in self.by_code if code in registry.rules]

    def of(self, code):
        return self.by_code.get(code, [])

    def in_force(self, code, *, sector_id, on):
        sector_version = departement_version = None
        for version in self.by_code.get(code, ()):
            if version.effective_from > on:
                break
            if version.sector_id is None:
                departement_version = version
            elif version.sector_id == sector_id:
                sector_version = version
        return sector_version or departement_version


# The run -----------------------------------------------------------------------------------------------
class CheckAlreadyRunning(Exception):
    """Another check holds the lock: this run did nothing (the caller may retry later)."""


@dataclass
class Report:
    now: datetime.datetime
    hourly: bool = False
    created: Counter = field(default_factory=Counter)
    met: Counter = field(default_factory=Counter)
    cancelled: Counter = field(default_factory=Counter)
    alerts: Counter = field(default_factory=Counter)
    notifications: int = 0
    states: dict = field(default_factory=dict)  # rule code → {state: count}
    statements: int = 0
    seconds: float = 0.0
    timings: list = field(default_factory=list, repr=False)  # (seconds, statement's beginning)

    def as_dict(self):
        """Counts only (what a Celery result or the run's row may keep)."""
        return {
            "now": self.now.isoformat(),
            "hourly": self.hourly,
            "created": dict(self.created),
            "met": dict(self.met),
            "cancelled": dict(self.cancelled),
            "alerts": dict(self.alerts),
            "notifications": self.notifications,
            "states": self.states,
            "statements": self.statements,
            "seconds": round(self.seconds, 3),
        }


class _StatementCounter:
    """Counts (and times) the statements of a run without formatting them (some carry every new row)."""

    def __init__(self):
        self.count = 0
        self.timings = []

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.monotonic()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append((time.monotonic() - started, sql[:160]))


class Run:
    """One pass of the engine as of `now`, over every subject, or over `ids` of one subject kind."""

    def __init__(self, now, *, hourly=False, subject=None, ids=None, versions=None):
        from .models import Deadline, DeadlineAlert, Notification

        self.Deadline, self.DeadlineAlert, self.Notification = Deadline, DeadlineAlert, Notification
        self.now = now
        self.hourly = hourly
        self.subject_key = subject
        self.ids = None if ids is None else sorted(set(ids))
        self.versions = versions or Versions()
        self.report = Report(now=now, hourly=hourly)
        self.ref = DeadlineRef()
        self._times_cache = {}

    # Scope --------------------------------------------------------------------------------------------
    def codes(self):
        codes = self.versions.codes()
        if self.subject_key:
            codes = [code for code in codes if registry.rules[code].subject.key == self.subject_key]
        if self.hourly:
            codes = [code for code in codes if any(v.delay_unit == DelayUnit.HOURS for v in self.versions.of(code))]
        return codes

    def deadlines(self, codes=None):
        queryset = self.Deadline.objects.filter(rule_code__in=self.codes() if codes is None else codes)
        if self.subject_key:
            queryset = queryset.filter(subject_type=self.subject_key)
        if self.ids is not None:
            queryset = queryset.filter(subject_id__in=self.ids)
        return queryset

    def _subjects(self, subject):
        queryset = subject.model_class._default_manager.all()
        return queryset if self.ids is None else queryset.filter(pk__in=self.ids)

    # 1. Derive deadlines from the facts ----------------------------------------------------------------
    def sync(self):
        """Meetings and cancellations first (a fact dated before a restart still meets or cancels the clock it
        concerns), then new clocks, then meetings and cancellations of the clocks just started (a file
        imported with its whole journey starts and meets its clocks in the same run). The same statements
        whatever the data: none is skipped because it would change nothing."""
        codes = self.codes()
        self._apply_meetings(codes)
        self._apply_cancellations(codes)
        last_id = self.Deadline.objects.aggregate(last=Max("id"))["last"] or 0
        created = 0
        for code in codes:
            for start_code in sorted({version.start_event for version in self.versions.of(code)}):
                created += self._start_clocks(code, registry.starts[start_code])
        analyze_if_large(self.Deadline, created)
        self._apply_meetings(codes, created_after=last_id)
        self._apply_cancellations(codes, created_after=last_id)

    def _facts(self, start):
        subject = start.subject
        facts = start.facts(self._subjects(subject))
        start_field = facts.query.annotations["start"].output_field
        day_based = not isinstance(start_field, DateTimeField)
        go_live = settings.PARCOURS_GO_LIVE_DATE
        facts = facts.filter(start__gte=day_start(go_live) if not day_based else go_live)
        return facts.annotate(start_at=DayStart(F("start")) if day_based else F("start"))

    def _start_clocks(self, code, start):
        subject = start.subject
        facts = self._facts(start)
        running = self.Deadline.objects.open().filter(rule_code=code, subject_type=subject.key)
        if self.ids is not None:
            running = running.filter(subject_id__in=self.ids)

        # A different start (a new rights opening, a corrected flux date…) restarts the clock: the running
        # deadline is cancelled first (one running per rule and subject), at the later of both starts.
        moved = facts.filter(pk=OuterRef("subject_id")).exclude(start_at=OuterRef("starts_at"))
        restarted = running.filter(rule__start_event=start.code).filter(Exists(moved))
        count = restarted.update(
            cancelled_at=Greatest(Subquery(moved.order_by().values("start_at")[:1]), F("starts_at")),
            cancel_reason=DEADLINE_RESTARTED,
        )
        self.report.cancelled[DEADLINE_RESTARTED] += count

        existing = self.Deadline.objects.filter(
            rule_code=code, subject_type=subject.key, subject_id=OuterRef("pk"), starts_at=OuterRef("start_at")
        )
        annotations = facts.query.annotations
        rows = (
            facts.filter(~Exists(existing))
            .order_by()
            .values_list(
                "pk",
                "start",
                F(subject.sector) if subject.sector else no_id(),
                F(subject.beneficiary) if subject.beneficiary else no_id(),
                F("source") if "source" in annotations else no_id(),
                F("extended") if "extended" in annotations else Value(False, BooleanField()),
                F("due") if "due" in annotations else Value(None, DateField()),
            )
        )
        new_rows = []
        for subject_id, start_value, sector_id, file_id, source_id, extended, due_on in rows:
            start_day = start_value.date() if isinstance(start_value, datetime.datetime) else start_value
            version = self.versions.in_force(code, sector_id=sector_id, on=start_day)
            if version is None or not version.enabled or version.start_event != start.code:
                continue
            times = self._times(version, start_value, bool(extended), due_on)
            new_rows.append(
                (
                    version.pk,
                    code,
                    subject.key,
                    subject_id,
                    file_id,
                    source_id,
                    times.starts_at,
                    times.warns_at,
                    times.due_at,
                    "",
                    times.state_at(self.now),
                    self.now,
                )
            )
        insert_rows(self.Deadline, NEW_DEADLINE_FIELDS, new_rows)
        self.report.created[code] += len(new_rows)
        return len(new_rows)

    def _times(self, version, start_value, extended, due_on=None):
        """The clock's times: computed once per rule version and start (many files share a start day)."""
        key = (version.pk, start_value, extended, due_on)
        if key not in self._times_cache:
            delay = version.extended_delay if extended and version.extended_delay else version.delay
            self._times_cache[key] = clock_times(
                start_value,
                delay=delay,
                unit=version.delay_unit,
                warning=version.warning,
                warning_unit=version.warning_unit,
                due_on=due_on,
            )
        return self._times_cache[key]

    def _versions_using(self, codes, attribute):
        """{event code: [ids of the versions of `codes` using it]} for met_by or cancelled_by."""
        using = defaultdict(list)
        for code in codes:
            for version in self.versions.of(code):
                value = getattr(version, attribute)
                for event in value if isinstance(value, list | tuple) else [value]:
                    using[event].append(version.pk)
        return using

    def _running(self, codes, version_ids, created_after):
        running = self.deadlines(codes).open().filter(rule_id__in=version_ids)
        return running if created_after is None else running.filter(pk__gt=created_after)

    def _apply_meetings(self, codes, created_after=None):
        for event_code, version_ids in sorted(self._versions_using(codes, "met_by").items()):
            meeting = registry.meetings[event_code]
            matched = (
                self._running(codes, version_ids, created_after)
                .annotate(met=meeting.at(self.ref))
                .filter(met__isnull=False)
            )
            self.report.met[event_code] += matched.update(met_at=meeting.at(self.ref))

    def _apply_cancellations(self, codes, created_after=None):
        now = self.now
        for event_code, version_ids in sorted(self._versions_using(codes, "cancelled_by").items()):
            cancellation = registry.cancellations[event_code]
            matched = (
                self._running(codes, version_ids, created_after)
                .annotate(cancelled=cancellation.at(self.ref, now))
                .filter(cancelled__isnull=False)
            )
            self.report.cancelled[event_code] += matched.update(
                cancelled_at=cancellation.at(self.ref, now), cancel_reason=event_code
            )

    # 2. Store each state as of now ------------------------------------------------------------------
    def evaluate(self):
        from .models import deadline_state_at

        state = deadline_state_at(self.now)
        self.deadlines().filter(state__in=OPEN_DEADLINE_STATES).filter(~Q(state=state)).update(state=state)

    # 3. Alerts, each at most once, and their notifications --------------------------------------------
    def raise_alerts(self):
        if not self.codes():  # e.g. the hourly check while no rule counts in hours
            return
        Alert = self.DeadlineAlert
        for kind in AlertKind.values:
            already = Alert.objects.filter(deadline=OuterRef("pk"), kind=kind)
            candidates = self.deadlines().filter(state=kind).filter(~Exists(already))
            self.report.alerts[kind] += insert_from_select(
                Alert,
                candidates,
                {"deadline": F("pk"), "kind": Value(kind, CharField()), "created_at": now_value(self.now)},
            )

    def notify(self):
        """The notifications of the alerts raised by this run (same transaction: all or nothing)."""
        if not self.codes():
            return
        Alert, Notification = self.DeadlineAlert, self.Notification
        analyze_if_large(Alert, sum(self.report.alerts.values()))
        for subject in registry.subjects.values():
            alerts = Alert.objects.filter(
                created_at=self.now, deadline__subject_type=subject.key, deadline__rule_code__in=self.codes()
            )
            for recipients in subject.recipients(alerts):
                self.report.notifications += insert_from_select(
                    Notification,
                    recipients.distinct(),
                    {
                        "alert": F("pk"),
                        "recipient": F("recipient_id"),
                        "queue": F("queue"),
                        "created_at": now_value(self.now),
                    },
                )
        analyze_if_large(Notification, self.report.notifications)

    # Report ----------------------------------------------------------------------------------------
    def count_states(self):
        from django.db.models import Count

        states = defaultdict(dict)
        for code, state, count in (
            self.deadlines().values_list("rule_code", "state").annotate(n=Count("id")).order_by("rule_code", "state")
        ):
            states[code][state] = count
        self.report.states = {code: states.get(code, {}) for code in self.codes()}


def analyze_if_large(model, rows):
    if connection.vendor == "postgresql" and rows >= ANALYZE_AFTER_ROWS:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _lock():
    """The check's row lock: held until the transaction ends (or its connection dies, with the worker).
    On PostgreSQL a second run fails at once; SQLite's IMMEDIATE transactions serialise writers anyway."""
    from .models import DeadlineCheck

    DeadlineCheck.objects.get_or_create(name=LOCK_NAME)
    try:
        return DeadlineCheck.objects.select_for_update(nowait=True).get(name=LOCK_NAME)
    except DatabaseError as error:
        raise CheckAlreadyRunning("Une vérification des échéances est déjà en cours.") from error


_run_moment = contextvars.ContextVar("parcours_deadline_run_moment", default=None)


def run_moment():
    """The moment the running check or refresh is evaluated as of (`check_deadlines --now`), for the
    declarations whose facts depend on the date (a convention's current renewal period): `Start.facts` and
    `Meeting.at` receive no `now`, they read it here. Outside a run: now."""
    return _run_moment.get() or timezone.now()


@contextlib.contextmanager
def _as_of(now):
    token = _run_moment.set(now)
    try:
        yield
    finally:
        _run_moment.reset(token)


def run_check(*, now=None, hourly=False):
    """The periodic check, for every subject: derive, evaluate, alert, notify; in one transaction, under a
    lock, idempotent. `hourly` restricts it to the rules counted in hours. Returns a `Report`."""
    now = now or timezone.now()
    counter = _StatementCounter()
    started = time.monotonic()
    with _as_of(now), connection.execute_wrapper(counter), transaction.atomic():
        lock = _lock()
        run = Run(now, hourly=hourly)
        run.sync()
        run.evaluate()
        run.raise_alerts()
        run.notify()
        run.count_states()
        run.report.seconds = time.monotonic() - started
        run.report.statements = counter.count + 1  # and the update of the lock row below
        run.report.timings = counter.timings
        lock.last_started_at = timezone.now() - datetime.timedelta(seconds=run.report.seconds)
        lock.last_finished_at = timezone.now()
        lock.last_as_of = now
        lock.last_report = run.report.as_dict()
        lock.save()
    return run.report


def refresh(subject_key, ids, *, now=None):
    """Derives and evaluates the deadlines of a few subjects at once (after a save): no alert here, the
    periodic check raises them. A constant number of statements whatever the subjects' history."""
    now = now or timezone.now()
    with _as_of(now), transaction.atomic():
        run = Run(now, subject=subject_key, ids=ids)
        run.sync()
        run.evaluate()
    return run.report


# Refresh after commit -------------------------------------------------------------------------------
_paused = contextvars.ContextVar("parcours_deadline_refresh_paused", default=False)
_pending = threading.local()


@contextlib.contextmanager
def refresh_paused():
    """Bulk writers (imports, seeds) wrap their work in this: no refresh per saved record; the next check
    (or a `run_check()` at the end) derives everything with its set-based statements."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def _pending_set():
    if not hasattr(_pending, "keys"):
        _pending.keys = set()
    return _pending.keys


def schedule_refresh(subject_key, subject_id):
    """Refreshes a subject's deadlines once the current transaction commits (once per subject, however
    many of its records were saved)."""
    if _paused.get() or subject_id is None:
        return
    _pending_set().add((subject_key, subject_id))
    transaction.on_commit(flush_refreshes, robust=True)


def flush_refreshes():
    keys = _pending_set()
    if not keys:
        return
    by_subject = defaultdict(list)
    while keys:
        subject_key, subject_id = keys.pop()
        by_subject[subject_key].append(subject_id)
    for subject_key, ids in by_subject.items():
        refresh(subject_key, ids)


def _on_save(subject_key, attribute):
    def receiver(sender, instance, raw=False, **kwargs):
        if raw:  # loaddata
            return
        schedule_refresh(subject_key, getattr(instance, attribute))

    return receiver


_receivers = []


def connect_signals():
    for subject in registry.subjects.values():
        for model_label, attribute in subject.watch.items():
            receiver = _on_save(subject.key, attribute)
            _receivers.append(receiver)  # keep a strong reference
            post_save.connect(
                receiver,
                sender=apps.get_model(model_label),
                weak=False,
                dispatch_uid=f"deadline-refresh:{subject.key}:{model_label}",
            )


# Helpers for the apps' event functions -----------------------------------------------------------------
def earliest(queryset, at):
    """The earliest value of `at` over `queryset` (a correlated subquery), e.g. the first held interview."""
    return Subquery(queryset.annotate(moment=at).order_by("moment").values("moment")[:1], output_field=DateTimeField())


def at_or_after_start(expression, deadline):
    """The later of a fact's time and the deadline's start: a lasting fact that began before the clock
    (an orientation decided before the flux date) meets it at its start."""
    return Greatest(expression, deadline.starts_at)


def now_value(now):
    return Value(now, DateTimeField())


def text(value):
    return Value(value, CharField())


def no_id():
    """A typed NULL (PostgreSQL types a bare NULL of a sub-select as text)."""
    return Cast(Value(None), BigIntegerField())


def purge_deadlines():
    """Deletes every deadline, alert, notification and digest record (demo resets and benchmarks only), in
    one statement per table, children first."""
    from .models import Deadline, DeadlineAlert, DeadlineCheck, DeadlineDigest, Notification

    for model in (Notification, DeadlineAlert, DeadlineDigest, Deadline, DeadlineCheck):
        model.objects.all()._raw_delete(connection.alias)
