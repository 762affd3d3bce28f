"""In real Chromium: a manager reads the dashboard (charts with their tables), filters it by sector, a COPIL
member downloads the report and freezes it; axe on each page. The figures are those of the quarter before
the day of the run (the dashboard offers the last eight quarters)."""

import datetime

import pytest
from playwright.sync_api import expect

from accompaniment.enums import ExitReason
from partners.enums import Role
from reporting.models import ReportKind, StoredReport
from reporting.periods import quarter_of
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.reporting.cohorts import Cohort

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
QUARTER = quarter_of(datetime.date.today()).previous()


@pytest.fixture
def figures(marseille_sud):
    cohort = Cohort(sector=marseille_sud)
    files = cohort.files(40, rights_opened_on=QUARTER.start + datetime.timedelta(days=5))
    cohort.exits(files[:25], reason=ExitReason.EMPLOI_DURABLE, exited_on=QUARTER.start + datetime.timedelta(days=50))
    cohort.exits(files[25:], reason=ExitReason.ABANDON, exited_on=QUARTER.start + datetime.timedelta(days=63))
    return files


def test_a_manager_reads_the_dashboard_and_a_copil_member_freezes_the_report(
    page, live_server, login, assert_accessible, departement, marseille_sud, figures
):
    manager = UserFactory(organisation=departement, roles=[Role.MANAGER])
    login(page, manager, DEFAULT_PASSWORD)
    page.get_by_role("link", name="Pilotage").click()
    page.get_by_label("Trimestre", exact=True).select_option(label=QUARTER.label)
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Accompagnement et sorties")).to_be_visible()
    expect(page.get_by_role("img", name="Sorties par motif")).to_be_visible()
    exits_table = page.get_by_role("table", name="Sorties de la période par motif")
    expect(exits_table.get_by_role("row", name="Abandon")).to_contain_text("15")
    assert_accessible(page, "le tableau de bord")

    page.get_by_label("Circonscription", exact=True).select_option(label=marseille_sud.name)
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_text(f"{QUARTER.label} — {marseille_sud.name}")).to_be_visible()
    assert_accessible(page, "le tableau de bord d'une circonscription")
    page.get_by_role("button", name="Se déconnecter").click()

    member = UserFactory(organisation=departement, roles=[Role.COPIL])
    login(page, member, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/pilotage/?trimestre={QUARTER.code}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Rapport COPIL (PDF)").click()
    assert download.value.suggested_filename == f"rapport-copil-{QUARTER.code}.pdf"
    page.get_by_role("button", name="Figer ce rapport").click()
    expect(page.get_by_text(f"Rapport figé : {QUARTER.label}")).to_be_visible()
    assert StoredReport.objects.filter(kind=ReportKind.FROZEN).count() == 1
    assert_accessible(page, "la liste des rapports figés")
    page.goto(f"{live_server.url}/dossiers/")
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
