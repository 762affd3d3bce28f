import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD


@pytest.mark.parametrize("name", ["accessibility", "privacy", "legal_notice", "login"])
def test_public_pages_answer_anonymously_in_french(client, name, db):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


def test_a_wrong_password_shows_a_french_error(client, referent):
    response = client.post(reverse("login"), {"username": referent.email, "password": "faux"})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()


def test_login_by_email_lands_a_referent_on_the_file_list(client, referent):
    response = client.post(reverse("login"), {"username": referent.email.upper(), "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).url == reverse("accompaniment:list")


def test_repeated_failures_lock_the_account(client, referent, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": referent.email, "password": "faux"})
    response = client.post(reverse("login"), {"username": referent.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "bloquée pendant 30 minutes" in response.content.decode()


def test_no_template_holds_an_inline_script_or_style():
    """The CSP allows scripts and styles from the app's own files only."""
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        if "pdf" in path.parts or path.name.startswith("letter"):
            continue  # rendered by WeasyPrint into a PDF, never served as a page
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=\"", text) or "<style" in text:
            offenders.append(str(path))
    assert not offenders
