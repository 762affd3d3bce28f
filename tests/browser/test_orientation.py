"""In real Chromium: an orientation officer orients a new entrant, downloads the letter and records it sent."""

import pytest
from playwright.sync_api import expect

from accompaniment.enums import Status
from accompaniment.models import Beneficiary
from partners.enums import Role
from tests.factories import DEFAULT_PASSWORD, BeneficiaryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_orients_a_new_entrant_and_downloads_the_letter(
    page, live_server, login, assert_accessible, departement
):
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    file = BeneficiaryFactory(created_by=officer, first_name="Awa", last_name="Diallo")
    login(page, officer, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/dossiers/{file.pk}/")
    expect(page.get_by_text("Aucune orientation en cours.")).to_be_visible()
    page.get_by_role("link", name="Orienter", exact=True).click()
    assert_accessible(page, "le formulaire d'orientation")

    page.get_by_label("Socio-professionnel").check()
    page.get_by_label("Organisme référent").select_option(label=departement.name)
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Orientation enregistrée")).to_be_visible()
    expect(page.get_by_text("Non notifiée")).to_be_visible()
    assert Beneficiary.objects.get(pk=file.pk).status_code == Status.ORIENTED
    assert_accessible(page, "la fiche orientée")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Télécharger le courrier de notification (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("orientation-")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"

    page.get_by_role("button", name="Enregistrer l'envoi du courrier").click()
    expect(page.get_by_text("Date de notification enregistrée.")).to_be_visible()
    expect(page.get_by_text("courrier envoyé le")).to_be_visible()
