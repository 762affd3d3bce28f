"""In real Chromium: a referent logs in on « Mes dossiers », filters the file list and opens a file; axe finds
nothing serious."""

import pytest
from playwright.sync_api import expect

from tests.factories import DEFAULT_PASSWORD, BeneficiaryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_referent_logs_in_filters_the_list_and_opens_a_file(page, live_server, login, assert_accessible, referent):
    BeneficiaryFactory(created_by=referent, first_name="Awa", last_name="Diallo", caf_number="1234567")
    BeneficiaryFactory(created_by=referent, first_name="Jean", last_name="Martin", caf_number="7654321")
    page.goto(f"{live_server.url}/connexion/")
    assert_accessible(page, "la page de connexion")
    login(page, referent, DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes dossiers")  # a referent's landing page
    assert_accessible(page, "« Mes dossiers »")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Dossiers", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers")
    assert_accessible(page, "la liste des dossiers")

    page.get_by_label("Recherche").fill("Diallo")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Awa DIALLO")).to_be_visible()
    expect(page.get_by_role("link", name="Jean MARTIN")).to_have_count(0)
    assert_accessible(page, "la liste filtrée")

    page.get_by_role("link", name="Awa DIALLO").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awa DIALLO")
    assert_accessible(page, "la fiche du dossier")
