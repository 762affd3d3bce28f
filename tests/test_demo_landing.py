"""Each demo account logs in with the shared password and lands on what its role may use at this stage."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accompaniment.models import Beneficiary
from partners import demo as partners_demo
from partners.models import User

PASSWORD = "Parcours-Demo-2026"
NOMINATIVE_PAGES = ("accompaniment:list",)


@pytest.fixture
def seeded(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    call_command("seed_demo", beneficiaries=40, stdout=StringIO())


@pytest.mark.parametrize("spec", partners_demo.ACCOUNTS, ids=lambda spec: spec.key)
def test_each_demo_account_logs_in_and_lands_where_its_role_allows(client, seeded, spec):
    email = f"{spec.key}@{partners_demo.DEMO_EMAIL_DOMAIN}"
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302, f"{email} ne se connecte pas"
    landing = client.get(reverse("home"))
    roles = set(spec.roles)
    list_status = client.get(reverse("accompaniment:list")).status_code
    if "referent" in roles:
        assert landing.url == reverse("accompaniment:portfolio")
        assert client.get(landing.url).status_code == 200
        assert list_status == 200
    elif roles & {"manager", "caf_agent"}:
        assert landing.url in (reverse("accompaniment:list"), reverse("accompaniment:unassigned"))
        assert list_status == 200
    elif "orientation_officer" in roles:
        assert landing.status_code == 302
        assert list_status == 200
    elif "dpo" in roles:
        assert landing.url == reverse("audit:log")
        assert client.get(landing.url).status_code == 200
        assert list_status == 403
    elif "admin" in roles:
        assert landing.url == reverse("admin:index")
        assert client.get(landing.url).status_code == 200
        assert list_status == 403
    elif "copil" in roles:
        assert landing.status_code == 200
        assert list_status == 404  # aggregates only: nominative pages do not exist for the COPIL
    elif "operator" in roles:  # the prescriptions to their actions; never a file
        assert landing.url == reverse("orientation:prescription_list")
        assert client.get(landing.url).status_code == 200
        assert not Beneficiary.objects.for_user(User.objects.get(email=email)).exists()
    elif "childcare_coordinator" in roles:  # the childcare worklist, never a file
        assert landing.url == reverse("childcare:worklist")
        assert client.get(landing.url).status_code == 200
        assert not Beneficiary.objects.for_user(User.objects.get(email=email)).exists()
    else:
        assert landing.status_code == 200
        user = User.objects.get(email=email)
        assert not Beneficiary.objects.for_user(user).exists()
