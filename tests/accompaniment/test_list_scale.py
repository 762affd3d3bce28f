"""The list page runs the same number of SQL queries with 100 and with 200,000 files, with and without its
filters (the status and referent filters included)."""

import datetime
import random

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accompaniment.models import Beneficiary
from partners.enums import Role
from partners.models import Commune
from tests.factories import BeneficiaryFactory, UserFactory

TOTAL = 200_000


def _bulk_files(count, *, created_by, sector, commune):
    rng = random.Random(13)
    names = ["Martin", "Bernard", "Dubois", "Moreau", "Haddad", "Nguyen", "Diallo", "Garcia", "Benali", "Roux"]
    batch = []
    for index in range(count):
        batch.append(
            Beneficiary(
                first_name=f"Prénom{index}",
                last_name=rng.choice(names),
                birth_date=datetime.date(1970 + index % 30, 1 + index % 12, 1 + index % 28),
                caf_number=f"{3000000 + index}",
                commune=commune,
                sector=sector,
                rights_state="2",
                rights_opened_on=datetime.date(2026, 1, 1),
                created_by=created_by,
            )
        )
        if len(batch) == 10_000:
            Beneficiary.objects.bulk_create(batch)
            batch = []
    Beneficiary.objects.bulk_create(batch)


def _queries_of(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_list_page_runs_the_same_number_of_queries_with_100_and_200000_files(client, departement, referent):
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    marseille_8 = Commune.objects.get(insee_code="13208")
    first = BeneficiaryFactory(created_by=referent)
    _bulk_files(99, created_by=referent, sector=first.sector, commune=marseille_8)
    client.force_login(officer)
    urls = [
        reverse("accompaniment:list"),
        reverse("accompaniment:list") + "?q=Martin&tri=-naissance",
        reverse("accompaniment:list") + "?page=2",
        reverse("accompaniment:list") + "?status=to_orient",
        reverse("accompaniment:list") + "?status=oriented&tri=-ouverture",
        reverse("accompaniment:list") + "?referent=aucun",
        reverse("accompaniment:list") + f"?referent={referent.pk}&status=in_accompaniment",
    ]
    with_100 = [_queries_of(client, url) for url in urls]

    _bulk_files(TOTAL - 100, created_by=referent, sector=first.sector, commune=marseille_8)
    assert Beneficiary.objects.count() == TOTAL
    with_200000 = [_queries_of(client, url) for url in urls]
    assert with_100 == with_200000
