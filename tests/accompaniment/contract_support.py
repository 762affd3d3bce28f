"""Fixtures and helpers of the contract and activity tests (imported by test_contracts and test_activities).

Today is Friday 20 November 2026; the file is oriented (Département, 1 October 2026) and created by the
referent persona.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from accompaniment import services
from accompaniment.enums import ActivityKind
from accompaniment.permissions import share_file
from orientation.enums import Pathway
from orientation.services import orientation_decide
from partners.enums import Role
from tests.factories import UserFactory

TODAY = datetime.date(2026, 11, 20)

# The fixtures, for `from .contract_support import *` (the helpers are imported by name).
__all__ = ["_frozen", "caf_agent", "officer", "oriented_file"]


@pytest.fixture
def _frozen():
    with freeze_time("2026-11-20 10:00:00"):
        yield


@pytest.fixture
def officer(departement):
    return UserFactory(
        organisation=departement, roles=[Role.ORIENTATION_OFFICER], first_name="Odile", last_name="Orientation"
    )


@pytest.fixture
def oriented_file(_frozen, followed_file, departement, officer):
    orientation_decide(
        beneficiary=followed_file,
        pathway=Pathway.SOCIAL_PRO,
        organisation=departement,
        decided_on=datetime.date(2026, 10, 1),
        by=officer,
    )
    return followed_file


@pytest.fixture
def caf_agent(followed_file, referent):
    """A CAF agent who may read the file (an explicit share) but not keep its contract."""
    agent = UserFactory(roles=[Role.CAF_AGENT], first_name="Camille", last_name="Caf")
    share_file(
        beneficiary=followed_file,
        by=referent,
        reason="Vérification des droits",
        ends_on=TODAY + datetime.timedelta(days=30),
        user=agent,
    )
    return agent


def sign(file, by, **overrides):
    fields = {
        "signed_on": datetime.date(2026, 11, 2),
        "starts_on": datetime.date(2026, 11, 2),
        "ends_on": datetime.date(2027, 5, 2),
        "weekly_hours": Decimal(15),
    }
    fields.update(overrides)
    return services.contract_sign(beneficiary=file, by=by, **fields)


def add_activity(contract, by, **overrides):
    fields = {
        "kind": ActivityKind.TRAINING,
        "title": "Formation agent de propreté",
        "starts_on": contract.starts_on,
        "ends_on": contract.ends_on,
        "weekly_planned_hours": Decimal(10),
    }
    fields.update(overrides)
    return services.activity_add(contract=contract, by=by, **fields)


def sign_url(file):
    return reverse("accompaniment:contract_sign", kwargs={"pk": file.pk})


def contract_url(contract):
    return reverse("accompaniment:contract_detail", kwargs={"contract_pk": contract.pk})


def hours_url(contract):
    return reverse("accompaniment:contract_hours", kwargs={"contract_pk": contract.pk})


def status_url(activity):
    return reverse("accompaniment:activity_status", kwargs={"activity_pk": activity.pk})


def activity_create_url(contract):
    return reverse("accompaniment:activity_create", kwargs={"contract_pk": contract.pk})


def activity_edit_url(activity):
    return reverse("accompaniment:activity_edit", kwargs={"activity_pk": activity.pk})
