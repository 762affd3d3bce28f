"""`copil_report` (SPEC §8) end to end: the JSON in SPEC §7's shape, the PDF with every section, the same figures in
both, French formatting, masked values shown « s » and drawn without a size, bad arguments refused."""

import datetime
import io
import json
import re
import subprocess

import pytest
from django.core.management import CommandError, call_command

from accompaniment.enums import ExitReason, HoursReductionReason, InterviewKind
from childcare.enums import Outcome
from orientation.enums import Pathway
from partners.enums import SectorKind
from partners.models import ConventionResource
from reporting import formatting, pdf, presentation, report
from reporting.periods import parse_quarter
from tests.factories import SectorFactory, UserFactory
from tests.partners.factories import ConventionFactory, CopilActionFactory, CopilMeetingFactory

from .cohorts import Cohort, provider

pytestmark = pytest.mark.django_db
AS_OF = "2026-11-30"
MASKED_RATE = {"value": None, "numerator": None, "denominator": None, "masked": True}
SPEC_KEYS = {
    "new_entrants",
    "orientation_rate",
    "oriented_within_6_weeks_rate",
    "referent_within_1_month_rate",
    "entry_within_15_days_rate",
    "contract_within_1_month_rate",
    "deadlines",
    "orientations_by_pathway",
    "active_accompaniments",
    "exits",
    "exits_by_reason",
    "positive_exit_rate",
    "mean_accompaniment_months",
    "contracts",
    "access_to_rights",
    "childcare",
    "conventions",
    "copil_actions",
    "trend",
}


@pytest.fixture
def north(db):
    return SectorFactory(code="NORD", name="Circonscription Nord")


@pytest.fixture
def quarter(settings, north):
    """A third quarter of 2026 in the North with figures of every section, some of them under 5."""
    settings.PARCOURS_REPORT_MASK_THRESHOLD = 5
    cohort = Cohort(sector=north)
    long_ago = datetime.date(2020, 1, 1)
    entrants = cohort.files(1234)
    cohort.orientations(entrants[:500], pathway=Pathway.EMPLOI, decided_on=datetime.date(2026, 8, 1))
    cohort.orientations(entrants[500:708], pathway=Pathway.SOCIAL_PRO, decided_on=datetime.date(2026, 8, 1))
    cohort.referents(entrants[:650], agent=UserFactory(), designated_on=datetime.date(2026, 8, 10))
    start, due = datetime.date(2026, 7, 10), datetime.date(2026, 8, 21)
    cohort.deadlines(entrants[:8], rule_code="orientation_6w", starts_on=start, due_on=due, met_on=start)
    cohort.deadlines(entrants[8:10], rule_code="orientation_6w", starts_on=start, due_on=due)
    cohort.deadlines(entrants[:2], rule_code="referent_1m", starts_on=start, due_on=due, met_on=start)  # 2 of 3
    cohort.deadlines(entrants[2:3], rule_code="referent_1m", starts_on=start, due_on=due)
    exited_on = datetime.date(2026, 8, 20)
    cohort.exits(cohort.files(40, rights_opened_on=long_ago), reason=ExitReason.EMPLOI_DURABLE, exited_on=exited_on)
    cohort.exits(cohort.files(3, rights_opened_on=long_ago), reason=ExitReason.FORMATION, exited_on=exited_on)
    cohort.exits(cohort.files(20, rights_opened_on=long_ago), reason=ExitReason.ABANDON, exited_on=exited_on)
    cohort.exits(cohort.files(12, rights_opened_on=long_ago), reason=ExitReason.FIN_DROITS, exited_on=exited_on)
    cohort.episodes(cohort.files(57, rights_opened_on=long_ago), started_on=datetime.date(2026, 3, 1))
    signed = datetime.date(2026, 6, 29)
    full = cohort.contracts(cohort.files(25, rights_opened_on=long_ago), signed_on=signed)
    cohort.contracts(
        cohort.files(3, rights_opened_on=long_ago),
        signed_on=datetime.date(2026, 8, 1),
        weekly_hours=10,
        reduction="health",
    )
    cohort.contracts(
        cohort.files(6, rights_opened_on=long_ago),
        signed_on=datetime.date(2026, 8, 1),
        weekly_hours=12,
        reduction=HoursReductionReason.OTHER,
    )
    # 25 files x 13 weeks x 10 h, and 2.5 h for one week: 3 252.5 h planned; hours done by 3 files only.
    planned = cohort.activities(
        full, starts_on=datetime.date(2026, 7, 1), ends_on=datetime.date(2026, 9, 30), weekly_planned_hours=10
    )
    cohort.activities(
        full[:1], starts_on=datetime.date(2026, 8, 3), ends_on=datetime.date(2026, 8, 9), weekly_planned_hours="2.5"
    )
    cohort.hours_done(planned[:3], week_of=datetime.date(2026, 7, 6), hours="7.5")
    caf = cohort.files(10, rights_opened_on=long_ago)
    cohort.interviews(caf[:2], kind=InterviewKind.CAF_RIGHTS, held_on=exited_on, complementary_rights=["css"])
    cohort.interviews(caf[2:], kind=InterviewKind.CAF_RIGHTS, held_on=exited_on)
    creche = provider("Crèche du Nord", north, places=40, avip=2)
    provider("Aide à domicile du Nord", north, kind="aide_domicile", places=5, avip=5)
    cohort.placements(
        entrants[:3],
        provider=creche,
        starts_on=datetime.date(2026, 7, 6),
        ended_on=exited_on,
        outcome=Outcome.EMPLOYMENT,
    )
    ConventionFactory()
    lasting = ConventionFactory(valid_to=datetime.date(2027, 12, 31))
    ConventionResource.objects.create(convention=lasting, role="Conseillers France Travail", count=20)
    meeting = CopilMeetingFactory(held_on=datetime.date(2026, 9, 15))
    CopilActionFactory(meeting=meeting, due_on=datetime.date(2026, 10, 1))
    CopilActionFactory(meeting=meeting)
    CopilActionFactory(meeting=meeting)
    cohort.files(2, rights_opened_on=datetime.date(2026, 5, 5))  # the previous quarter's 2 entrants: masked
    return cohort


def run(tmp_path, kind, **options):
    output = tmp_path / f"rapport.{kind}"
    out = io.StringIO()
    call_command("copil_report", quarter="2026-Q3", as_of=AS_OF, output=str(output), format=kind, stdout=out, **options)
    assert str(output) in out.getvalue()
    return output


def pdf_text(path):
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return text.replace(formatting.NARROW_NO_BREAK_SPACE, " ").replace(formatting.NO_BREAK_SPACE, " ")


def rate_objects(value, path=()):
    """(path, object) of every rate object of the JSON."""
    if isinstance(value, dict):
        if "numerator" in value or value.get("masked") is True:
            yield path, value
            return
        for key, item in value.items():
            yield from rate_objects(item, (*path, key))


def masked_counts(value, path=()):
    """(object path, key, listed as masked) of every null count of the JSON outside rate objects."""
    if isinstance(value, dict) and not ("numerator" in value or value.get("masked") is True):
        for key, item in value.items():
            if item is None:
                yield path, key, key in value.get("masked", [])
            else:
                yield from masked_counts(item, (*path, key))


def test_copil_report_writes_the_json_in_the_shape_of_spec_7(quarter, tmp_path):
    data = json.loads(run(tmp_path, "json").read_text())

    assert SPEC_KEYS <= set(data)
    assert (data["quarter"], data["as_of"], data["mask_threshold"]) == ("2026-Q3", AS_OF, 5)
    assert data["new_entrants"] == 1234
    assert data["orientation_rate"] == {"value": 0.574, "numerator": 708, "denominator": 1234}
    assert data["oriented_within_6_weeks_rate"] == {"value": 0.8, "numerator": 8, "denominator": 10}
    # Counts are integers, rates objects of three integers (or the masked object).
    assert isinstance(data["exits"], int) and isinstance(data["orientations_by_pathway"]["emploi"], int)
    rates = dict(rate_objects(data))
    assert len(rates) > 20
    for path, item in rates.items():
        if item.get("masked"):
            assert item == MASKED_RATE, path
        else:
            assert set(item) == {"value", "numerator", "denominator"}, path
            expected = round(item["numerator"] / item["denominator"], 3) if item["denominator"] else None
            assert item["value"] == expected, path
    # Masked counts are null and listed in their object's `masked`; a masked rate is the masked object.
    assert data["exits_by_reason"]["formation"] is None and "formation" in data["exits_by_reason"]["masked"]
    assert data["access_to_rights"] == MASKED_RATE and "access_to_rights" in data["masked"]
    assert data["referent_within_1_month_rate"] == MASKED_RATE
    assert data["deadlines"]["referent_1m"] == MASKED_RATE and "referent_1m" in data["deadlines"]["masked"]
    assert data["childcare"]["families_placed"] is None and "families_placed" in data["childcare"]["masked"]
    assert data["trend"]["2026-Q2"]["new_entrants"] is None and "new_entrants" in data["trend"]["2026-Q2"]["masked"]
    assert data["contracts"]["reductions_by_reason"]["health"] is None
    nulls = list(masked_counts({key: item for key, item in data.items() if key != "perimeter"}))
    assert nulls and all(listed for _path, _key, listed in nulls), [n for n in nulls if not n[2]]
    # The keys of the sections SPEC §7 names.
    assert {"signed", "at_least_15_hours", "reductions_by_reason"} <= set(data["contracts"])
    assert data["contracts"]["activity_hours"] == {"planned": 3252.5, "done": None, "masked": ["done"]}
    assert {
        "providers",
        "places",
        "avip_places",
        "families_placed",
        "families_into_employment",
        "families_into_training",
        "emergencies_answered_within_24h",
    } <= set(data["childcare"])
    assert (data["childcare"]["providers"], data["childcare"]["places"]) == (2, 45)
    assert data["conventions"] == {"active": 2, "expiring_within_90_days": 1, "committed_staff": 20}
    assert data["copil_actions"] == {"open": 3, "late": 1}
    assert list(data["trend"]) == ["2026-Q2", "2026-Q1", "2025-Q4", "2025-Q3"]
    assert set(data["trend"]["2025-Q3"]) == set(report.TREND_KEYS)


def test_copil_report_narrows_to_a_sector(quarter, tmp_path, north):
    SectorFactory(code="SUD", name="Circonscription Sud")
    data = json.loads(run(tmp_path, "json", sector="NORD").read_text())
    assert data["perimeter"]["sector"] == "NORD" and data["new_entrants"] == 1234
    elsewhere = json.loads(run(tmp_path, "json", sector="SUD").read_text())
    assert elsewhere["perimeter"]["sector"] == "SUD" and elsewhere["new_entrants"] == 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"quarter": "2026-Q5"}, "Trimestre invalide"),
        ({"quarter": "T3 2026"}, "Trimestre invalide"),
        ({"sector": "INCONNU"}, "Circonscription inconnue"),
        ({"sector": "CAF-NORD"}, "Circonscription inconnue"),  # a sector of another kind
        ({"as_of": "2026-13-01"}, "Date d'arrêté invalide"),
        ({"as_of": "30/11/2026"}, "Date d'arrêté invalide"),
        ({"as_of": "2999-01-01"}, "dans le futur"),
    ],
)
@pytest.mark.parametrize("kind", ["json", "pdf"])
def test_copil_report_refuses_bad_arguments_with_a_message_and_writes_nothing(tmp_path, north, options, message, kind):
    SectorFactory(code="CAF-NORD", kind=SectorKind.CAF_AREA)
    folder = tmp_path / "rapports"
    folder.mkdir()
    output = folder / f"rapport.{kind}"
    arguments = {"quarter": "2026-Q3", "as_of": AS_OF, "output": str(output), "format": kind, **options}
    with pytest.raises(CommandError, match=message):
        call_command("copil_report", stdout=io.StringIO(), **arguments)
    assert list(folder.iterdir()) == []


def test_copil_report_refuses_a_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="n'existe pas"):
        call_command("copil_report", quarter="2026-Q3", output=str(tmp_path / "absent" / "r.pdf"), stdout=io.StringIO())
    assert not (tmp_path / "absent").exists()


def expected_lines(data):
    """(label, shown value) of every figure the JSON holds and the PDF shows in its sections' tables, formatted
    from the JSON alone."""
    from accompaniment.enums import ExitReason, HoursReductionReason
    from childcare.enums import Outcome

    value = {
        "count": formatting.number,
        "rate": formatting.rate,
        "hours": formatting.hours,
        "months": lambda months: formatting.number(months, 1),
    }
    contracts, childcare = data["contracts"], data["childcare"]
    figures = [
        ("Dossiers suivis", "count", data["caseload"]),
        ("Nouveaux entrants", "count", data["new_entrants"]),
        ("Accompagnements en cours", "count", data["active_accompaniments"]),
        ("Sorties", "count", data["exits"]),
        ("Taux d'orientation des nouveaux entrants", "rate", data["orientation_rate"]),
        ("Contrats signés", "count", contracts["signed"]),
        ("Contrats à 15 heures ou plus", "rate", contracts["at_least_15_hours"]),
        ("Heures d'activité prévues (plans d'action)", "hours", contracts["activity_hours"]["planned"]),
        ("Heures d'activité réalisées", "hours", contracts["activity_hours"]["done"]),
        ("Taux de sorties positives", "rate", data["positive_exit_rate"]),
        ("Durée moyenne d'accompagnement (mois)", "months", data["mean_accompaniment_months"]),
        ("Accès aux droits", "rate", data["access_to_rights"]),
        ("Structures de garde", "count", childcare["providers"]),
        ("Places", "count", childcare["places"]),
        ("Places AVIP", "count", childcare["avip_places"]),
        ("Familles accueillies", "count", childcare["families_placed"]),
        ("Familles sorties vers l'emploi", "count", childcare["families_into_employment"]),
        ("Familles sorties vers la formation", "count", childcare["families_into_training"]),
        ("Urgences traitées en 24 heures", "rate", childcare["emergencies_answered_within_24h"]),
        ("Conventions en vigueur", "count", data["conventions"]["active"]),
        ("Arrivant à échéance sous 90 jours", "count", data["conventions"]["expiring_within_90_days"]),
        ("Professionnels engagés par les conventions en vigueur", "count", data["conventions"]["committed_staff"]),
        ("Actions ouvertes", "count", data["copil_actions"]["open"]),
        ("Actions en retard", "count", data["copil_actions"]["late"]),
    ]
    figures += [(ExitReason(code).label, "count", n) for code, n in data["exits_by_reason"].items() if code != "masked"]
    figures += [
        (Pathway(code).label, "count", n) for code, n in data["orientations_by_pathway"].items() if code != "masked"
    ]
    figures += [
        (HoursReductionReason(code).label, "count", n)
        for code, n in contracts["reductions_by_reason"].items()
        if code != "masked"
    ]
    figures += [
        (Outcome(code).label, "count", n) for code, n in childcare["outcomes_by_family"].items() if code != "masked"
    ]
    return [(label, value[kind](item)) for label, kind, item in figures]


def test_the_pdf_of_copil_report_shows_the_figures_of_its_json_one_by_one(quarter, tmp_path):
    data = json.loads(run(tmp_path, "json").read_text())
    text = pdf_text(run(tmp_path, "pdf"))

    lines = expected_lines(data)
    assert ("Nouveaux entrants", "1 234") in [(label, shown.replace("\u202f", " ")) for label, shown in lines]
    for label, shown in lines:
        shown = shown.replace(formatting.NARROW_NO_BREAK_SPACE, " ").replace(formatting.NO_BREAK_SPACE, " ")
        row = re.compile(rf"^\s*{re.escape(label)}\s+{re.escape(shown)}\s*$", re.MULTILINE)
        assert row.search(text), f"{label}: {shown}"
    # The rules' shares met on time (their labels may wrap: the figure is on the first line).
    for code, item in data["deadlines"].items():
        if code == "masked":
            continue
        first_words = " ".join(data["rules"][code].split()[:3])
        row = re.compile(rf"^\s*{re.escape(first_words)}.*\s{re.escape(formatting.rate(item))}\s*$", re.MULTILINE)
        assert row.search(text.replace("\u202f", " ")), code
    # Each key figure of the PDF's sections is one of those: nothing else is shown.
    for section in presentation.sections(data):
        for label, shown, _previous in section.key_figures:
            assert (label, shown) in lines, label


def test_the_pdf_has_every_section_masks_small_counts_and_names_nobody(quarter, tmp_path):
    data = json.loads(run(tmp_path, "json").read_text())
    text = pdf_text(run(tmp_path, "pdf"))

    for title in (
        "Comité de pilotage RSA",
        "Chiffres clés",
        "Contexte",
        "Orientation des nouveaux entrants",
        "Délais",
        "Orientations par parcours",
        "Contrats d'engagement et heures d'activité",
        "Accompagnement et sorties",
        "Accès aux droits",
        "Garde d'enfants (AVIP)",
        "Conventions et actions du COPIL",
        "Tendance sur cinq trimestres",
        "Annexe — définitions des indicateurs",
        "Heures d'activité prévues et réalisées",  # the annex defines the activity hours
    ):
        assert re.search(rf"^\s*{re.escape(title)}\s*$", text, re.MULTILINE), title
    # The 3 exits to training, the 2 of 3 referent deadlines, the 3 families: « s ».
    assert re.search(r"^\s*Formation qualifiante\s+s\s*$", text, re.MULTILINE)
    assert re.search(r"^\s*Accès aux droits\s+s\s*$", text, re.MULTILINE)
    assert re.search(r"^\s*Familles accueillies\s+s\s*$", text, re.MULTILINE)
    assert re.search(r"^\s*Heures d'activité réalisées\s+s\s*$", text, re.MULTILINE)
    assert "Les effectifs de 1 à 4 sont" in text
    # Nobody's name: the cohort's files are « Camille Cohorte… », the agents' names are not printed either.
    assert "Cohorte" not in text and "Camille" not in text
    assert data["exits_by_reason"]["formation"] is None


def test_the_pdf_formats_figures_the_french_way(quarter, tmp_path):
    text = pdf_text(run(tmp_path, "pdf"))
    html = pdf.report_html(json.loads(run(tmp_path, "json").read_text()))

    assert "1\u202f234" in html  # a narrow no-break space between thousands
    assert re.search(r"^\s*Nouveaux entrants\s+1 234\s*$", text, re.MULTILINE)
    assert "57,4 % (708 / 1 234)" in text  # decimal comma, space before %
    assert "3 252,5 h" in text
    assert "Durée moyenne d'accompagnement (mois)" in text and re.search(r"\s7,1\s*$", text, re.MULTILINE)
    assert "du 01/07/2026 au 30/09/2026" in text and "30/11/2026" in text
    assert "2026-11-30" not in text and "0.574" not in text


def svg(html, chart_id):
    return re.search(rf'<svg[^>]*aria-labelledby="{chart_id}-title".*?</svg>', html, re.DOTALL).group(0)


def hatched(chart):
    return re.findall(r'<rect[^>]*fill="url\(#[\w-]+-hatch\)"[^>]*/>', chart)


def test_masked_bars_are_drawn_with_a_fixed_size_that_says_nothing_of_the_value(quarter, settings):
    period, as_of = parse_quarter("2026-Q3"), datetime.date(2026, 11, 30)
    data = report.build(period, None, as_of)
    html = pdf.report_html(data)

    exits = svg(html, "chart-exits")
    masked_reasons = [code for code in data["exits_by_reason"]["masked"]]
    assert "formation" in masked_reasons
    assert len(hatched(exits)) == len(masked_reasons)
    assert all('width="24"' in bar for bar in hatched(exits))
    # The longest bar is the largest figure shown: a masked value takes no part in the scale.
    widths = [
        float(width) for width in re.findall(r'<rect x="230" y="[\d.]+" width="([\d.]+)" height="18" fill="#', exits)
    ]
    shown = [n for code, n in data["exits_by_reason"].items() if code != "masked" and n is not None]
    assert max(widths) == 260 and max(shown) > 0
    # In the trend's columns, the previous quarter's 2 entrants: a hatched column of fixed height.
    trend = svg(html, "chart-trend")
    assert len(hatched(trend)) == 1 and 'height="24"' in hatched(trend)[0]

    # One more exit to training (4: still masked): the charts are drawn exactly the same.
    Cohort().exits(Cohort().files(1), reason=ExitReason.FORMATION, exited_on=datetime.date(2026, 8, 20))
    again = report.build(period, None, as_of)
    assert again["exits_by_reason"]["formation"] is None
    assert svg(pdf.report_html(again), "chart-exits") == exits
