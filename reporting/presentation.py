"""The sections of the COPIL report and of the dashboard, from the data of `report.build()` only: what is
shown is exactly what the JSON holds (masked values included)."""

from dataclasses import dataclass, field

from accompaniment.enums import ExitReason, HoursReductionReason
from orientation.enums import Pathway

from . import charts
from .definitions import LABELS
from .formatting import hours, number, rate
from .sections import scope_notes

FUNNEL_STEPS = [
    ("new_entrants", "Nouveaux entrants"),
    ("oriented", "Orientés"),
    ("referent", "Référent désigné"),
    ("in_accompaniment", "Entrés en accompagnement"),
    ("contract", "Contrat signé"),
    ("exited", "Sortis"),
]
CHILDCARE_LABELS = {
    "providers": "Structures de garde",
    "places": "Places",
    "avip_places": "Places AVIP",
    "families_placed": "Familles accueillies",
    "families_into_employment": "Familles sorties vers l'emploi",
    "families_into_training": "Familles sorties vers la formation",
}
CONVENTION_LABELS = {
    "active": "Conventions en vigueur",
    "expiring_within_90_days": "Arrivant à échéance sous 90 jours",
    "committed_staff": "Professionnels engagés par les conventions en vigueur",
}
ACTION_LABELS = {"open": "Actions ouvertes", "late": "Actions en retard"}
ACTIVITY_HOURS_LABELS = {
    "planned": "Heures d'activité prévues (plans d'action)",
    "done": "Heures d'activité réalisées",
}


NO_PREVIOUS = object()


@dataclass
class Table:
    caption: str
    headers: list
    rows: list  # lists of cells (text)


@dataclass
class Section:
    id: str
    title: str
    key_figures: list = field(default_factory=list)  # (label, value, previous value)
    tables: list = field(default_factory=list)
    charts: list = field(default_factory=list)
    note: str = ""


def _value(item):
    if isinstance(item, dict) and ("numerator" in item or item.get("masked") is True):
        return rate(item)
    if isinstance(item, float):
        return number(item, 1)
    return number(item)


def _bar_value(item):
    """The length of a bar: None when masked, charts.NOT_APPLICABLE for a rate with no denominator."""
    if isinstance(item, dict):
        if item.get("masked"):
            return None
        return charts.NOT_APPLICABLE if item["value"] is None else item["value"]
    return item


def sections(data):
    previous = next(iter(data["trend"].values()), {}) if data.get("trend") else {}

    def key(label, item, previous_item=NO_PREVIOUS):
        # A masked previous figure is shown « s »; a figure the trend does not hold, left empty.
        return (label, _value(item), "" if previous_item is NO_PREVIOUS else _value(previous_item))

    notes = scope_notes(data.get("perimeter") or {})
    result = []
    context = Section("contexte", "Contexte")
    context.key_figures = [
        key("Dossiers suivis", data["caseload"]),
        key("Nouveaux entrants", data["new_entrants"], previous.get("new_entrants", NO_PREVIOUS)),
        key(
            "Accompagnements en cours",
            data["active_accompaniments"],
            previous.get("active_accompaniments", NO_PREVIOUS),
        ),
        key("Sorties", data["exits"], previous.get("exits", NO_PREVIOUS)),
    ]
    result.append(context)

    funnel = Section("orientation", "Orientation des nouveaux entrants")
    funnel.key_figures = [
        key(LABELS["orientation_rate"], data["orientation_rate"], previous.get("orientation_rate", NO_PREVIOUS))
    ]
    funnel_rows = [(label, data["funnel"].get(code)) for code, label in FUNNEL_STEPS]
    funnel.tables.append(
        Table(
            "Entonnoir du parcours (nouveaux entrants de la période)",
            ["Étape", "Personnes"],
            [[label, number(value)] for label, value in funnel_rows],
        )
    )
    funnel.charts.append(charts.horizontal_bars("chart-funnel", "Entonnoir du parcours", funnel_rows))
    result.append(funnel)

    delays = Section("delais", "Délais")
    rule_rates = [(data["rules"].get(code, code), item) for code, item in data["deadlines"].items() if code != "masked"]
    delays.tables.append(
        Table(
            "Part des échéances respectées à temps, par règle",
            ["Règle", "Respectées à temps (respectées / échues)"],
            [[label, _value(item)] for label, item in rule_rates],
        )
    )
    delays.charts.append(
        charts.horizontal_bars(
            "chart-delays",
            "Part des échéances respectées à temps",
            [(label, _bar_value(item)) for label, item in rule_rates],
            rate=True,
        )
    )
    result.append(delays)

    pathways = Section("parcours", "Orientations par parcours")
    pathway_rows = [
        (Pathway(code).label, value) for code, value in data["orientations_by_pathway"].items() if code != "masked"
    ]
    pathways.tables.append(
        Table(
            "Orientations décidées dans la période",
            ["Parcours", "Orientations"],
            [[label, number(value)] for label, value in pathway_rows],
        )
    )
    pathways.charts.append(charts.horizontal_bars("chart-pathways", "Orientations par parcours", pathway_rows))
    result.append(pathways)

    contracts = data["contracts"]
    contract_section = Section("contrats", "Contrats d'engagement et heures d'activité")
    contract_section.key_figures = [
        key("Contrats signés", contracts["signed"], previous.get("contracts_signed", NO_PREVIOUS)),
        key("Contrats à 15 heures ou plus", contracts["at_least_15_hours"]),
    ]
    activity_hours = contracts.get("activity_hours")
    if activity_hours is not None:  # reports frozen before the activity hours were reported have none
        contract_section.key_figures += [
            (label, hours(activity_hours.get(code)), "") for code, label in ACTIVITY_HOURS_LABELS.items()
        ]
    reduction_rows = [
        (HoursReductionReason(code).label, value)
        for code, value in contracts["reductions_by_reason"].items()
        if code != "masked"
    ]
    contract_section.tables.append(
        Table(
            "Contrats à durée réduite, par motif",
            ["Motif", "Contrats"],
            [[label, number(value)] for label, value in reduction_rows],
        )
    )
    contract_section.charts.append(
        charts.horizontal_bars("chart-reductions", "Réductions d'heures par motif", reduction_rows)
    )
    result.append(contract_section)

    exits = Section("sorties", "Accompagnement et sorties")
    exits.key_figures = [
        key(
            "Accompagnements en cours",
            data["active_accompaniments"],
            previous.get("active_accompaniments", NO_PREVIOUS),
        ),
        key("Sorties", data["exits"], previous.get("exits", NO_PREVIOUS)),
        key(LABELS["positive_exit_rate"], data["positive_exit_rate"], previous.get("positive_exit_rate", NO_PREVIOUS)),
        key(LABELS["mean_accompaniment_months"] + " (mois)", data["mean_accompaniment_months"]),
    ]
    exit_rows = [(ExitReason(code).label, value) for code, value in data["exits_by_reason"].items() if code != "masked"]
    exits.tables.append(
        Table(
            "Sorties de la période par motif",
            ["Motif", "Sorties"],
            [[label, number(value)] for label, value in exit_rows],
        )
    )
    exits.charts.append(charts.horizontal_bars("chart-exits", "Sorties par motif", exit_rows))
    result.append(exits)

    rights = Section("acces-aux-droits", "Accès aux droits")
    rights.key_figures = [key(LABELS["access_to_rights"], data["access_to_rights"])]
    result.append(rights)

    if "childcare" in data:
        childcare = data["childcare"]
        avip = Section("garde", "Garde d'enfants (AVIP)", note=notes.get("childcare", ""))
        avip.key_figures = [key(label, childcare.get(code)) for code, label in CHILDCARE_LABELS.items()]
        avip.key_figures.append(key("Urgences traitées en 24 heures", childcare.get("emergencies_answered_within_24h")))
        from childcare.enums import Outcome

        outcome_rows = [
            (Outcome(code).label, value)
            for code, value in childcare.get("outcomes_by_family", {}).items()
            if code != "masked"
        ]
        avip.tables.append(
            Table(
                "Familles par issue de l'accueil (une famille compte une fois, sous sa meilleure issue)",
                ["Issue", "Familles"],
                [[label, number(value)] for label, value in outcome_rows],
            )
        )
        avip.charts.append(charts.horizontal_bars("chart-avip", "Familles par issue de l'accueil", outcome_rows))
        result.append(avip)
    if "conventions" in data or "copil_actions" in data:
        partners = Section("conventions", "Conventions et actions du COPIL", note=notes.get("conventions", ""))
        for code, label in CONVENTION_LABELS.items():
            partners.key_figures.append(key(label, data.get("conventions", {}).get(code)))
        for code, label in ACTION_LABELS.items():
            partners.key_figures.append(key(label, data.get("copil_actions", {}).get(code)))
        result.append(partners)

    trend = Section("tendance", "Tendance sur cinq trimestres")
    quarters = list(reversed(list(data["trend"].items())))
    labels = [_short(code) for code, _figures in quarters] + [_short(data["quarter"] or "période")]
    figures = [figures for _code, figures in quarters] + [
        {
            "new_entrants": data["new_entrants"],
            "exits": data["exits"],
            "orientation_rate": data["orientation_rate"],
            "positive_exit_rate": data["positive_exit_rate"],
            "contracts_signed": contracts["signed"],
        }
    ]
    trend_rows = [
        ["Nouveaux entrants", *[number(item["new_entrants"]) for item in figures]],
        ["Sorties", *[number(item["exits"]) for item in figures]],
        ["Contrats signés", *[number(item["contracts_signed"]) for item in figures]],
        [LABELS["orientation_rate"], *[_value(item["orientation_rate"]) for item in figures]],
        [LABELS["positive_exit_rate"], *[_value(item["positive_exit_rate"]) for item in figures]],
    ]
    trend.tables.append(Table("Indicateurs clés des cinq derniers trimestres", ["Indicateur", *labels], trend_rows))
    trend.charts.append(
        charts.columns(
            "chart-trend",
            "Nouveaux entrants et sorties par trimestre",
            labels,
            [
                ("Nouveaux entrants", "#1d4e89", [item["new_entrants"] for item in figures]),
                ("Sorties", "#f2a900", [item["exits"] for item in figures]),
            ],
        )
    )
    result.append(trend)
    return result


def _short(code):
    if code and "-Q" in code:
        year, quarter = code.split("-Q")
        return f"T{quarter} {year}"
    return code


def deadlines_by_sector_table(data):
    """Rows: sectors; columns: rules; cells: the share met on time (masked cells as « s »)."""
    from partners.models import Sector

    names = dict(Sector.objects.values_list("code", "name"))
    codes = [code for code in data["deadlines"] if code != "masked"]
    rows = []
    for sector, rates in data.get("deadlines_by_sector", {}).items():
        if sector == "masked":
            continue
        label = "Sans circonscription" if sector == "sans_secteur" else names.get(sector, sector)
        rows.append([label, *[_value(rates.get(code)) for code in codes]])
    return Table(
        "Part des échéances respectées à temps, par circonscription",
        ["Circonscription", *[data["rules"].get(code, code) for code in codes]],
        rows,
    )
