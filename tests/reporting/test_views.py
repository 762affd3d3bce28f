"""Dashboards and COPIL reports in the browser: who reads them, what the PDF holds, frozen reports."""

import datetime
import json
import re
import subprocess

import pytest
from django.urls import reverse

from accompaniment.enums import ExitReason
from partners.enums import Role
from reporting.models import ReportKind, StoredReport
from tests import test_routes
from tests.factories import UserFactory
from tests.test_routes import objects  # noqa: F401 (fixture)

from .cohorts import Cohort

pytestmark = pytest.mark.django_db
QUERY = {"trimestre": "2026-Q3", "arrete": "2026-11-30"}


@pytest.fixture
def copil(departement):
    return UserFactory(organisation=departement, roles=[Role.COPIL])


@pytest.fixture
def manager(departement):
    return UserFactory(organisation=departement, roles=[Role.MANAGER])


@pytest.fixture
def exits(settings):
    settings.PARCOURS_REPORT_MASK_THRESHOLD = 5
    cohort = Cohort()
    files = cohort.files(60)
    exited_on = datetime.date(2026, 8, 20)
    cohort.exits(files[:40], reason=ExitReason.EMPLOI_DURABLE, exited_on=exited_on)
    cohort.exits(files[40:43], reason=ExitReason.FORMATION, exited_on=exited_on)  # 3: masked
    cohort.exits(files[43:], reason=ExitReason.ABANDON, exited_on=exited_on)
    return files


def pdf_text(content, tmp_path):
    path = tmp_path / "rapport.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_the_copil_member_downloads_the_report_pdf(client, copil, exits, tmp_path):
    client.force_login(copil)
    response = client.get(reverse("reporting:report_download"), QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    for title in (
        "Comité de pilotage RSA",
        "Chiffres clés",
        "Orientation des nouveaux entrants",
        "Délais",
        "Orientations par parcours",
        "Contrats d'engagement et heures d'activité",
        "Accompagnement et sorties",
        "Accès aux droits",
        "Tendance sur cinq trimestres",
        "Annexe — définitions des indicateurs",
        "3e trimestre 2026",
        "30/11/2026",
    ):
        assert title in text, title
    assert "Taux de sorties positives" in text
    # No person's name: the cohort's files are all named « Cohorte… ».
    assert "Cohorte" not in text and "Camille" not in text
    # The 3 exits to training are masked, and so is what would give them back.
    data = client.get(reverse("reporting:report_download"), {**QUERY, "format": "json"}).json()
    assert data["exits_by_reason"]["formation"] is None
    assert data["positive_exit_rate"].get("masked") is True or data["exits_by_reason"]["emploi_durable"] is None


def test_pdf_and_json_show_the_same_figures(client, copil, exits, tmp_path):
    client.force_login(copil)
    data = client.get(reverse("reporting:report_download"), {**QUERY, "format": "json"}).json()
    text = pdf_text(client.get(reverse("reporting:report_download"), QUERY).content, tmp_path)
    assert data["exits"] == 60
    assert "60" in text
    assert data["new_entrants"] == 60


def test_the_copil_member_gets_404_on_every_nominative_page(client, copil, objects):  # noqa: F811
    client.force_login(copil)
    routes = test_routes.all_routes()
    nominative = (
        set(test_routes.ROUTES)
        - test_routes.NON_NOMINATIVE_ROUTES
        - test_routes.POST_ONLY_ROUTES
        - {name for name in test_routes.ROUTES if name.startswith("reporting:")}
    )
    assert "accompaniment:detail" in nominative and "accompaniment:list" in nominative
    for name in sorted(nominative):
        url = reverse(name, kwargs=test_routes._kwargs_for(routes[name], objects))
        assert client.get(url).status_code == 404, name


def test_a_referent_may_not_read_the_dashboard(client, referent):
    client.force_login(referent)
    assert client.get(reverse("reporting:dashboard")).status_code == 403


def test_the_dashboard_shows_charts_with_their_tables(client, manager, exits):
    client.force_login(manager)
    response = client.get(reverse("reporting:dashboard"), QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('role="img"') >= 5
    assert "Sorties par motif" in page and "<caption>Sorties de la période par motif</caption>" in page
    assert "Cohorte" not in page


def test_the_dashboard_reads_stored_figures_while_they_are_fresh(client, manager, exits):
    client.force_login(manager)
    client.get(reverse("reporting:dashboard"), QUERY)
    assert StoredReport.objects.filter(kind=ReportKind.SNAPSHOT).count() == 1
    client.get(reverse("reporting:dashboard"), QUERY)
    assert StoredReport.objects.filter(kind=ReportKind.SNAPSHOT).count() == 1


def test_bad_filters_get_a_field_message(client, manager):
    client.force_login(manager)
    response = client.get(reverse("reporting:dashboard"), {"du": "2026-09-01", "au": "2026-08-01"})
    assert response.status_code == 200
    assert "La fin de la période précède son début." in response.content.decode()
    response = client.get(reverse("reporting:report_download"), {"arrete": "pas une date"})
    assert response.status_code == 400


def test_the_filters_take_and_show_french_dates(client, manager):
    client.force_login(manager)
    response = client.get(
        reverse("reporting:dashboard"),
        {"trimestre": "", "du": "01/10/2026", "au": "31/10/2026", "arrete": "30/11/2026"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="01/10/2026"' in page and 'value="30/11/2026"' in page and 'placeholder="jj/mm/aaaa"' in page
    assert "arrêté au 30/11/2026" in page


def test_a_frozen_report_never_changes(client, copil, exits):
    client.force_login(copil)
    response = client.post(reverse("reporting:report_freeze"), QUERY)
    assert response.status_code == 302
    frozen = StoredReport.objects.get(kind=ReportKind.FROZEN)
    assert frozen.pdf and frozen.data["exits"] == 60
    Cohort().exits(Cohort().files(10), reason=ExitReason.ABANDON, exited_on=datetime.date(2026, 8, 21))
    data = json.loads(client.get(reverse("reporting:frozen_download", args=[frozen.pk]), {"format": "json"}).content)
    assert data["exits"] == 60
    assert client.get(reverse("reporting:frozen_download", args=[frozen.pk])).status_code == 200
    fresh = client.get(reverse("reporting:report_download"), {**QUERY, "format": "json"}).json()
    assert fresh["exits"] == 70  # computed anew: the frozen report is not a snapshot


@pytest.fixture
def team_load(departement, marseille_sud, aix):
    """A manager's team of two referents and a referent of another team, with files of two sectors, two lead
    organisations and two pathways."""
    from orientation.enums import Pathway
    from tests.factories import OrganisationFactory, TeamFactory

    manager = UserFactory(organisation=departement, roles=[Role.MANAGER])
    nadia = UserFactory(organisation=departement, roles=[Role.REFERENT], first_name="Nadia", last_name="Alpha")
    bruno = UserFactory(organisation=departement, roles=[Role.REFERENT], first_name="Bruno", last_name="Beta")
    other = UserFactory(organisation=departement, roles=[Role.REFERENT], first_name="Olga", last_name="Autre")
    TeamFactory(organisation=departement, manager=manager, members=[nadia, bruno])
    TeamFactory(organisation=departement, members=[other])
    agency = OrganisationFactory(code="ORG-A", name="Agence A", france_travail=True)
    association = OrganisationFactory(code="ORG-B", name="Association B")
    cohort = Cohort()
    designated = datetime.date(2026, 7, 15)
    # Nadia: 3 files of Marseille Sud (agency, emploi), 2 in accompaniment, and 1 of Aix (association, social-pro).
    south = cohort.files(3, sector=marseille_sud)
    cohort.orientations(south, organisation=agency, decided_on=datetime.date(2026, 7, 10))
    cohort.referents(south, agent=nadia, designated_on=designated)
    cohort.episodes(south[:2], started_on=datetime.date(2026, 8, 1))
    north = cohort.files(1, sector=aix)
    cohort.orientations(
        north, organisation=association, pathway=Pathway.SOCIAL_PRO, decided_on=datetime.date(2026, 7, 10)
    )
    cohort.referents(north, agent=nadia, designated_on=designated)
    # Bruno: 2 files of Aix (association, social-pro), 1 in accompaniment; a third from 15 October.
    in_aix = cohort.files(2, sector=aix)
    cohort.orientations(
        in_aix, organisation=association, pathway=Pathway.SOCIAL_PRO, decided_on=datetime.date(2026, 7, 10)
    )
    cohort.referents(in_aix, agent=bruno, designated_on=designated)
    cohort.episodes(in_aix[:1], started_on=datetime.date(2026, 8, 1))
    cohort.referents(cohort.files(1, sector=marseille_sud), agent=bruno, designated_on=datetime.date(2026, 10, 15))
    # Olga is not in the manager's teams.
    cohort.referents(cohort.files(4, sector=marseille_sud), agent=other, designated_on=designated)
    return manager


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [("Nadia Alpha", 4, 2), ("Bruno Beta", 2, 1)]),
        ({"secteur": "CAS-MRS-SUD"}, [("Nadia Alpha", 3, 2)]),
        ({"secteur": "CAS-AIX"}, [("Bruno Beta", 2, 1), ("Nadia Alpha", 1, 0)]),
        ({"organisation": "ORG-A"}, [("Nadia Alpha", 3, 2)]),
        ({"organisation": "ORG-B", "parcours": "social_pro"}, [("Bruno Beta", 2, 1), ("Nadia Alpha", 1, 0)]),
        ({"parcours": "emploi"}, [("Nadia Alpha", 3, 2)]),
        ({"parcours": "remobilisation"}, []),
        # A period ending on 31 October: Bruno's file of 15 October counts.
        (
            {"trimestre": "", "du": "2026-10-01", "au": "2026-10-31"},
            [("Nadia Alpha", 4, 2), ("Bruno Beta", 3, 1)],
        ),
        # A period ending before the files were given a referent: nobody's load.
        ({"trimestre": "", "du": "2026-06-01", "au": "2026-07-14"}, []),
    ],
)
def test_the_portfolio_load_of_the_managers_teams_follows_the_dashboard_filters(client, team_load, filters, expected):
    client.force_login(team_load)
    response = client.get(reverse("reporting:dashboard"), {**QUERY, **filters})
    assert response.status_code == 200
    assert response.context["portfolio"] == expected
    page = response.content.decode()
    assert "Olga" not in page
    if expected:
        assert "Charge des référents de vos équipes" in page
    else:
        assert "de ce périmètre au" in page


def test_the_portfolio_load_is_counted_at_the_end_of_the_period(client, team_load):
    client.force_login(team_load)
    response = client.get(reverse("reporting:dashboard"), QUERY)
    assert response.context["portfolio_on"] == datetime.date(2026, 9, 30)
    assert "situation au 30/09/2026" in response.content.decode()
    response = client.get(
        reverse("reporting:dashboard"),
        {"trimestre": "", "du": "2026-10-01", "au": "2026-12-31", "arrete": "2026-11-30"},
    )
    assert response.context["portfolio_on"] == datetime.date(2026, 11, 30)


def test_the_dashboard_shows_the_activity_hours_with_their_definition(client, manager, settings):
    settings.PARCOURS_REPORT_MASK_THRESHOLD = 5
    cohort = Cohort()
    contracts = cohort.contracts(cohort.files(6), signed_on=datetime.date(2026, 7, 1))
    activities = cohort.activities(
        contracts, starts_on=datetime.date(2026, 7, 6), ends_on=datetime.date(2026, 7, 19), weekly_planned_hours="12.5"
    )
    cohort.hours_done(activities[:2], week_of=datetime.date(2026, 7, 6), hours=10)  # 2 files: masked
    client.force_login(manager)

    page = client.get(reverse("reporting:dashboard"), QUERY).content.decode()

    # 6 files x 2 weeks x 12.5 h = 150 h planned.
    assert re.search(r"Heures d&#x27;activité prévues \(plans d&#x27;action\)</dt>\s*<dd[^>]*>\s*150\xa0h", page)
    assert re.search(r"Heures d&#x27;activité réalisées</dt>\s*<dd[^>]*>\s*s\s", page)
    assert "Heures d&#x27;activité prévues et réalisées</dt>" in page
    assert "Définitions des indicateurs" in page
