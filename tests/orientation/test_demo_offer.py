"""`seed_demo` gains the directory (a service per category and district) and the insertion offer (actions of
each axis, with prescriptions that are activities of contracts in force and never hold more places than
the action has)."""

from io import StringIO

import pytest
from django.core.management import call_command

from accompaniment.models import Activity
from orientation.enums import ActionAxis, BarrierCategoryCode
from orientation.models import InsertionAction, Prescription, Service
from orientation.models_offer import holding_a_place
from partners import demo as partners_demo
from partners.enums import PRIMARY_SECTOR_KIND
from partners.models import Sector, User


@pytest.fixture
def seeded(db):
    call_command("seed_demo", beneficiaries=400, stdout=StringIO())


def test_the_demo_has_a_service_for_each_category_in_each_district(seeded):
    for sector in Sector.objects.filter(kind=PRIMARY_SECTOR_KIND):
        for category in BarrierCategoryCode.values:
            assert Service.objects.serving(sector).addressing(category).exists(), (sector, category)


def test_the_demo_has_actions_of_each_axis_with_prescriptions_within_their_places(seeded):
    assert set(InsertionAction.objects.values_list("axis", flat=True)) == set(ActionAxis.values)
    assert Prescription.objects.count() > 10
    for action in InsertionAction.objects.with_places_left():
        assert action.places_left >= 0, action
    for prescription in Prescription.objects.select_related("activity__contract"):
        assert prescription.activity.contract.beneficiary_id == prescription.beneficiary_id
        assert prescription.activity.contract.starts_on <= prescription.activity.starts_on
        assert prescription.activity.ends_on <= prescription.activity.contract.ends_on
    assert Activity.objects.filter(prescription__isnull=False).count() == Prescription.objects.count()


def test_the_operator_account_has_prescriptions_to_answer(seeded):
    operator = User.objects.get(email=f"operateur@{partners_demo.DEMO_EMAIL_DOMAIN}")
    mine = Prescription.objects.for_operator(operator)
    assert mine.filter(holding_a_place()).exists()
    assert Service.objects.kept_by(operator).exists()


def test_reset_removes_the_offer_before_the_journeys(seeded):
    call_command("seed_demo", beneficiaries=60, reset=True, stdout=StringIO())
    assert Service.objects.exists() and InsertionAction.objects.exists()


def test_prescriptions_keep_action_plans_within_four_activities(seeded):
    from django.db.models import Count

    from accompaniment.models import Contract

    assert not Contract.objects.annotate(n=Count("activities")).filter(n__gt=4).exists()
