"""The report's sections drawn from the other apps' facts: conventions and COPIL actions (partners), childcare
(childcare). Each is a function (period, perimeter, as_of) -> dict of counts, a few aggregate statements.

How each applies the perimeter (`scope_notes()` says it in the PDF and the dashboard, never in the JSON, whose
shape SPEC §7 fixes):

- childcare: providers and places are those serving the sector (or the whole Département's): they belong to
  no organisation référent and no pathway. Families and emergencies are those of the requests placed in the
  sector and, for an organisation or a pathway, made for a file of the perimeter (the orientation in force on
  the as-of date has that lead organisation, that pathway).
- conventions bind organisations, not territories nor pathways: for an organisation, those it is a party to;
  otherwise the whole Département's.
- COPIL actions: for a sector, those of the sector's meetings; for an organisation, those it carries (its own,
  or those of an owner of that organisation); a pathway does not apply to them.
"""

from django.db.models import Count, Q, Sum

from partners.enums import OPEN_COPIL_ACTION_STATUSES
from partners.models import Convention, ConventionResource, CopilAction
from reporting.masking import Rate

from .indicators import Perimeter

EXPIRING_DAYS = 90
DEPARTEMENT_WIDE = "à l'échelle du Département"


def conventions(period, perimeter, as_of):
    active = Convention.objects.active(as_of)
    expiring = Convention.objects.expiring_within(EXPIRING_DAYS, as_of)
    if perimeter.organisation is not None:
        parties = Convention.objects.filter(parties__organisation=perimeter.organisation).values("pk")
        active, expiring = active.filter(pk__in=parties), expiring.filter(pk__in=parties)
    staff = ConventionResource.objects.filter(convention__in=active.values("pk")).aggregate(n=Sum("count"))["n"]
    return {
        "active": active.count(),
        "expiring_within_90_days": expiring.count(),
        "committed_staff": staff or 0,
    }


def copil_actions(period, perimeter, as_of):
    actions = CopilAction.objects.filter(meeting__held_on__lte=as_of)
    if perimeter.sector is not None:
        actions = actions.filter(meeting__sector=perimeter.sector)
    if perimeter.organisation is not None:
        actions = actions.filter(
            Q(owner_organisation=perimeter.organisation)
            | Q(owner_organisation__isnull=True, owner__organisation=perimeter.organisation)
        )
    # Open on the as-of date: still open, or closed after it.
    still_open = Q(status__in=OPEN_COPIL_ACTION_STATUSES) | Q(closed_on__gt=as_of)
    return actions.aggregate(
        open=Count("pk", filter=still_open),
        late=Count("pk", filter=still_open & Q(due_on__isnull=False, due_on__lt=as_of)),
    )


def copil_actions_relations(cells, path, figures):
    """Late actions are part of the open ones: their difference (on time) is a hidden cell."""
    cells.count((*path, "on_time"), figures["open"] - figures["late"], shown=False, sensitive=False)
    cells.relation((*path, "open"), [(*path, "late"), (*path, "on_time")])


copil_actions.relations = copil_actions_relations


def childcare(period, perimeter, as_of):
    from childcare.figures import copil_figures

    files = None
    if perimeter.organisation is not None or perimeter.pathway:
        files = Perimeter(organisation=perimeter.organisation, pathway=perimeter.pathway).files(as_of)
    figures = copil_figures(
        starts_on=period.start, ends_on=period.end, sector=perimeter.sector, files=files, as_of=as_of
    )
    emergencies = figures.pop("emergencies_answered_within_24h")
    return {**figures, "emergencies_answered_within_24h": Rate(emergencies["numerator"], emergencies["denominator"])}


def childcare_relations(cells, path, figures):
    """A family into employment is counted under employment in `outcomes_by_family` (its best outcome)."""
    cells.same((*path, "families_into_employment"), (*path, "outcomes_by_family", "emploi"))
    outcomes = [(*path, "outcomes_by_family", code) for code in figures["outcomes_by_family"]]
    # The families placed whose placement has not ended in the period are the hidden remainder.
    remainder = figures["families_placed"] - sum(figures["outcomes_by_family"].values())
    cells.count((*path, "without_outcome"), remainder, shown=False)
    cells.relation((*path, "families_placed"), [*outcomes, (*path, "without_outcome")])


childcare.relations = childcare_relations


def scope_notes(perimeter):
    """{section key: French note} for the sections that do not follow the whole perimeter, from the report's
    `perimeter` (its JSON form): nothing for the Département."""
    sector, organisation, pathway = perimeter.get("sector"), perimeter.get("organisation"), perimeter.get("pathway")
    notes = {}
    if organisation or pathway:
        places = "à l'échelle de la circonscription" if sector else DEPARTEMENT_WIDE
        notes["childcare"] = (
            f"Structures de garde et places : {places} (elles ne relèvent ni d'un organisme référent ni d'un "
            "parcours). Familles et urgences : celles dont le dossier relève du périmètre (orientation en vigueur "
            "à la date d'arrêté)."
        )
    parts = []
    if organisation:
        wide = f", {DEPARTEMENT_WIDE}" if sector or pathway else ""
        parts.append(f"Conventions : celles dont l'organisme référent choisi est partie{wide}.")
    elif sector or pathway:
        parts.append(
            f"Conventions : {DEPARTEMENT_WIDE} (elles lient des organismes, pas un territoire ni un parcours)."
        )
    if sector or organisation:
        scope = []
        if sector:
            scope.append("décidées par les COPIL de la circonscription")
        if organisation:
            scope.append("portées par l'organisme référent choisi")
        parts.append(
            "Actions du COPIL : celles "
            + " et ".join(scope)
            + (" ; le parcours ne s'y applique pas." if pathway else ".")
        )
    elif pathway:
        parts.append(f"Actions du COPIL : {DEPARTEMENT_WIDE} (une action ne relève pas d'un parcours).")
    if parts:
        notes["conventions"] = " ".join(parts)
    return notes
