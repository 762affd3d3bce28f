"""The France Travail review queue page: orientation officers only, rows of their sectors, audited."""

import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accompaniment.enums import ReviewStatus
from accompaniment.models import Beneficiary, FranceTravailReviewRow
from audit.models import Action, AuditLog
from partners.enums import OrganisationType, Role, SectorKind
from tests.factories import BeneficiaryFactory, OrganisationFactory, SectorFactory, UserFactory, commune

from .extract import extract, row

URL = "/dossiers/france-travail/a-rapprocher/"
BIRTH = datetime.date(1988, 4, 12)


@pytest.fixture
def officer(departement):
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])


@pytest.fixture
def queued(run_extract, marseille_sud):
    """Two files named Claire Martin born on the same day in Marseille 8e: the row is ambiguous."""
    files = [BeneficiaryFactory(first_name="Claire", last_name="Martin", birth_date=BIRTH) for _ in range(2)]
    run_extract(extract(row(adresse_ligne6="13008 MARSEILLE")))
    return FranceTravailReviewRow.objects.get(), files


def test_the_url_is_under_the_files(db):
    assert reverse("accompaniment:ft_review") == URL


def test_an_officer_sees_the_rows_of_their_sectors_with_the_candidate_files(client, officer, queued):
    review_row, files = queued
    client.force_login(officer)

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "CLAIRE MARTIN" in page and "Plusieurs dossiers correspondent" in page
    assert [entry["row"] for entry in response.context["entries"]] == [review_row]
    assert {f.pk for f in response.context["entries"][0]["candidates"]} == {f.pk for f in files}
    for file in files:
        assert f"Dossier n° {file.pk}" in page
    listed = AuditLog.objects.filter(action=Action.LIST, path=URL)
    assert set(listed.values_list("object_type", flat=True)) == {
        "accompaniment.francetravailreviewrow",
        "accompaniment.beneficiary",
    }


@pytest.mark.parametrize("persona", ["referent", "other_organisation_user", "stranger"])
def test_who_is_not_an_orientation_officer_gets_403(client, request, persona, queued):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_an_officer_of_another_area_does_not_see_the_row(client, queued, aix):
    north = SectorFactory(code="FT-NORD", kind=SectorKind.FRANCE_TRAVAIL_AREA, communes=[commune("13215")])
    agency = OrganisationFactory(code="FT-NORD", type=OrganisationType.FRANCE_TRAVAIL, sectors=[north])
    client.force_login(UserFactory(organisation=agency, roles=[Role.ORIENTATION_OFFICER]))

    response = client.get(URL)

    assert response.status_code == 200 and response.context["entries"] == []
    review_row, _ = queued
    assert client.post(URL, {"ligne": review_row.pk, "action": "dismiss"}).status_code == 404


def test_rows_of_no_known_sector_go_to_the_departements_officers(client, officer, run_extract):
    run_extract(extract(row()))  # Toulon: not a commune of the Département
    client.force_login(officer)
    assert len(client.get(URL).context["entries"]) == 1


def test_linking_a_row_to_a_proposed_file(client, officer, queued):
    review_row, files = queued
    client.force_login(officer)

    response = client.post(
        URL, {"ligne": review_row.pk, "action": "link", f"r{review_row.pk}-file": files[1].pk}, follow=True
    )

    assert response.status_code == 200
    assert f"rattachée au dossier n° {files[1].pk}" in response.content.decode()
    review_row.refresh_from_db()
    assert (review_row.status, review_row.beneficiary, review_row.decided_by) == (
        ReviewStatus.LINKED,
        files[1],
        officer,
    )
    assert Beneficiary.objects.get(pk=files[1].pk).france_travail_registration.modality == "GLOBAL"
    # Saved one by one by an officer: audited.
    assert AuditLog.objects.filter(action=Action.UPDATE, object_type="accompaniment.francetravailreviewrow").exists()
    assert response.context["entries"] == []


def test_linking_to_another_file_by_its_number(client, officer, queued):
    review_row, _ = queued
    elsewhere = BeneficiaryFactory(first_name="Claire", last_name="Martin-Dupont", birth_date=BIRTH)
    client.force_login(officer)

    client.post(URL, {"ligne": review_row.pk, "action": "link", f"r{review_row.pk}-other_file": elsewhere.pk})

    review_row.refresh_from_db()
    assert review_row.beneficiary == elsewhere


@pytest.mark.parametrize("exists", [True, False], ids=["a-file-out-of-reach", "no-such-file"])
def test_a_file_number_out_of_reach_is_refused_next_to_the_field_without_telling_if_it_exists(
    client, officer, queued, exists
):
    review_row, _ = queued
    arles = SectorFactory(code="CAS-ARLES", kind=SectorKind.SOCIAL_ACTION_DISTRICT, communes=[commune("13004")])
    hidden = BeneficiaryFactory(commune=commune("13004"))
    assert hidden.sector == arles and not Beneficiary.objects.for_user(officer).filter(pk=hidden.pk).exists()
    client.force_login(officer)

    number = hidden.pk if exists else hidden.pk + 1000
    response = client.post(URL, {"ligne": review_row.pk, "action": "link", f"r{review_row.pk}-other_file": number})

    assert response.status_code == 200
    form = response.context["entries"][0]["link_form"]
    assert form.errors["other_file"] == ["Aucun dossier de votre périmètre ne porte ce numéro."]
    assert "pas été traitée : voyez l&#x27;erreur" in response.content.decode()
    review_row.refresh_from_db()
    assert review_row.status == ReviewStatus.OPEN


def test_linking_without_choosing_a_file_says_so(client, officer, queued):
    review_row, _ = queued
    client.force_login(officer)
    response = client.post(URL, {"ligne": review_row.pk, "action": "link"})
    form = response.context["entries"][0]["link_form"]
    assert form.non_field_errors() == ["Choisissez un dossier proposé ou indiquez le numéro du dossier."]


def test_dismissing_a_row(client, officer, queued):
    review_row, _ = queued
    client.force_login(officer)

    response = client.post(
        URL, {"ligne": review_row.pk, "action": "dismiss", f"r{review_row.pk}-x-comment": "Hors Département"}
    )

    assert response.status_code == 302
    review_row.refresh_from_db()
    assert (review_row.status, review_row.comment, review_row.decided_by) == (
        ReviewStatus.DISMISSED,
        "Hors Département",
        officer,
    )


def test_the_page_runs_the_same_queries_for_one_row_or_many(client, officer, run_extract):
    client.force_login(officer)
    run_extract(extract(row()))
    client.get(URL)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    run_extract(
        extract(
            *[
                row(identifiant_unique_de=str(uuid.uuid4()), nom=f"NOM{n}", date_naissance=f"19{50 + n}-01-01")
                for n in range(12)
            ]
        )
    )
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(response.context["entries"]) == 13
    assert len(many) == len(few)
