"""Two coordinators taking the last free AVIP place at the same moment — two placements, or a placement and a
renewal at review —: one place taken, one clear message. Real concurrent transactions need PostgreSQL (SQLite
serialises writers)."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from childcare import services
from childcare.enums import ProviderKind, Purpose, RequestKind, ReviewDecision
from childcare.models import Placement, default_contract_end
from partners.enums import Role
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _eligible_requests(parent, referent, caf_agent, first_names, starts_on):
    requests = []
    for first_name in first_names:
        request = services.request_file(
            beneficiary=parent,
            by=referent,
            kind=RequestKind.PERENNE,
            provider_kind=ProviderKind.CRECHE,
            purpose=Purpose.EMPLOI,
            starts_on=starts_on,
            hours="De 8 h à 17 h",
            child_first_name=first_name,
            child_birth_date=datetime.date.today() - datetime.timedelta(days=500),
        )
        requests.append(services.eligibility_confirm(request=request, by=caf_agent))
    return requests


def _race(first, second):
    """Runs `first` in a transaction held open once it has written, then `second`, which must wait for the
    first's row lock; returns {"first": …, "second": …}, "done" or the refusal's messages."""
    first_done, release = threading.Event(), threading.Event()
    outcomes = {}

    def run(key, write, hold):
        try:
            with transaction.atomic():
                write()
                if hold:  # the first coordinator's transaction is still open, holding the provider's row
                    first_done.set()
                    release.wait(5)
            outcomes[key] = "done"
        except ValidationError as error:
            outcomes[key] = " ".join(error.messages)
        finally:
            connection.close()

    first_thread = threading.Thread(target=run, args=("first", first, True))
    second_thread = threading.Thread(target=run, args=("second", second, False))
    first_thread.start()
    assert first_done.wait(5)
    second_thread.start()
    time.sleep(0.5)  # the second waits on the provider's row lock
    assert "second" not in outcomes
    release.set()
    first_thread.join(10)
    second_thread.join(10)
    return outcomes


def test_two_coordinators_racing_for_the_last_free_place_end_with_one_placement_and_one_message(
    parent, referent, caf_agent, coordinator, creche
):
    creche.avip_places = 1
    creche.save()
    other_coordinator = UserFactory(organisation=coordinator.organisation, roles=[Role.CHILDCARE_COORDINATOR])
    ines, noah = _eligible_requests(parent, referent, caf_agent, ("Inès", "Noah"), datetime.date.today())

    outcomes = _race(
        lambda: services.placement_create(request=ines, provider=creche, by=coordinator),
        lambda: services.placement_create(request=noah, provider=creche, by=other_coordinator),
    )

    assert outcomes["first"] == "done"
    assert outcomes["second"].startswith("Plus aucune place AVIP libre chez Crèche Les Calanquets")
    assert Placement.objects.filter(provider=creche).count() == 1


def test_a_renewal_racing_with_a_placement_for_the_last_free_place_is_refused_with_a_message(
    parent, referent, caf_agent, coordinator, creche
):
    """The review locks the provider's row like a placement: it waits, counts the newcomer, and refuses."""
    creche.avip_places = 1
    creche.save()
    other_coordinator = UserFactory(organisation=coordinator.organisation, roles=[Role.CHILDCARE_COORDINATOR])
    today = datetime.date.today()
    (ines,) = _eligible_requests(parent, referent, caf_agent, ("Inès",), today)
    placement = services.placement_create(request=ines, provider=creche, by=coordinator)
    renewal_starts_on = default_contract_end(today) + datetime.timedelta(days=1)
    (noah,) = _eligible_requests(parent, referent, caf_agent, ("Noah",), renewal_starts_on)

    outcomes = _race(
        lambda: services.placement_create(request=noah, provider=creche, by=other_coordinator),
        lambda: services.placement_review(
            placement=placement, by=coordinator, decision=ReviewDecision.RENEW, reviewed_on=today
        ),
    )

    assert outcomes["first"] == "done"
    assert outcomes["second"].startswith(f"Renouvellement au {renewal_starts_on:%d/%m/%Y} impossible.")
    assert "Plus aucune place AVIP libre chez Crèche Les Calanquets" in outcomes["second"]
    assert Placement.objects.filter(provider=creche, starts_on__gte=renewal_starts_on).count() == 1
    assert not Placement.objects.filter(renewal_of=placement).exists()
