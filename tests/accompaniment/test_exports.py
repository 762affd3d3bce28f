"""Exports of the file list: what the user may see as they filtered it, never the NIR, audited, expiring."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accompaniment import exports
from accompaniment import nir as nir_lib
from accompaniment.enums import ExportStatus
from accompaniment.models import Beneficiary, Export
from audit.models import Action, AuditLog
from config.celery import app
from partners.enums import Role
from tests.factories import BeneficiaryFactory, UserFactory

STEM = "1870613208042"
SENTINEL_NIR = f"{STEM}{nir_lib.key_of(STEM):02d}"
CREATE = reverse("accompaniment:export_create")
EXPORTS = reverse("accompaniment:exports")


@pytest.fixture
def celery_eager(monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", True)


def _download(client, export):
    response = client.get(reverse("accompaniment:export_download", kwargs={"export_pk": export.pk}))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def _csv_rows(content):
    text = content.decode("utf-8")
    assert text.startswith("\ufeff"), "the byte-order mark lets spreadsheets read UTF-8"
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_referent_exports_the_filtered_list_as_csv_without_the_nir(client, referent, private_storage):
    awa = BeneficiaryFactory(created_by=referent, first_name="Awa", last_name="Diallo", nir=SENTINEL_NIR)
    BeneficiaryFactory(created_by=referent, first_name="Jean", last_name="Martin")
    client.force_login(referent)

    response = client.post(CREATE, {"format": "csv", "query": "q=Diallo&page=3&inconnu=1"})

    assert response.status_code == 302 and response["Location"] == EXPORTS
    export = Export.objects.get()
    assert export.status == ExportStatus.READY and export.row_count == 1 and export.query == "q=Diallo"
    rows = _csv_rows(_download(client, export))
    assert rows[0] == exports.HEADERS
    assert [row[:4] for row in rows[1:]] == [[str(awa.pk), "Diallo", "", "Awa"]]
    assert awa.birth_date.strftime("%d/%m/%Y") in rows[1]
    content = "\n".join(";".join(row) for row in rows)
    assert SENTINEL_NIR not in content and STEM not in content
    assert not any("nir" in name for name in exports.VALUE_FIELDS)


def test_an_export_never_contains_a_file_the_user_could_not_open(client, referent, private_storage):
    mine = BeneficiaryFactory(created_by=referent, last_name="Diallo")
    BeneficiaryFactory(last_name="Diallo")  # same name, out of the referent's reach
    client.force_login(referent)

    client.post(CREATE, {"format": "xlsx", "query": "q=Diallo"})

    export = Export.objects.get()
    sheet = load_workbook(io.BytesIO(_download(client, export)), read_only=True).active
    lines = list(sheet.iter_rows(values_only=True))
    assert list(lines[0]) == exports.HEADERS
    exported_ids = {int(line[0]) for line in lines[1:]}
    visible_ids = set(Beneficiary.objects.for_user(referent).values_list("id", flat=True))
    assert exported_ids == {mine.pk} and exported_ids <= visible_ids
    assert isinstance(lines[1][exports.HEADERS.index("Date de naissance")], datetime.datetime)


def test_a_cell_that_looks_like_a_formula_is_written_as_text(client, referent, private_storage):
    BeneficiaryFactory(created_by=referent, first_name='=HYPERLINK("http://x")', last_name="Test")
    client.force_login(referent)

    client.post(CREATE, {"format": "csv", "query": ""})
    client.post(CREATE, {"format": "xlsx", "query": ""})

    csv_export, xlsx_export = Export.objects.order_by("id")
    assert _csv_rows(_download(client, csv_export))[1][3] == '\'=HYPERLINK("http://x")'
    sheet = load_workbook(io.BytesIO(_download(client, xlsx_export))).active
    cell = sheet.cell(row=2, column=4)
    assert cell.value == '\'=HYPERLINK("http://x")' and cell.data_type == "s"


def test_an_export_is_audited_with_its_count_and_its_download_too(client, referent, private_storage):
    BeneficiaryFactory.create_batch(3, created_by=referent)
    client.force_login(referent)

    client.post(CREATE, {"format": "csv", "query": ""})
    export = Export.objects.get()
    _download(client, export)

    entry = AuditLog.objects.get(action=Action.EXPORT)
    assert entry.user == referent and entry.count == 3 and entry.object_type == "accompaniment.beneficiary"
    assert AuditLog.objects.filter(action=Action.DOWNLOAD, object_type="accompaniment.export").count() == 1


def test_a_large_export_is_built_by_the_celery_task_from_its_id(
    client, referent, private_storage, monkeypatch, celery_eager, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "SYNC_MAX_ROWS", 2)
    BeneficiaryFactory.create_batch(3, created_by=referent)
    client.force_login(referent)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(CREATE, {"format": "csv", "query": ""})
    export = Export.objects.get()
    assert export.status == ExportStatus.PENDING and len(callbacks) == 1
    page = client.get(EXPORTS)
    assert "En préparation" in page.content.decode() and 'hx-trigger="every 3s"' in page.content.decode()

    callbacks[0]()  # the task is sent when the request's transaction commits; eager here

    export.refresh_from_db()
    assert export.status == ExportStatus.READY and export.row_count == 3
    assert 'hx-trigger="every 3s"' not in client.get(EXPORTS).content.decode()


def test_nobody_else_downloads_my_export(client, referent, private_storage):
    BeneficiaryFactory(created_by=referent)
    export = exports.request(user=referent, query="", format="csv")
    colleague = UserFactory(organisation=referent.organisation, roles=[Role.REFERENT])
    client.force_login(colleague)

    url = reverse("accompaniment:export_download", kwargs={"export_pk": export.pk})
    assert client.get(url).status_code == 404
    assert list(client.get(EXPORTS).context["exports"]) == []


def test_a_user_without_nominative_access_cannot_export(client, departement, private_storage):
    copil = UserFactory(organisation=departement, roles=[Role.COPIL])
    client.force_login(copil)

    assert (
        client.post(CREATE, {"format": "csv", "query": ""}).status_code == 404
    )  # aggregates only: no such page for the COPIL
    assert client.get(EXPORTS).status_code == 404
    assert not Export.objects.exists()


def test_an_unknown_format_is_refused_with_a_message_and_nothing_exported(client, referent, private_storage):
    client.force_login(referent)

    response = client.post(CREATE, {"format": "pdf", "query": "q=Diallo"}, follow=True)

    assert "Choisissez le format" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("accompaniment:list") + "?q=Diallo"
    assert not Export.objects.exists()


def test_expired_exports_lose_their_file_and_cannot_be_downloaded(client, referent, private_storage):
    BeneficiaryFactory(created_by=referent)
    export = exports.request(user=referent, query="", format="csv")
    stored = private_storage / export.file.name
    assert stored.exists()

    purged = exports.purge_expired(now=timezone.now() + datetime.timedelta(days=8))

    export.refresh_from_db()
    assert purged == 1 and export.status == ExportStatus.EXPIRED and not export.file and not stored.exists()
    client.force_login(referent)
    url = reverse("accompaniment:export_download", kwargs={"export_pk": export.pk})
    response = client.get(url, follow=True)
    assert "pas (ou plus) disponible" in response.content.decode()


def test_a_failed_build_offers_no_file_and_says_so(client, referent, private_storage, monkeypatch):
    def broken(export, path):
        path.write_text("à moitié")
        raise OSError("disque plein")

    monkeypatch.setattr(exports, "write", broken)
    client.force_login(referent)

    response = client.post(CREATE, {"format": "csv", "query": ""}, follow=True)

    export = Export.objects.get()
    assert export.status == ExportStatus.FAILED and not export.file
    assert "pas pu être construit" in response.content.decode()
    assert not any(private_storage.rglob("*.csv"))


def test_the_list_page_carries_its_filters_into_the_export_form(client, referent):
    client.force_login(referent)

    response = client.get(reverse("accompaniment:list") + "?q=Diallo&page=2")

    assert response.context["export_query"] == "q=Diallo"
    assert 'name="query" value="q=Diallo"' in response.content.decode()
