"""The list page runs the same number of SQL queries with 5, 100 and 200,000 files, with and without its
filters (the status and referent filters included): 5 files fill part of a page, 100 fill it (a query per
row would show), 200,000 make every table large. Some files are oriented, with a referent and an accompaniment
episode, so that the page's pathway, referent and status columns read what they show."""

import datetime
import random

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from accompaniment import services
from accompaniment.enums import InterviewKind, InterviewStatus
from accompaniment.models import Beneficiary
from orientation.enums import Pathway
from orientation.services import orientation_decide
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


def _followed(file, *, officer, referent, organisation, accompanied):
    day = datetime.date(2026, 10, 1)
    orientation_decide(
        beneficiary=file, pathway=Pathway.SOCIAL_PRO, organisation=organisation, decided_on=day, by=officer
    )
    services.referent_designate(beneficiary=file, agent=referent, designated_on=day, by=officer)
    if accompanied:
        services.interview_record(
            beneficiary=file,
            by=referent,
            kind=InterviewKind.ACCOMPANIMENT,
            scheduled_for=datetime.datetime(2026, 10, 5, 9, 30, tzinfo=datetime.UTC),
            status=InterviewStatus.HELD,
            held_on=datetime.date(2026, 10, 5),
        )


@freeze_time("2026-11-20 10:00")
def test_list_page_runs_the_same_number_of_queries_with_5_100_and_200000_files(client, departement, referent):
    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    marseille_8 = Commune.objects.get(insee_code="13208")
    for index in range(5):  # every URL below finds rows, already with 5 files
        file = BeneficiaryFactory(created_by=referent, last_name="Martin" if index < 2 else "Durand")
        if index:
            _followed(file, officer=officer, referent=referent, organisation=departement, accompanied=index % 2)
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
    with_5 = [_queries_of(client, url) for url in urls]

    sector = Beneficiary.objects.first().sector
    for _ in range(60):
        file = BeneficiaryFactory(created_by=referent)
        _followed(file, officer=officer, referent=referent, organisation=departement, accompanied=file.pk % 2)
    _bulk_files(35, created_by=referent, sector=sector, commune=marseille_8)
    assert Beneficiary.objects.count() == 100
    with_100 = [_queries_of(client, url) for url in urls]
    assert with_5 == with_100

    _bulk_files(TOTAL - 100, created_by=referent, sector=sector, commune=marseille_8)
    assert Beneficiary.objects.count() == TOTAL
    with_200000 = [_queries_of(client, url) for url in urls]
    assert with_100 == with_200000
