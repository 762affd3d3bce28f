"""In real Chromium: an orientation officer uploads a generated CAF flux, watches its import progress, reads the
report with its counts and downloads the rejected household as CSV; axe finds nothing serious.

The import really runs in the background: the task sent on commit runs in a thread of its own, as a Celery worker
would (its own database connection; the browser test database is a SQLite file for that, see conftest.py), while
the page polls. So that the progress is seen whatever the machine's speed, the import goes by chunks of 100
households and, once its first chunk is committed, waits until the test has seen « 100 / 300 foyers » on the page;
every figure shown comes from what the import itself committed.
"""

import threading

import pytest
from django.db import connections
from playwright.sync_api import expect

from accompaniment import tasks
from accompaniment.enums import ImportStatus
from accompaniment.exchange import caf_flux
from accompaniment.exchange.generator import generate_flux
from accompaniment.models import DataImport
from partners.enums import Role
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOUSEHOLDS = 300
CHUNK = 100
WAIT = 30  # seconds: the longest the worker waits for the test, and the test for the import


@pytest.fixture
def background_worker(monkeypatch):
    """Each import task sent is run by a thread, which closes its connection when done; the test fails on any error
    raised there."""
    task, threads, errors = tasks.run_data_import, [], []

    def work(import_id):
        try:
            task.apply(args=[import_id], throw=True)
        except Exception as error:  # reported by the fixture
            errors.append(error)
        finally:
            connections.close_all()

    class Sender:
        @staticmethod
        def delay(import_id):
            thread = threading.Thread(target=work, args=(import_id,), daemon=True)
            threads.append(thread)
            thread.start()

    monkeypatch.setattr(tasks, "run_data_import", Sender)
    yield
    for thread in threads:
        thread.join(timeout=WAIT)
    assert not errors, errors


@pytest.fixture
def first_chunk_seen(monkeypatch):
    """Chunks of 100 households; after committing the first one, the import waits for this event."""
    seen = threading.Event()
    count = caf_flux.FluxImport._count

    def count_then_wait(self, result, size):
        count(self, result, size)
        if self.data_import.processed == CHUNK:
            seen.wait(timeout=WAIT)

    monkeypatch.setattr(caf_flux, "CHUNK_SIZE", CHUNK)
    monkeypatch.setattr(caf_flux.FluxImport, "_count", count_then_wait)
    return seen


@pytest.fixture
def flux_with_one_bad_household(tmp_path):
    """A generated monthly flux of 300 households in which the 200th household's first person has an impossible
    birth date."""
    path = tmp_path / "RSABEM-131.xml"
    generate_flux(path, households=HOUSEHOLDS, seed=11)
    content = path.read_bytes()
    position = -1
    for _ in range(200):
        position = content.index(b"<InfosFoyerRSA>", position + 1)
    start = content.index(b"<DTNAI>", position) + len(b"<DTNAI>")
    path.write_bytes(content[:start] + b"1988-13-45" + content[start + 10 :])
    return path


def test_officer_uploads_a_flux_follows_its_progress_and_downloads_the_rejected_household(
    page,
    live_server,
    login,
    assert_accessible,
    departement,
    background_worker,
    first_chunk_seen,
    flux_with_one_bad_household,
):
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    login(page, officer, DEFAULT_PASSWORD)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imports")
    expect(page.get_by_text("Aucun fichier n'a encore été importé.")).to_be_visible()
    assert_accessible(page, "la page des imports")

    page.get_by_label("Fichier à importer").set_input_files(flux_with_one_bad_household)
    page.get_by_role("button", name="Importer le fichier").click()

    # The import's page: the request returned at once, the worker runs the import.
    expect(page.get_by_role("heading", level=1)).to_contain_text("RSABEM-131.xml")
    expect(
        page.get_by_text(
            "Le fichier « RSABEM-131.xml » est bien reçu : son import et son rapport s'affichent ci-dessous."
        )
    ).to_be_visible()
    progress = page.get_by_role("progressbar", name="Avancement de l'import")
    expect(progress).to_have_attribute("aria-valuenow", str(CHUNK), timeout=WAIT * 1000)
    expect(progress).to_have_attribute("aria-valuemax", str(HOUSEHOLDS))
    expect(page.locator("[data-import-progress]")).to_have_text(f"{CHUNK} / {HOUSEHOLDS} foyers")
    expect(page.get_by_role("link", name="Rafraîchir")).to_be_visible()
    assert DataImport.objects.get().status == ImportStatus.RUNNING
    assert_accessible(page, "un import en cours")
    first_chunk_seen.set()

    # The poll that finds it finished swaps in the report and announces it.
    expect(page.get_by_role("heading", name="Rapport d'import")).to_be_visible(timeout=WAIT * 1000)
    expect(page.locator("#import-announce")).to_contain_text("Import terminé : 299 créations")
    expect(progress).to_have_count(0)
    counts = page.locator(".import-counts")
    expect(counts.locator("div", has_text="Foyers créés").locator("dd")).to_have_text("299")
    expect(counts.locator("div", has_text="Foyers rejetés").locator("dd")).to_have_text("1")
    expect(page.get_by_role("cell", name="200", exact=True)).to_be_visible()
    assert_accessible(page, "le rapport d'import")
    data_import = DataImport.objects.get()
    assert data_import.summary == f"created={HOUSEHOLDS - 1} updated=0 unchanged=0 rejected=1"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger les rejets (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == f"rejets-import-{data_import.pk}.csv"
    content = download.path().read_bytes().decode("utf-8")
    lines = content.lstrip("\ufeff").strip().split("\r\n")
    assert lines[0] == "Rang du foyer dans le fichier;Identification;Élément en cause;Motif du rejet"
    assert len(lines) == 2 and lines[1].startswith("200;CAF 131 n° ") and "DTNAI" in lines[1]

    page.get_by_role("link", name="Retour aux imports").click()
    expect(page.get_by_role("cell", name="RSABEM-131.xml")).to_be_visible()
    assert_accessible(page, "la liste des imports")
