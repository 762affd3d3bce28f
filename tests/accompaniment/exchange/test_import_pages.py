"""The « Imports » pages: upload a file, follow its import live, read its report; the rejected households or rows
are read and downloaded by orientation officers only (audited), admins see counts."""

import csv
import datetime
import hashlib
import io
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accompaniment.enums import ImportKind, ImportStatus
from accompaniment.exchange.registry import purge_expired_imports
from accompaniment.models import DataImport, ImportRejection
from audit.models import Action, AuditLog
from config.celery import app
from partners.enums import OrganisationType, Role
from tests.factories import OrganisationFactory, UserFactory

from .extract import extract, row
from .flux import flux, household, person, valid_nir

IMPORTS = "/dossiers/imports/"
NARROW_SPACE = "\u202f"  # the French thousands separator
BAD_NIR = valid_nir("2880413055123")[:-3] + "X12"  # malformed: refused, and never quoted back


@pytest.fixture
def officer(departement):
    """An orientation officer of the Département."""
    return UserFactory(
        organisation=departement, roles=[Role.ORIENTATION_OFFICER], first_name="Odile", last_name="Orient"
    )


@pytest.fixture
def admin(departement):
    return UserFactory(organisation=departement, roles=[Role.ADMIN], first_name="Alain", last_name="Admin")


@pytest.fixture
def agency_officer(db):
    """An orientation officer of a France Travail agency."""
    agency = OrganisationFactory(code="FT-MRS", type=OrganisationType.FRANCE_TRAVAIL, name="France Travail Marseille")
    return UserFactory(organisation=agency, roles=[Role.ORIENTATION_OFFICER])


@pytest.fixture
def celery_eager(monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", True)


def detail_url(data_import):
    return reverse("accompaniment:import_detail", kwargs={"import_pk": data_import.pk})


def csv_url(data_import):
    return reverse("accompaniment:import_rejections_csv", kwargs={"import_pk": data_import.pk})


def upload(content, name="RSABEM.xml"):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def count_shown(page, label):
    """The figure the report shows under `label`."""
    match = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>\s*([\d{NARROW_SPACE}]+)\s*</dd>", page)
    assert match, f"no count labelled {label!r}"
    return int(match[1].replace(NARROW_SPACE, ""))


def flux_with_a_bad_household():
    """Two valid households around one whose person has an impossible birth date and a malformed NIR."""
    return flux(
        household("0000001", persons=[person(nir="1750513055001", first="Paul", last="DURAND", sex="1")]),
        household("0000002", persons=[person(nir=BAD_NIR, birth="1988-13-45")]),
        household("0000003", persons=[person(nir="2900713055003", first="Inès", last="BENALI")]),
    )


@pytest.fixture
def imported(client, officer, celery_eager, django_capture_on_commit_callbacks):
    """Uploads `content` as the officer; the task runs eagerly once the upload is committed. Returns the import."""

    def run(content, *, name="RSABEM.xml", kind="auto", user=officer):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(IMPORTS, {"file": upload(content, name), "kind": kind})
        data_import = DataImport.objects.latest("id")
        assert response.status_code == 302 and response["Location"] == detail_url(data_import)
        data_import.refresh_from_db()
        return data_import

    return run


def test_the_urls_are_under_the_files(db):
    assert reverse("accompaniment:imports") == IMPORTS
    assert reverse("accompaniment:import_detail", kwargs={"import_pk": 7}) == "/dossiers/imports/7/"
    assert reverse("accompaniment:import_rejections_csv", kwargs={"import_pk": 7}) == "/dossiers/imports/7/rejets.csv"


# Upload -----------------------------------------------------------------------------------------------------
def test_an_upload_is_stored_and_its_task_sent_on_commit_with_the_import_id_only(
    client, officer, django_capture_on_commit_callbacks, monkeypatch, private_storage
):
    task = mock.Mock()
    monkeypatch.setattr("accompaniment.tasks.run_data_import", task)
    client.force_login(officer)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(IMPORTS, {"file": upload(flux_with_a_bad_household()), "kind": "auto"})
        task.delay.assert_not_called()  # not before the registration is committed

    data_import = DataImport.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(data_import)
    assert (data_import.status, data_import.kind, data_import.imported_by) == (
        ImportStatus.RECEIVED,
        ImportKind.CAF,
        officer,
    )
    assert data_import.file_name == "RSABEM.xml" and len(data_import.checksum) == 64
    assert data_import.stored_file.name.startswith("imports/") and "RSABEM" not in data_import.stored_file.name
    assert data_import.expires_on == timezone.localdate() + datetime.timedelta(days=90)
    assert len(callbacks) == 1
    callbacks[0]()
    task.delay.assert_called_once_with(data_import.pk)


def test_the_task_sent_on_commit_runs_the_import_and_the_page_shows_its_report(imported, client):
    data_import = imported(flux_with_a_bad_household())

    assert data_import.status == ImportStatus.DONE
    assert data_import.summary == "created=2 updated=0 unchanged=0 rejected=1"
    response = client.get(detail_url(data_import))
    page = response.content.decode()
    assert "Rapport d'import" in page and "Import terminé le" in page
    assert 'hx-trigger="every 2s"' not in page  # finished: nothing to poll
    assert count_shown(page, "Foyers créés") == 2
    assert count_shown(page, "Foyers rejetés") == 1
    assert count_shown(page, "Dossiers créés") == data_import.files_created == 2
    assert "Foyer CAF 131 n° 0000002" in page and "DTNAI" in page
    assert "Télécharger les rejets (CSV)" in page and csv_url(data_import) in page
    assert "personne ne peut la télécharger" in page  # the stored copy itself is never offered


def test_the_report_of_an_officer_lists_the_rejected_households_and_is_audited(imported, client):
    data_import = imported(flux_with_a_bad_household())
    rejection = ImportRejection.objects.get()

    client.get(detail_url(data_import))

    entry = AuditLog.objects.get(action=Action.LIST, object_type="accompaniment.importrejection")
    assert entry.object_ids == [rejection.pk] and entry.path == detail_url(data_import)


def test_a_france_travail_extract_is_recognised_from_its_header(imported, client):
    data_import = imported(extract(row()).encode(), name="extrait.csv")

    assert data_import.kind == ImportKind.FRANCE_TRAVAIL and data_import.status == ImportStatus.DONE
    page = client.get(detail_url(data_import)).content.decode()
    assert "Lignes à rapprocher" in page and "Inscriptions créées" in page


def test_an_msa_flux_uploaded_as_a_flux_is_registered_as_msa(imported):
    data_import = imported(flux(household(fund="MSA", number="013")), kind=ImportKind.CAF)
    assert data_import.kind == ImportKind.MSA


def test_the_same_file_uploaded_again_says_so_at_once_sends_no_task_and_keeps_no_copy(
    imported, client, django_capture_on_commit_callbacks, private_storage
):
    content = flux_with_a_bad_household()
    first = imported(content)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(IMPORTS, {"file": upload(content, "copie.xml"), "kind": "auto"}, follow=True)

    again = DataImport.objects.latest("id")
    assert callbacks == []
    assert (again.status, again.duplicate_of) == (ImportStatus.DUPLICATE, first)
    assert again.summary == "created=0 updated=0 unchanged=2 rejected=1"
    assert not again.stored_file
    page = response.content.decode()
    assert "déjà été importé le" in page and f"import n° {first.pk}" in page
    assert f"Voir le rapport de l'import n° {first.pk}" in page


def test_a_file_still_being_imported_cannot_be_sent_a_second_time(client, officer):
    content = flux(household())
    running = DataImport.objects.create(
        kind=ImportKind.CAF,
        file_name="RSABEM.xml",
        checksum=hashlib.sha256(content).hexdigest(),
        status=ImportStatus.RUNNING,
    )
    client.force_login(officer)

    response = client.post(IMPORTS, {"file": upload(content), "kind": "auto"})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        f"Ce fichier est déjà en cours d'import (import n° {running.pk}) : suivez-le sur sa page plutôt que de "
        "l'envoyer à nouveau."
    ]
    assert DataImport.objects.count() == 1


def test_a_truncated_file_is_refused_with_its_message_and_nothing_is_written(imported, client):
    content = flux(household("1"), household("2"), household("3"))

    data_import = imported(content[: len(content) * 2 // 3])

    assert data_import.status == ImportStatus.REFUSED
    page = client.get(detail_url(data_import)).content.decode()
    assert "Fichier refusé : rien de ce fichier n'a été importé." in page
    assert "tronqué" in page and "Foyers créés" not in page
    assert not ImportRejection.objects.exists()


def test_a_file_that_is_neither_a_flux_nor_an_extract_is_refused_next_to_the_field(client, officer):
    client.force_login(officer)
    response = client.post(IMPORTS, {"file": upload(b"%PDF-1.7 binary", "courrier.pdf"), "kind": "auto"})
    assert response.status_code == 200
    assert "ni un flux XML CAF ou MSA ni un extrait CSV France Travail" in response.context["form"].errors["file"][0]
    assert not DataImport.objects.exists()


def test_a_kind_chosen_against_the_content_is_refused_next_to_the_choice(client, officer):
    client.force_login(officer)
    response = client.post(IMPORTS, {"file": upload(flux(household())), "kind": ImportKind.FRANCE_TRAVAIL})
    assert response.context["form"].errors["kind"] == [
        "Ce fichier ressemble à un flux CAF ou MSA (XML), pas à un extrait France Travail (CSV) : vérifiez le fichier "
        "ou sa nature."
    ]
    assert not DataImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_next_to_the_field(client, officer, settings):
    settings.PARCOURS_IMPORT_MAX_BYTES = 1024
    client.force_login(officer)
    response = client.post(IMPORTS, {"file": upload(b"<Racine>" + b" " * 2048 + b"</Racine>"), "kind": "auto"})
    assert (
        response.context["form"]
        .errors["file"][0]
        .startswith("Ce fichier fait 2,0\xa0Kio : la limite est de 1,0\xa0Kio.")
    )
    assert not DataImport.objects.exists()


def test_an_upload_without_a_file_says_so(client, officer):
    client.force_login(officer)
    response = client.post(IMPORTS, {"kind": "auto"})
    assert response.context["form"].errors["file"] == ["Choisissez le fichier à importer."]


# Progress -----------------------------------------------------------------------------------------------------
def running_import(**values):
    return DataImport.objects.create(
        **{
            "kind": ImportKind.CAF,
            "file_name": "RSABEM.xml",
            "checksum": "a" * 64,
            "status": ImportStatus.RUNNING,
            "total": 50_000,
            "processed": 12_000,
            "created": 11_000,
            "rejected": 3,
            **values,
        }
    )


def test_the_progress_partial_gives_the_bar_its_values_and_polls_every_two_seconds(client, officer):
    data_import = running_import()
    client.force_login(officer)

    response = client.get(detail_url(data_import), headers={"HX-Request": "true"})

    page = response.content.decode()
    assert response.templates[0].name == "accompaniment/_import_state.html"
    assert "HX-Request" in response["Vary"]
    assert 'role="progressbar"' in page
    assert 'aria-valuenow="12000"' in page and 'aria-valuemin="0"' in page and 'aria-valuemax="50000"' in page
    assert f"12{NARROW_SPACE}000 / 50{NARROW_SPACE}000 foyers" in page
    assert "progress-pct-24" in page
    assert f'hx-get="{detail_url(data_import)}" hx-trigger="every 2s" hx-swap="outerHTML"' in page
    assert "hx-swap-oob" not in page  # nothing to announce yet
    assert "Flux créé le / date de référence" in page  # the facts read from the file refresh with the progress
    assert "11" + NARROW_SPACE + "000 créations" in page and "3 rejets" in page


def test_the_import_page_works_without_javascript_with_a_refresh_link_and_a_live_region(client, officer):
    data_import = running_import()
    client.force_login(officer)

    page = client.get(detail_url(data_import)).content.decode()

    assert f'<a href="{detail_url(data_import)}">Rafraîchir</a>' in page
    assert 'id="import-announce"' in page and 'aria-live="polite"' in page
    assert 'role="progressbar"' in page


def test_a_received_import_waits_with_an_indeterminate_bar(client, officer):
    data_import = running_import(status=ImportStatus.RECEIVED, total=None, processed=0)
    client.force_login(officer)

    page = client.get(detail_url(data_import), headers={"HX-Request": "true"}).content.decode()

    assert "son import démarre dès qu'un processus de traitement est disponible" in page
    assert 'role="progressbar"' in page and "aria-valuenow" not in page
    assert 'aria-valuetext="En attente"' in page


def test_the_poll_that_finds_the_import_finished_swaps_in_the_report_and_announces_it(client, officer):
    data_import = running_import(status=ImportStatus.DONE, processed=50_000, total=50_000, created=49_997)
    client.force_login(officer)

    page = client.get(detail_url(data_import), headers={"HX-Request": "true"}).content.decode()

    assert "hx-trigger" not in page and "Rapport d'import" in page
    assert '<div id="import-announce" hx-swap-oob="innerHTML">' in page
    assert f"Import terminé : 49{NARROW_SPACE}997 créations, 0 mise à jour, 0 sans changement, 3 rejets." in page


def test_each_poll_reads_the_import_once_and_writes_no_audit_entry(client, officer):
    data_import = running_import()
    client.force_login(officer)
    client.get(detail_url(data_import), headers={"HX-Request": "true"})
    with CaptureQueriesContext(connection) as queries:
        client.get(detail_url(data_import), headers={"HX-Request": "true"})
    sql = [query["sql"] for query in queries.captured_queries]
    assert len([q for q in sql if "accompaniment_" in q]) == 1  # the import; nothing nominative is shown
    assert not [q for q in sql if "audit_" in q]


# Who sees what ----------------------------------------------------------------------------------------------
def test_an_admin_uploads_and_sees_the_counts_but_never_the_rejected_households(
    imported, client, admin, private_storage
):
    data_import = imported(flux_with_a_bad_household(), user=admin)

    response = client.get(detail_url(data_import))

    page = " ".join(response.content.decode().split())
    assert response.status_code == 200 and data_import.imported_by == admin
    assert count_shown(page, "Foyers créés") == 2 and count_shown(page, "Foyers rejetés") == 1
    assert "0000002" not in page and "DTNAI" not in page and "Télécharger les rejets" not in page
    assert "Le détail de ce rejet est nominatif : il est réservé aux chargés d'orientation" in page
    assert not AuditLog.objects.filter(object_type="accompaniment.importrejection").exists()
    assert client.get(csv_url(data_import)).status_code == 403


@pytest.mark.parametrize("persona", ["referent", "other_organisation_user", "stranger"])
def test_who_is_neither_an_admin_nor_an_orientation_officer_gets_403(client, request, persona, db):
    data_import = running_import(status=ImportStatus.DONE)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(IMPORTS).status_code == 403
    assert client.post(IMPORTS, {"file": upload(flux(household())), "kind": "auto"}).status_code == 403
    assert client.get(detail_url(data_import)).status_code == 403
    assert client.get(csv_url(data_import)).status_code == 403
    assert DataImport.objects.count() == 1


def test_anonymous_users_are_sent_to_the_login_page(client, db):
    data_import = running_import()
    for url in (IMPORTS, detail_url(data_import), csv_url(data_import)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_agency_officer_reads_the_rejected_rows_of_france_travail_extracts_not_of_a_caf_flux(
    imported, client, agency_officer, officer
):
    caf = imported(flux_with_a_bad_household())
    extract_import = imported(extract(row(date_naissance="1988-02-30")).encode(), name="extrait.csv")
    assert extract_import.rejected == 1
    client.force_login(agency_officer)

    caf_page = " ".join(client.get(detail_url(caf)).content.decode().split())
    assert "0000002" not in caf_page and "réservé aux chargés d'orientation du Département" in caf_page
    assert client.get(csv_url(caf)).status_code == 403
    assert "date_naissance" in client.get(detail_url(extract_import)).content.decode()
    assert client.get(csv_url(extract_import)).status_code == 200


def test_an_agency_officer_reads_the_rejected_households_of_a_flux_they_imported(imported, client, agency_officer):
    data_import = imported(flux_with_a_bad_household(), user=agency_officer)
    assert "Foyer CAF 131 n° 0000002" in client.get(detail_url(data_import)).content.decode()
    assert client.get(csv_url(data_import)).status_code == 200


def test_the_navigation_offers_imports_to_officers_and_admins_only(client, officer, admin, referent):
    link = f'href="{IMPORTS}">Imports</a>'
    for user, shown in ((officer, True), (admin, True), (referent, False)):
        client.force_login(user)
        page = client.get(reverse("accompaniment:list") if user is referent else IMPORTS).content.decode()
        assert (link in page) is shown


def test_the_france_travail_review_page_links_to_the_imports(client, officer):
    client.force_login(officer)
    page = client.get(reverse("accompaniment:ft_review")).content.decode()
    assert f'<a href="{IMPORTS}">Imports</a>' in page


# The rejected rows as CSV -------------------------------------------------------------------------------------
def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff"), "the byte-order mark lets spreadsheets read UTF-8"
    return content, list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_the_rejections_csv_lists_every_rejected_household_without_the_nir_and_is_audited(imported, client):
    data_import = imported(flux_with_a_bad_household())

    response = client.get(csv_url(data_import))

    assert response["Content-Disposition"] == f'attachment; filename="rejets-import-{data_import.pk}.csv"'
    content, rows = _csv(response)
    assert rows[0] == ["Rang du foyer dans le fichier", "Identification", "Élément en cause", "Motif du rejet"]
    assert len(rows) == 2
    position, identifier, element, reason = rows[1]
    assert (position, identifier, element) == ("2", "CAF 131 n° 0000002", "DTNAI")
    assert "DTNAI" in reason and "NIR" in reason
    assert BAD_NIR not in content and BAD_NIR[:13] not in content
    entry = AuditLog.objects.get(action=Action.DOWNLOAD)
    assert (entry.object_type, entry.object_id, entry.count, entry.path) == (
        "accompaniment.dataimport",
        str(data_import.pk),
        1,
        csv_url(data_import),
    )


def test_a_rejection_that_looks_like_a_formula_is_written_as_text(client, officer):
    data_import = running_import(status=ImportStatus.DONE, kind=ImportKind.FRANCE_TRAVAIL, rejected=1)
    ImportRejection.objects.create(
        data_import=data_import, position=3, identifier='=HYPERLINK("http://x")', element="nom", reason="+1 ; -2"
    )
    client.force_login(officer)

    _, rows = _csv(client.get(csv_url(data_import)))

    assert rows[0][0] == "Ligne du fichier"
    assert rows[1] == ["3", '\'=HYPERLINK("http://x")', "nom", "'+1 ; -2"]


def test_rejections_expire_with_the_stored_file_and_the_counts_stay(imported, client, officer, private_storage):
    with freeze_time("2026-01-10"):
        data_import = imported(flux_with_a_bad_household())
    name = data_import.stored_file.name
    assert private_storage.exists(name)

    with freeze_time("2026-04-11"):  # the 91st day: past the 90 days of retention
        assert purge_expired_imports() == 1
        data_import.refresh_from_db()
        assert not ImportRejection.objects.exists() and not data_import.stored_file
        assert not private_storage.exists(name)
        assert data_import.rejected == 1
        client.force_login(officer)
        page = client.get(detail_url(data_import)).content.decode()
        assert "Le détail des rejets a été supprimé au terme de sa durée de conservation" in page
        assert "Télécharger les rejets" not in page
        response = client.get(csv_url(data_import), follow=True)
    assert response.redirect_chain == [(detail_url(data_import), 302)]
    assert "seuls les compteurs restent" in response.content.decode()
    assert not AuditLog.objects.filter(action=Action.DOWNLOAD).exists()


# The list of imports ------------------------------------------------------------------------------------------
def test_the_list_shows_every_import_newest_first_with_its_counts(imported, client, admin):
    first = imported(flux_with_a_bad_household(), name="premier.xml")
    second = imported(extract(row()).encode(), name="extrait.csv")
    client.force_login(admin)

    response = client.get(IMPORTS)

    assert list(response.context["page_obj"]) == [second, first]
    page = response.content.decode()
    assert "premier.xml" in page and "extrait.csv" in page and "Odile Orient" in page
    assert "Flux CAF (VRSB0801)" in page and "Extrait France Travail" in page
    assert "2 fichiers reçus" in page
    assert not AuditLog.objects.filter(action__in=[Action.LIST, Action.READ]).exists()  # counts: not nominative


def test_the_list_runs_the_same_queries_for_one_import_or_many(client, officer):
    client.force_login(officer)
    running_import(imported_by=officer)
    client.get(IMPORTS)
    with CaptureQueriesContext(connection) as few:
        client.get(IMPORTS)
    for _ in range(12):
        running_import(imported_by=UserFactory(roles=[Role.ORIENTATION_OFFICER]), status=ImportStatus.DONE)
    with CaptureQueriesContext(connection) as many:
        response = client.get(IMPORTS)
    assert len(response.context["page_obj"]) == 13
    assert len(many) == len(few)


def test_the_list_is_paginated(client, officer, settings):
    settings.PARCOURS_PAGE_SIZE = 2
    for _ in range(3):
        running_import()
    client.force_login(officer)
    assert len(client.get(IMPORTS).context["page_obj"]) == 2
    assert len(client.get(IMPORTS + "?page=2").context["page_obj"]) == 1
