"""In real Chromium: the legal pages and the DPO's journal have no serious accessibility violation."""

import pytest
from playwright.sync_api import expect

from partners.enums import Role
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/accessibilite/", "/donnees-personnelles/", "/mentions-legales/"])
def test_legal_pages_are_accessible(page, live_server, assert_accessible, path):
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


def test_the_dpo_lands_on_the_journal_and_filters_it(page, live_server, login, assert_accessible, departement):
    dpo = UserFactory(organisation=departement, roles=[Role.DPO])
    login(page, dpo, DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Journal d'accès")
    page.get_by_label("Action").select_option("login")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("cell", name=dpo.email, exact=False).first).to_be_visible()
    assert_accessible(page, "le journal d'accès")
