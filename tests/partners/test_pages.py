"""Public pages (login, lockout, legal pages), the landing page of roles without files, and the CSP's rule."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from partners.enums import Role
from tests.factories import DEFAULT_PASSWORD, UserFactory


@pytest.mark.parametrize("name", ["accessibility", "privacy", "legal_notice", "login"])
def test_public_pages_answer_anonymously_in_french(client, name, db):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


def test_the_accessibility_statement_gives_its_state_standard_contact_recourse_and_date(client, db, settings):
    settings.PARCOURS_CONTACT_EMAIL = "accessibilite@departement.example"
    content = client.get(reverse("accessibility")).content.decode()
    assert "partiellement conforme" in content
    assert "RGAA" in content and "WCAG 2.1" in content
    assert "mailto:accessibilite@departement.example" in content
    assert "Défenseur des droits" in content
    assert "Cette déclaration a été établie le" in content
    assert 'aria-current="page"' in content  # the footer link of the page being read


def test_the_privacy_page_names_the_controller_the_dpo_and_the_retention_periods(client, db, settings):
    settings.PARCOURS_DPO_EMAIL = "dpo@cd.example"
    content = client.get(reverse("privacy")).content.decode()
    assert settings.PARCOURS_OPERATOR_NAME in content
    assert "mailto:dpo@cd.example" in content
    assert "L262-27" in content
    assert "chiffré" in content  # the NIR
    for period in ("24 mois", "7 jours", "90 jours"):
        assert period in content
    assert "CNIL" in content


def test_the_legal_notice_gives_the_host_from_settings(client, db, settings):
    settings.PARCOURS_HOST_NAME = "Hébergeur Exemple SAS"
    settings.PARCOURS_HOST_ADDRESS = "1 rue de l'Exemple, 13000 Marseille"
    settings.PARCOURS_HOST_PHONE = "04 00 00 00 00"
    content = client.get(reverse("legal_notice")).content.decode()
    assert "Hébergeur Exemple SAS" in content
    assert "1 rue de l&#x27;Exemple, 13000 Marseille" in content
    assert "04 00 00 00 00" in content


def test_the_legal_notice_says_so_when_the_host_is_not_set(client, db, settings):
    settings.PARCOURS_HOST_NAME = ""
    content = client.get(reverse("legal_notice")).content.decode()
    assert "n'ont pas encore été renseignées" in content


def test_the_login_page_labels_its_fields_with_autocomplete_hints(client, db, settings):
    content = client.get(reverse("login")).content.decode()
    assert settings.PARCOURS_OPERATOR_NAME in content
    assert '<label class="form-label" for="id_username">' in content
    assert '<label class="form-label" for="id_password">' in content
    assert 'autocomplete="email"' in content
    assert 'autocomplete="current-password"' in content


def test_a_wrong_password_shows_a_french_error_summary(client, referent):
    response = client.post(reverse("login"), {"username": referent.email, "password": "faux"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "La connexion a échoué" in content
    assert "Adresse e-mail ou mot de passe incorrect" in content


def test_an_empty_form_links_each_error_to_its_field(client, db):
    content = client.post(reverse("login"), {"username": "", "password": ""}).content.decode()
    assert 'href="#id_username"' in content
    assert 'href="#id_password"' in content


def test_login_by_email_lands_a_referent_on_their_portfolio(client, referent):
    response = client.post(reverse("login"), {"username": referent.email.upper(), "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).url == reverse("accompaniment:portfolio")


def test_repeated_failures_lock_the_account_for_30_minutes(client, referent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": referent.email, "password": "faux"})
    response = client.post(reverse("login"), {"username": referent.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    content = response.content.decode()
    assert "Trop de tentatives" in content
    assert "bloquée pendant 30 minutes" in content
    assert "réessayez dans 30 minutes" in content


def test_one_failure_less_than_the_limit_does_not_lock(client, referent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": referent.email, "password": "faux"})
    response = client.post(reverse("login"), {"username": referent.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302


def test_logout_is_a_post(client, referent):
    client.force_login(referent)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("audit:log")).status_code == 302  # back to the login page


def test_a_copil_member_lands_on_their_account_and_what_they_may_see(client, departement):
    member = UserFactory(organisation=departement, roles=[Role.COPIL], first_name="Claire")
    client.force_login(member)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Bonjour Claire" in content
    assert departement.name in content
    assert "Membre du COPIL" in content
    assert "jamais de dossier" in content
    assert "arrivent" not in content  # what they can do now, not a promise
    for name in ("privacy", "accessibility", "legal_notice"):
        assert content.count(f'href="{reverse(name)}"') >= 2  # in the page, not only in the footer


def test_a_user_without_a_role_is_told_to_ask_for_one(client, stranger):
    client.force_login(stranger)
    content = client.get(reverse("home")).content.decode()
    assert "Aucun rôle ne vous est attribué" in content


# The CSP allows scripts and styles from the app's own files only: no inline code in any template.
INLINE_CODE = (
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),  # a script without src
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE),  # onclick="…" and other event handlers
    re.compile(r"href\s*=\s*[\"']javascript:", re.IGNORECASE),
)


def test_no_template_holds_an_inline_script_or_style():
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        if "pdf" in path.parts or path.name.startswith("letter"):
            continue  # rendered by WeasyPrint into a PDF, never served as a page
        text = path.read_text()
        offenders += [f"{path.relative_to(settings.BASE_DIR)}: {p.pattern}" for p in INLINE_CODE if p.search(text)]
    assert not offenders
