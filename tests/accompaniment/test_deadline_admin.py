"""The admin pages of deadline rules: saving a rule's form creates a new version (never an UPDATE), with an
effective-from date and an optional sector; versions are never deleted; only functional admins get in."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accompaniment.models import DeadlineRule
from partners.enums import Role
from tests.factories import UserFactory


@pytest.fixture
def admin_user(departement):
    return UserFactory(organisation=departement, roles=[Role.ADMIN], is_staff=True)


def form_data(rule, **changes):
    data = {
        "code": rule.code,
        "label": rule.label,
        "sector": "",
        "effective_from": timezone.localdate().strftime("%d/%m/%Y"),
        "enabled": "on" if rule.enabled else "",
        "comment": "",
        "start_event": rule.start_event,
        "delay": rule.delay,
        "delay_unit": rule.delay_unit,
        "extended_delay": rule.extended_delay or "",
        "met_by": rule.met_by,
        "cancelled_by": rule.cancelled_by,
        "warning": rule.warning,
        "warning_unit": rule.warning_unit,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def test_editing_a_rule_creates_a_new_version_and_leaves_the_old_one(client, admin_user):
    rule = DeadlineRule.objects.get(code="orientation_6w")
    client.force_login(admin_user)
    url = reverse("admin:accompaniment_deadlinerule_change", args=[rule.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "crée toujours une nouvelle version" in page.content.decode()
    assert "version du 01/01/2025" in page.content.decode()  # the edited version, unchanged
    assert page.context["adminform"].form.initial["effective_from"] == timezone.localdate()
    response = client.post(url, form_data(rule, delay=35, comment="Décision du COPIL"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    old = DeadlineRule.objects.get(pk=rule.pk)
    assert (old.delay, old.effective_from) == (42, datetime.date(2025, 1, 1))
    new = DeadlineRule.objects.exclude(pk=rule.pk).get(code="orientation_6w")
    assert (new.delay, new.effective_from, new.created_by, new.subject) == (
        35,
        timezone.localdate(),
        admin_user,
        "accompaniment.beneficiary",
    )


def test_a_version_for_a_sector_only(client, admin_user, marseille_sud):
    rule = DeadlineRule.objects.get(code="referent_1m")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accompaniment_deadlinerule_add"),
        form_data(rule, sector=marseille_sud.pk, enabled="", effective_from="01/01/2026"),
    )
    assert response.status_code == 302
    assert not DeadlineRule.objects.get(code="referent_1m", sector=marseille_sud).enabled


def test_a_version_cannot_reuse_a_date_of_the_same_perimeter(client, admin_user):
    rule = DeadlineRule.objects.get(code="orientation_6w")
    client.force_login(admin_user)
    url = reverse("admin:accompaniment_deadlinerule_change", args=[rule.pk])
    response = client.post(url, form_data(rule, delay=30, effective_from="01/01/2025"))
    assert response.status_code == 200
    assert "existe déjà à cette date" in str(response.context["adminform"].form.errors)
    assert DeadlineRule.objects.filter(code="orientation_6w").count() == 1


def test_an_event_of_another_subject_or_unknown_is_refused(client, admin_user):
    rule = DeadlineRule.objects.get(code="orientation_6w")
    client.force_login(admin_user)
    response = client.post(reverse("admin:accompaniment_deadlinerule_add"), form_data(rule, met_by="not_an_event"))
    assert response.status_code == 200 and "met_by" in response.context["adminform"].form.errors


def test_versions_cannot_be_deleted_from_the_admin(client, admin_user):
    rule = DeadlineRule.objects.get(code="orientation_6w")
    client.force_login(admin_user)
    assert client.get(reverse("admin:accompaniment_deadlinerule_delete", args=[rule.pk])).status_code == 403


def test_caseworkers_do_not_enter_the_rules_admin(client, referent):
    client.force_login(referent)
    response = client.get(reverse("admin:accompaniment_deadlinerule_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
