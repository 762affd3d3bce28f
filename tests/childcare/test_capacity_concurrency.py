"""Two coordinators placing into the last free AVIP place at the same moment: one placement, one clear
message. Real concurrent transactions need PostgreSQL (SQLite serialises writers)."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from childcare import services
from childcare.enums import ProviderKind, Purpose, RequestKind
from childcare.models import Placement
from partners.enums import Role
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_two_coordinators_racing_for_the_last_free_place_end_with_one_placement_and_one_message(
    parent, referent, caf_agent, coordinator, creche
):
    creche.avip_places = 1
    creche.save()
    other_coordinator = UserFactory(organisation=coordinator.organisation, roles=[Role.CHILDCARE_COORDINATOR])
    requests = []
    for first_name in ("Inès", "Noah"):
        request = services.request_file(
            beneficiary=parent,
            by=referent,
            kind=RequestKind.PERENNE,
            provider_kind=ProviderKind.CRECHE,
            purpose=Purpose.EMPLOI,
            starts_on=datetime.date.today(),
            hours="De 8 h à 17 h",
            child_first_name=first_name,
            child_birth_date=datetime.date.today() - datetime.timedelta(days=500),
        )
        requests.append(services.eligibility_confirm(request=request, by=caf_agent))

    first_placed, release = threading.Event(), threading.Event()
    outcomes = {}

    def place(key, request, user, hold):
        try:
            with transaction.atomic():
                services.placement_create(request=request, provider=creche, by=user)
                if hold:  # the first coordinator's transaction is still open, holding the provider's row
                    first_placed.set()
                    release.wait(5)
            outcomes[key] = "placed"
        except ValidationError as error:
            outcomes[key] = " ".join(error.messages)
        finally:
            connection.close()

    first = threading.Thread(target=place, args=("first", requests[0], coordinator, True))
    second = threading.Thread(target=place, args=("second", requests[1], other_coordinator, False))
    first.start()
    assert first_placed.wait(5)
    second.start()
    time.sleep(0.5)  # the second waits on the provider's row lock
    assert "second" not in outcomes
    release.set()
    first.join(10)
    second.join(10)

    assert outcomes["first"] == "placed"
    assert outcomes["second"].startswith("Plus aucune place AVIP libre chez Crèche Les Calanquets")
    assert Placement.objects.filter(provider=creche).count() == 1
