"""`seed_demo` gains providers, requests and placements with outcomes, consistent with the rules."""

from io import StringIO

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from accompaniment.models import Deadline
from childcare.enums import ProviderKind, RequestKind, RequestStatus
from childcare.models import ChildcareRequest, Placement, Provider, age_in_months
from childcare.permissions import visible_requests
from partners import demo as partners_demo
from partners.models import User


@pytest.fixture
def seeded(db):
    out = StringIO()
    call_command("seed_demo", beneficiaries=300, stdout=out)
    return out.getvalue()


def test_the_demo_has_providers_requests_in_every_state_and_placements_with_outcomes(seeded):
    assert "demandes de garde" in seeded
    assert {kind for kind in Provider.objects.values_list("kind", flat=True)} == set(ProviderKind.values)
    assert set(ChildcareRequest.objects.values_list("status", flat=True)) >= {
        RequestStatus.ELIGIBLE,
        RequestStatus.PLACED,
    }
    assert Placement.objects.exclude(outcome="").exists()
    assert Deadline.objects.filter(rule_code="childcare_24h").exists()
    assert Deadline.objects.filter(rule_code="avip_review_6m").exists()


def test_demo_placements_and_renewals_respect_kinds_ages_labels_and_capacity(seeded):
    """A renewal is checked like a new placement on its first day (no exemption from the label check)."""
    _assert_placements_respect_the_rules()


def test_the_demo_renews_no_crèche_child_who_turned_three(db):
    """On this day, a bigger demo draws the review of a crèche child who is 3 at the renewal: it ends instead,
    and the other renewals still come."""
    with freeze_time("2027-02-28 10:00"):
        call_command("seed_demo", beneficiaries=1500, stdout=StringIO())
        assert Placement.objects.filter(renewal_of__isnull=False).exists()
        _assert_placements_respect_the_rules()


def _assert_placements_respect_the_rules():
    for placement in Placement.objects.select_related("request", "provider"):
        request, provider = placement.request, placement.provider
        assert provider.kind == request.provider_kind
        assert (request.kind == RequestKind.URGENCE) == (provider.kind == ProviderKind.HOME_HELP)
        months = age_in_months(request.child_birth_date, placement.starts_on)
        assert provider.min_age_months <= months <= provider.max_age_months, placement
        assert provider.label_valid_on(placement.starts_on), placement
        overlapping = Placement.objects.running_between(placement.starts_on, placement.starts_on).filter(
            provider=provider
        )
        assert overlapping.count() <= provider.avip_places


def test_the_coordinators_have_a_worklist_and_see_no_file(seeded):
    coordinator = User.objects.get(email=f"coordination.avip@{partners_demo.DEMO_EMAIL_DOMAIN}")
    creche = User.objects.get(email=f"creche@{partners_demo.DEMO_EMAIL_DOMAIN}")
    assert visible_requests(ChildcareRequest.objects.all(), coordinator).exists()
    assert visible_requests(ChildcareRequest.objects.all(), creche).filter(placements__isnull=False).exists()


@pytest.mark.parametrize("day", ["2026-11-20 10:00", "2026-12-05 10:00", "2027-02-28 10:00"])
def test_the_creche_coordinator_follows_a_placement_whatever_the_day_of_the_demo(db, day):
    with freeze_time(day):
        call_command("seed_demo", beneficiaries=300, stdout=StringIO())
        creche = User.objects.get(email=f"creche@{partners_demo.DEMO_EMAIL_DOMAIN}")
        placed = visible_requests(ChildcareRequest.objects.all(), creche).filter(placements__isnull=False)
        assert placed.filter(placements__provider__organisation__code="CRECHE-CALANQUETS").exists()
