"""Functional admins keep providers in the admin; requests and placements (nominative) are not there."""

from django.contrib import admin
from django.urls import reverse

from childcare.models import ChildcareRequest, Placement, Provider
from partners.enums import Role
from tests.factories import UserFactory


def test_a_functional_admin_lists_and_opens_providers(client, creche):
    client.force_login(UserFactory(is_staff=True, roles=[Role.ADMIN]))
    assert "Crèche Les Calanquets" in client.get(reverse("admin:childcare_provider_changelist")).content.decode()
    assert client.get(reverse("admin:childcare_provider_change", args=[creche.pk])).status_code == 200
    assert client.get(reverse("admin:childcare_provider_add")).status_code == 200


def test_nominative_childcare_records_are_not_in_the_admin():
    assert Provider in admin.site._registry
    assert ChildcareRequest not in admin.site._registry and Placement not in admin.site._registry
