"""Dashboards and COPIL reports in the browser: who reads them, what the PDF holds, frozen reports."""

import datetime
import json
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
