import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from accompaniment.enums import RightsState
from audit.models import Action, AuditLog
from orientation.models import Orientation
from tests.factories import BeneficiaryFactory, commune

from .factories import DiagnosticFactory, OrientationFactory

URL = "/orientation/"
TODAY = datetime.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-11-20 10:00"):
        yield


def _file(days_ago, **fields):
    return BeneficiaryFactory(flux_date=TODAY - datetime.timedelta(days=days_ago), **fields)


def _names(response):
    return [row.file.last_name for row in response.context["rows"]]


def test_the_worklist_url_is_the_orientation_root():
    assert reverse("orientation:worklist") == URL


def test_the_worklist_shows_files_to_orient_oldest_flux_first_with_days_waited(client, officer, referent, aix):
    _file(10, last_name="Recent")
    _file(60, last_name="Ancien")
    _file(30, last_name="Moyen", commune=commune("13001"))
    oriented = _file(90, last_name="Oriente")
    OrientationFactory(beneficiary=oriented, decided_by=officer)
    _file(100, last_name="Clos", rights_state=RightsState.CLOSED)
    client.force_login(officer)
    response = client.get(URL)
    assert response.status_code == 200
    assert _names(response) == ["Ancien", "Moyen", "Recent"]
    assert [row.days_waited for row in response.context["rows"]] == [60, 30, 10]


def test_a_referent_gets_403_on_the_worklist(client, referent):
    client.force_login(referent)
    assert client.get(URL).status_code == 403


def test_unassigned_files_are_flagged_and_can_be_listed_alone(client, officer):
    _file(20, last_name="Affecte")
    _file(15, last_name="Inconnu", commune=None, postal_code="", city="")
    client.force_login(officer)
    page = client.get(URL).content.decode()
    assert page.count(">Non affecté</span>") == 1
    response = client.get(URL, {"unassigned": "on"})
    assert _names(response) == ["Inconnu"]


def test_the_worklist_filters_by_sector_commune_wait_and_text(client, officer, aix, marseille_sud):
    _file(50, last_name="Martin", first_name="Jeanne")
    _file(20, last_name="Bernard", first_name="Paul")
    _file(45, last_name="Aixois", first_name="Louis", commune=commune("13001"))
    client.force_login(officer)
    assert _names(client.get(URL, {"sector": aix.pk})) == ["Aixois"]
    assert _names(client.get(URL, {"commune": commune("13208").pk})) == ["Martin", "Bernard"]
    assert _names(client.get(URL, {"waited": "44"})) == ["Martin", "Aixois"]
    assert _names(client.get(URL, {"q": "jeanne"})) == ["Martin"]
    assert _names(client.get(URL, {"waited": "n'importe quoi"})) == ["Martin", "Aixois", "Bernard"]


def test_the_worklist_preselects_the_pathway_suggested_by_the_latest_diagnostic(client, officer, referent):
    file = _file(20)
    DiagnosticFactory(beneficiary=file, created_by=referent, suggested_pathway="remobilisation")
    client.force_login(officer)
    response = client.get(URL)
    row = response.context["rows"][0]
    assert row.form["pathway"].value() == "remobilisation"
    assert row.form["decided_on"].value() == TODAY
    assert row.suggested_pathway_label == "Remobilisation (parcours social)"
    assert "<td>Remobilisation (parcours social)</td>" in response.content.decode()


def test_the_worklist_runs_the_same_queries_for_5_and_50_files(client, officer, referent):
    client.force_login(officer)

    def count_queries(n):
        for i in range(n):
            file = _file(i % 70)
            if i % 3 == 0:
                DiagnosticFactory(beneficiary=file, created_by=referent)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    five = count_queries(5)
    fifty = count_queries(45)
    assert five == fifty


def test_the_worklist_is_paginated_by_50_and_audited(client, officer):
    files = [_file(i) for i in range(52)]
    client.force_login(officer)
    response = client.get(URL)
    assert len(response.context["rows"]) == 50
    assert len(client.get(URL, {"page": 2}).context["rows"]) == 2
    entry = AuditLog.objects.filter(action=Action.LIST).order_by("id").first()
    assert entry.count == 50 and entry.user == officer
    assert set(entry.object_ids) == {f.pk for f in files[2:]}  # the oldest 50 (waited 51 … 2 days)


# Quick decision ---------------------------------------------------------------------------------------------
def _quick(file, organisation, **overrides):
    prefix = f"d{file.pk}"
    data = {
        "dossier": file.pk,
        f"{prefix}-pathway": "social_pro",
        f"{prefix}-organisation": organisation.pk,
        f"{prefix}-decided_on": "20/11/2026",
    }
    data.update({f"{prefix}-{k}": v for k, v in overrides.items()})
    return data


def test_a_quick_decision_by_htmx_replaces_the_row_with_a_confirmation(client, officer, ft_agency):
    file = _file(30, first_name="Awa", last_name="Diallo")
    client.force_login(officer)
    response = client.post(URL, _quick(file, ft_agency), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<tr id="dossier-{file.pk}"')
    assert "Orienté vers France Travail Marseille Prado (Socio-professionnel) le 20/11/2026" in html
    assert "<html" not in html
    orientation = Orientation.objects.get(beneficiary=file)
    assert orientation.decided_by == officer and orientation.decided_on == TODAY
    assert file.pk not in [row.file.pk for row in client.get(URL).context["rows"]]


def test_a_quick_decision_without_javascript_redirects_back_with_a_message(client, officer, ft_agency):
    file = _file(30, first_name="Awa", last_name="Diallo")
    client.force_login(officer)
    response = client.post(f"{URL}?waited=10", _quick(file, ft_agency))
    assert response.status_code == 302 and response["Location"] == f"{URL}?waited=10"
    page = client.get(response["Location"]).content.decode()
    assert "Le dossier de Awa DIALLO est orienté vers France Travail Marseille Prado" in page
    assert Orientation.objects.filter(beneficiary=file).exists()


def test_an_invalid_quick_decision_shows_the_error_on_its_row(client, officer, ft_agency):
    file = _file(30)
    client.force_login(officer)
    fragment = client.post(URL, _quick(file, ft_agency, pathway=""), headers={"HX-Request": "true"})
    assert f'id="id_d{file.pk}-pathway_error"' in fragment.content.decode()
    page = client.post(URL, _quick(file, ft_agency, decided_on="21/11/2026"))
    assert page.status_code == 200
    assert "La date de décision ne peut pas être dans le futur." in page.content.decode()
    assert not Orientation.objects.exists()


def test_a_quick_decision_on_a_file_already_oriented_says_so(client, officer, ft_agency):
    file = _file(30)
    OrientationFactory(beneficiary=file, decided_by=officer)
    client.force_login(officer)
    response = client.post(URL, _quick(file, ft_agency), headers={"HX-Request": "true"})
    assert "est plus à orienter (orienté)" in response.content.decode()
    assert Orientation.objects.filter(beneficiary=file).count() == 1


def test_a_quick_decision_on_a_file_out_of_reach_answers_404(client, ft_agency):
    from partners.enums import Role
    from tests.factories import UserFactory

    file = _file(30)
    outsider = UserFactory(organisation=ft_agency, roles=[Role.ORIENTATION_OFFICER])
    client.force_login(outsider)
    assert client.post(URL, _quick(file, ft_agency), headers={"HX-Request": "true"}).status_code == 404
    assert not Orientation.objects.exists()
