"""The indicators of SPEC §7 for a period, a perimeter and an as-of date, as SQL aggregates.

`compute()` returns the raw figures (unmasked: never shown as such outside this package; `report.build()`
masks them). Each figure is one or two aggregate statements over the whole perimeter: the number of
statements depends on the sections (and the activity hours' on the number of weeks of the period), never on
the number of files (tests/reporting/test_indicators.py, `test_the_number_of_statements_…`).

Only facts dated on or before the as-of date count. The perimeter is the Département, a sector (the file's
primary sector), an organisation or a pathway (those of the orientation in force on the as-of date).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least

from accompaniment.enums import (
    ACTIVITY_CLOSED_STATUSES,
    DEFAULT_WEEKLY_HOURS,
    POSITIVE_EXIT_REASONS,
    ExitReason,
    InterviewKind,
    InterviewStatus,
)
from accompaniment.models import (
    Activity,
    ActivityHours,
    ActivityStatusChange,
    Beneficiary,
    Contract,
    Deadline,
    DeadlineRule,
    Episode,
    Exit,
    Interview,
)
from orientation.enums import Pathway
from orientation.models import Orientation

from .masking import Rate
from .periods import end_of_day, start_of_day

DAYS_PER_MONTH = 30.4375
TREND_QUARTERS = 4
# The four deadline rates SPEC §7 names, by rule code.
NAMED_DEADLINE_RATES = {
    "oriented_within_6_weeks_rate": "orientation_6w",
    "referent_within_1_month_rate": "referent_1m",
    "entry_within_15_days_rate": "entry_15d",
    "contract_within_1_month_rate": "contract_1m",
}


@dataclass(frozen=True)
class Perimeter:
    sector: object = None  # partners.Sector
    organisation: object = None  # partners.Organisation
    pathway: str = ""

    @property
    def is_departement(self):
        return self.sector is None and self.organisation is None and not self.pathway

    @property
    def label(self):
        parts = []
        if self.sector is not None:
            parts.append(self.sector.name)
        if self.organisation is not None:
            parts.append(self.organisation.name)
        if self.pathway:
            parts.append(f"parcours {Pathway(self.pathway).label.lower()}")
        return " — ".join(parts) or "Tout le Département"

    def as_json(self):
        return {
            "sector": self.sector.code if self.sector is not None else None,
            "organisation": self.organisation.code if self.organisation is not None else None,
            "pathway": self.pathway or None,
            "label": self.label,
        }

    def files(self, as_of):
        """The files of the perimeter (every file for the Département)."""
        files = Beneficiary.objects.all()
        if self.sector is not None:
            files = files.filter(sector=self.sector)
        if self.organisation is not None or self.pathway:
            in_force = Orientation.objects.filter(beneficiary=OuterRef("pk"), decided_on__lte=as_of).filter(
                Q(ended_on__isnull=True) | Q(ended_on__gt=as_of)
            )
            if self.organisation is not None:
                in_force = in_force.filter(organisation=self.organisation)
            if self.pathway:
                in_force = in_force.filter(pathway=self.pathway)
            files = files.filter(Exists(in_force))
        return files

    def restrict(self, queryset, as_of, field="beneficiary"):
        """`queryset` (rows with a file) narrowed to the perimeter; unchanged for the Département."""
        if self.is_departement:
            return queryset
        return queryset.filter(**{f"{field}__in": self.files(as_of).values("pk")})


@dataclass(frozen=True)
class Mean:
    """A mean, with the number of values it is made of (masked when that number is small)."""

    value: float | None
    count: int


@dataclass(frozen=True)
class Hours(Mean):
    """A number of hours (a total, not a count of people), with the number of files it is made of: masked, like a
    mean, when that number is small."""


def _range(period, as_of):
    """The days of the period that count: from its start to its end or the as-of date, whichever is first."""
    return period.start, min(period.end, as_of)


def files_figures(period, perimeter, as_of, *, caseload=True):
    start, end = _range(period, as_of)
    files = perimeter.files(as_of).filter(rights_and_duties=True)
    # Oriented since this opening of rights (a re-entrant's earlier orientation does not count).
    oriented = Orientation.objects.filter(
        beneficiary=OuterRef("pk"), decided_on__lte=as_of, decided_on__gte=OuterRef("rights_opened_on")
    )
    entrants = files.filter(rights_opened_on__gte=start, rights_opened_on__lte=end).aggregate(
        new_entrants=Count("pk"), oriented=Count("pk", filter=Q(Exists(oriented)))
    )
    figures = {
        "new_entrants": entrants["new_entrants"],
        "orientation_rate": Rate(entrants["oriented"], entrants["new_entrants"]),
    }
    if caseload:
        # Files whose rights opened by the end of the period with no exit recorded since that opening.
        exited_since_opening = Exit.objects.filter(
            beneficiary=OuterRef("pk"), exited_on__lte=end, exited_on__gte=OuterRef("rights_opened_on")
        )
        figures = {
            "caseload": files.filter(rights_opened_on__lte=end).exclude(Exists(exited_since_opening)).count(),
            **figures,
        }
    return figures


def funnel_figures(period, perimeter, as_of):
    """The new entrants of the period and how far each had gone by the as-of date."""
    start, end = _range(period, as_of)
    entrants = perimeter.files(as_of).filter(
        rights_and_duties=True, rights_opened_on__gte=start, rights_opened_on__lte=end
    )

    def reached(model, field):
        """A fact of `model` dated (by `field`) between this opening of rights and the as-of date."""
        facts = model.objects.filter(
            beneficiary=OuterRef("pk"), **{f"{field}__lte": as_of, f"{field}__gte": OuterRef("rights_opened_on")}
        )
        return Q(Exists(facts))

    referent = Beneficiary._meta.get_field("referent_assignments").related_model
    return entrants.aggregate(
        new_entrants=Count("pk"),
        oriented=Count("pk", filter=reached(Orientation, "decided_on")),
        referent=Count("pk", filter=reached(referent, "designated_on")),
        in_accompaniment=Count("pk", filter=reached(Episode, "started_on")),
        contract=Count("pk", filter=reached(Contract, "signed_on")),
        exited=Count("pk", filter=reached(Exit, "exited_on")),
    )


def enabled_rules():
    """(code, label) of the rules with an enabled version, in the order of their first version."""
    rules = {}
    for code, label, enabled in DeadlineRule.objects.order_by("effective_from", "pk").values_list(
        "code", "label", "enabled"
    ):
        if enabled:
            rules[code] = label
        else:
            rules.setdefault(code, None)
    return [(code, label) for code, label in rules.items() if label is not None]


def deadline_rows(period, perimeter, as_of, *, by_sector=False):
    """Per rule (and sector): deadlines started in the period, not cancelled and due by the as-of date, and
    those met on time. Deadlines of subjects without a file (conventions) count for the Département only."""
    as_of_end = end_of_day(as_of)
    deadlines = Deadline.objects.filter(
        starts_at__gte=start_of_day(period.start), starts_at__lt=end_of_day(period.end), due_at__lt=as_of_end
    ).exclude(cancelled_at__lt=as_of_end)
    deadlines = perimeter.restrict(deadlines, as_of)
    keys = ["rule_code", "beneficiary__sector_id"] if by_sector else ["rule_code"]
    return deadlines.values(*keys).annotate(
        due=Count("pk"), on_time=Count("pk", filter=Q(met_at__lte=F("due_at"), met_at__lt=as_of_end))
    )


def deadline_figures(period, perimeter, as_of, rules):
    rows = {row["rule_code"]: row for row in deadline_rows(period, perimeter, as_of)}
    rates = {
        code: Rate(rows.get(code, {}).get("on_time", 0), rows.get(code, {}).get("due", 0)) for code, _label in rules
    }
    named = {name: rates.get(code, Rate(0, 0)) for name, code in NAMED_DEADLINE_RATES.items()}
    return {**named, "deadlines": rates}


def deadlines_by_sector(period, perimeter, as_of, rules):
    """{sector code: {rule code: Rate}} with the files without a sector under "sans_secteur"."""
    from partners.models import Sector

    codes = dict(Sector.objects.values_list("pk", "code"))
    table = {}
    for row in deadline_rows(period, perimeter, as_of, by_sector=True):
        if row["rule_code"] not in dict(rules):
            continue
        sector = codes.get(row["beneficiary__sector_id"], UNASSIGNED)
        table.setdefault(sector, {})[row["rule_code"]] = (row["on_time"], row["due"])
    return {
        sector: {code: Rate(*table[sector].get(code, (0, 0))) for code, _label in rules} for sector in sorted(table)
    }


UNASSIGNED = "sans_secteur"


def journey_figures(period, perimeter, as_of):
    start, end = _range(period, as_of)
    orientations = perimeter.restrict(Orientation.objects.filter(decided_on__gte=start, decided_on__lte=end), as_of)
    by_pathway = dict(orientations.values_list("pathway").annotate(n=Count("pk")).values_list("pathway", "n"))
    active = perimeter.restrict(Episode.objects.open_on(end), as_of).count()
    exits = perimeter.restrict(Exit.objects.filter(exited_on__gte=start, exited_on__lte=end), as_of)
    by_reason = dict(exits.values_list("reason").annotate(n=Count("pk")).values_list("reason", "n"))
    exits_by_reason = {reason: by_reason.get(reason, 0) for reason in ExitReason.values}
    total_exits = sum(exits_by_reason.values())
    positive = sum(exits_by_reason[reason] for reason in POSITIVE_EXIT_REASONS)
    closed = perimeter.restrict(Episode.objects.filter(ended_on__gte=start, ended_on__lte=end), as_of).aggregate(
        n=Count("pk"),
        days=Sum(ExpressionWrapper(F("ended_on") - F("started_on"), output_field=DurationField())),
    )
    mean = None
    if closed["n"]:
        days = closed["days"]
        days = days.total_seconds() / 86400 if isinstance(days, datetime.timedelta) else float(days) / 86400e6
        mean = round(days / closed["n"] / DAYS_PER_MONTH, 1)
    return {
        "orientations_by_pathway": {pathway: by_pathway.get(pathway, 0) for pathway in Pathway.values},
        "active_accompaniments": active,
        "exits": total_exits,
        "exits_by_reason": exits_by_reason,
        "positive_exit_rate": Rate(positive, total_exits),
        "mean_accompaniment_months": Mean(mean, closed["n"]),
    }


def contract_figures(period, perimeter, as_of, *, hours=True):
    start, end = _range(period, as_of)
    contracts = perimeter.restrict(Contract.objects.filter(signed_on__gte=start, signed_on__lte=end), as_of)
    totals = contracts.aggregate(
        signed=Count("pk"), at_least_15=Count("pk", filter=Q(weekly_hours__gte=DEFAULT_WEEKLY_HOURS))
    )
    # The contracts whose hours are reduced (below 15 h, which needs a reason), by reason: together, the
    # complement of `at_least_15_hours` (a reason recorded on a contract at 15 h or more reduces nothing).
    reductions = dict(
        contracts.filter(weekly_hours__lt=DEFAULT_WEEKLY_HOURS)
        .exclude(hours_reduction_reason="")
        .values_list("hours_reduction_reason")
        .annotate(n=Count("pk"))
        .values_list("hours_reduction_reason", "n")
    )
    reasons = Contract._meta.get_field("hours_reduction_reason").choices
    figures = {
        "signed": totals["signed"],
        "at_least_15_hours": Rate(totals["at_least_15"], totals["signed"]),
        "reductions_by_reason": {code: reductions.get(code, 0) for code, _label in reasons if code},
    }
    if hours:
        figures["activity_hours"] = activity_hours_figures(period, perimeter, as_of)
    return figures


ONE_WEEK = datetime.timedelta(days=7)
HOURS = DecimalField(max_digits=14, decimal_places=1)


def weeks_of(period, as_of):
    """The Mondays of the weeks that start in the period, up to the as-of date (computed here, not in SQL)."""
    start, end = _range(period, as_of)
    monday = start + datetime.timedelta(days=-start.weekday() % 7)
    mondays = []
    while monday <= end:
        mondays.append(monday)
        monday += ONE_WEEK
    return mondays


def activity_hours_figures(period, perimeter, as_of):
    """The activity hours of the contracts' action plans over the weeks that start in the period (up to the as-of
    date): `planned`, each week, the weekly planned hours of the activities running that week (as the file's
    weekly figures count them: an activity done or abandoned stops counting after the day of that change, as
    recorded by the as-of date); `done`, the hours recorded done for those weeks. Two statements: one sum per
    week for the planned hours (their number depends on the period, not on the data), one for the hours done."""
    mondays = weeks_of(period, as_of)
    if not mondays:
        return {"planned": Hours(0.0, 0), "done": Hours(0.0, 0)}
    first, last_sunday = mondays[0], mondays[-1] + datetime.timedelta(days=6)
    # The day a done or abandoned activity stopped, as of the as-of date (its last change by then closed it).
    closed_on = Subquery(
        ActivityStatusChange.objects.filter(activity=OuterRef("pk"), changed_on__lte=as_of)
        .order_by("-changed_on", "-id")
        .annotate(
            closed_on=Case(
                When(status__in=ACTIVITY_CLOSED_STATUSES, then=F("changed_on")), default=None, output_field=DateField()
            )
        )
        .values("closed_on")[:1]
    )
    activities = perimeter.restrict(
        Activity.objects.filter(starts_on__lte=last_sunday, ends_on__gte=first, weekly_planned_hours__gt=0),
        as_of,
        "contract__beneficiary",
    ).annotate(effective_end=Coalesce(Least("ends_on", closed_on), F("ends_on")))
    running = Q(effective_end__gte=first)
    weekly = {
        f"week_{index}": Sum(
            Case(
                When(
                    Q(starts_on__lte=monday + datetime.timedelta(days=6), effective_end__gte=monday),
                    then=F("weekly_planned_hours"),
                ),
                default=Value(Decimal(0)),
                output_field=HOURS,
            )
        )
        for index, monday in enumerate(mondays)
    }
    planned = activities.order_by().aggregate(
        files=Count("contract__beneficiary", distinct=True, filter=running), **weekly
    )
    done = perimeter.restrict(
        ActivityHours.objects.filter(week_of__gte=first, week_of__lte=mondays[-1], hours__gt=0),
        as_of,
        "activity__contract__beneficiary",
    ).aggregate(hours=Sum("hours"), files=Count("activity__contract__beneficiary", distinct=True))
    planned_hours = sum((planned[key] or Decimal(0) for key in weekly), Decimal(0))
    return {
        "planned": Hours(float(round(planned_hours, 1)), planned["files"]),
        "done": Hours(float(round(done["hours"] or Decimal(0), 1)), done["files"]),
    }


def access_to_rights_figures(period, perimeter, as_of):
    start, end = _range(period, as_of)
    interviews = perimeter.restrict(
        Interview.objects.filter(
            kind=InterviewKind.CAF_RIGHTS, status=InterviewStatus.HELD, held_on__gte=start, held_on__lte=end
        ),
        as_of,
    )
    totals = interviews.aggregate(held=Count("pk"), opened=Count("pk", filter=~Q(complementary_rights=[])))
    return Rate(totals["opened"], totals["held"])


# Sections that other apps' figures fill (childcare, conventions, COPIL actions): key -> function
# (period, perimeter, as_of) -> dict of counts and Rates. Registered by reporting.apps when those apps exist.
SECTIONS = {}


def register_section(key, function):
    SECTIONS[key] = function
    return function


def quarter_figures(period, perimeter, as_of, rules):
    """The key figures of one period (for the trend)."""
    return {
        "period": period,
        **files_figures(period, perimeter, as_of, caseload=False),
        **deadline_figures(period, perimeter, as_of, rules),
        **journey_figures(period, perimeter, as_of),
        "contracts_signed": contract_figures(period, perimeter, as_of, hours=False)["signed"],
    }


def compute(period, perimeter, as_of, *, trend=TREND_QUARTERS):
    rules = enabled_rules()
    figures = {
        **files_figures(period, perimeter, as_of),
        "funnel": funnel_figures(period, perimeter, as_of),
        **deadline_figures(period, perimeter, as_of, rules),
        "deadlines_by_sector": deadlines_by_sector(period, perimeter, as_of, rules),
        **journey_figures(period, perimeter, as_of),
        "contracts": contract_figures(period, perimeter, as_of),
        "access_to_rights": access_to_rights_figures(period, perimeter, as_of),
    }
    for key, function in SECTIONS.items():
        figures[key] = function(period, perimeter, as_of)
    figures["trend"] = [quarter_figures(earlier, perimeter, as_of, rules) for earlier in period.previous_ones(trend)]
    figures["rules"] = rules
    return figures
