"""The directory of social resources: search, edits by admins and by the providers' own staff, and the
services the file proposes for the strong and medium barriers of the latest diagnostic."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orientation.enums import BarrierCategoryCode, BarrierLevel
from orientation.models import Service
from orientation.views_offer import proposals_for
from partners.enums import OrganisationType, Role
from tests.factories import OrganisationFactory, UserFactory
from tests.orientation.factories import DiagnosticFactory

from .offer_support import *  # noqa: F403  (fixtures)
from .offer_support import ServiceFactory, housing

HOUSING, MOBILITY, HEALTH = BarrierCategoryCode.HOUSING, BarrierCategoryCode.MOBILITY, BarrierCategoryCode.HEALTH


def _diagnose(file, by, held_on=datetime.date(2026, 10, 1), **levels):
    return DiagnosticFactory(beneficiary=file, created_by=by, held_on=held_on, barriers={"levels": levels})


def _file_page(client, user, file):
    client.force_login(user)
    return client.get(reverse("accompaniment:detail", kwargs={"pk": file.pk}))


# Proposals on the file -------------------------------------------------------------------------------------
def test_a_strong_housing_barrier_proposes_the_housing_services_of_the_persons_sector_and_none_of_others(
    client, referent, followed_file, marseille_sud, aix
):
    _diagnose(followed_file, referent, housing=BarrierLevel.STRONG)
    near = housing(marseille_sud, name="Accueil logement Marseille Sud")
    housing(aix, name="Accueil logement Aix")
    ServiceFactory(categories=[MOBILITY], sectors=[marseille_sud], name="Garage solidaire Marseille Sud")

    [proposal] = proposals_for(followed_file)[0]
    assert proposal.category == HOUSING and proposal.level == BarrierLevel.STRONG
    assert proposal.services == [near]

    page = _file_page(client, referent, followed_file).content.decode()
    assert "Accueil logement Marseille Sud" in page
    assert "Accueil logement Aix" not in page
    assert "Garage solidaire Marseille Sud" not in page  # mobility is not a barrier of this person


def test_proposals_come_strongest_barrier_first_and_leave_out_weak_lifted_and_older_barriers(
    referent, followed_file, marseille_sud
):
    _diagnose(followed_file, referent, held_on=datetime.date(2026, 6, 1), health=BarrierLevel.STRONG)
    latest = _diagnose(
        followed_file, referent, mobility=BarrierLevel.MEDIUM, housing=BarrierLevel.STRONG, digital=BarrierLevel.NONE
    )
    latest.barriers.filter(category=BarrierCategoryCode.MOBILITY).update(lifted_on=datetime.date(2026, 10, 20))
    _diagnose(followed_file, referent, held_on=datetime.date(2026, 9, 1), finances=BarrierLevel.STRONG)
    latest.barriers.filter(category=BarrierCategoryCode.FINANCES).update(level=BarrierLevel.MEDIUM)
    for category in BarrierCategoryCode.values:
        ServiceFactory(categories=[category], sectors=[marseille_sud], name=f"Service {category}")

    proposals, _ = proposals_for(followed_file)
    assert [p.category for p in proposals] == [HOUSING, BarrierCategoryCode.FINANCES]
    assert [s.name for s in proposals[0].services] == ["Service housing"]


def test_an_unassigned_file_gets_no_proposal_but_is_told_why(client, referent, followed_file, marseille_sud):
    followed_file.sector = None
    followed_file.sector_set_by_hand = True
    followed_file.save()
    _diagnose(followed_file, referent, housing=BarrierLevel.STRONG)
    housing(marseille_sud)
    assert proposals_for(followed_file) == ([], True)
    assert "Dossier sans circonscription" in _file_page(client, referent, followed_file).content.decode()


def test_the_file_page_runs_the_same_queries_with_2_and_40_services_in_the_sector(
    client, referent, followed_file, marseille_sud
):
    _diagnose(followed_file, referent, housing=BarrierLevel.STRONG, mobility=BarrierLevel.MEDIUM)
    housing(marseille_sud)
    ServiceFactory(categories=[MOBILITY, HOUSING], sectors=[marseille_sud])

    def count():
        _file_page(client, referent, followed_file)
        with CaptureQueriesContext(connection) as context:
            assert _file_page(client, referent, followed_file).status_code == 200
        return len(context.captured_queries)

    few = count()
    for _ in range(38):
        ServiceFactory(categories=[MOBILITY, HOUSING], sectors=[marseille_sud])
    assert count() == few


# Search --------------------------------------------------------------------------------------------------
def test_the_directory_searches_by_category_sector_and_text(client, referent, marseille_sud, aix):
    housing(marseille_sud, name="Accueil logement Marseille Sud")
    housing(aix, name="Accueil logement Aix")
    ServiceFactory(
        categories=[MOBILITY], sectors=[aix], name="Garage solidaire", description="Réparation à prix coûtant"
    )
    client.force_login(referent)
    url = reverse("orientation:service_list")

    def names(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        return {s.name for s in response.context["page_obj"].object_list}

    assert names(category=HOUSING) == {"Accueil logement Marseille Sud", "Accueil logement Aix"}
    assert names(category=HOUSING, sector=aix.pk) == {"Accueil logement Aix"}
    assert names(q="prix coûtant") == {"Garage solidaire"}
    assert names(category="nonsense", sector="x") == {  # invalid filters are ignored, never a 500
        "Accueil logement Marseille Sud",
        "Accueil logement Aix",
        "Garage solidaire",
    }


def test_a_user_without_a_role_cannot_read_the_directory(client, stranger):
    client.force_login(stranger)
    assert client.get(reverse("orientation:service_list")).status_code == 403


# Edits ---------------------------------------------------------------------------------------------------
def _service_data(sector, **overrides):
    data = {
        "name": "Point conseil budget",
        "description": "Accompagnement budgétaire",
        "categories": [BarrierCategoryCode.FINANCES],
        "sectors": [sector.pk],
        "address": "3 rue de Rome",
        "postal_code": "13001",
        "city": "Marseille",
        "phone": "04 91 11 22 33",
        "email": "pcb@example.org",
        "access_conditions": "Sur rendez-vous",
        "opening_hours": "Lundi au vendredi, 9 h - 17 h",
        "active": "on",
    }
    data.update(overrides)
    return data


def test_an_operator_adds_a_service_of_their_own_organisation(client, operator, marseille_sud):
    client.force_login(operator)
    response = client.post(reverse("orientation:service_create"), _service_data(marseille_sud))
    service = Service.objects.get()
    assert response.status_code == 302
    assert service.provider == operator.organisation and service.updated_by == operator
    assert service.category_codes == [BarrierCategoryCode.FINANCES]
    assert list(service.sectors.all()) == [marseille_sud]


def test_an_operator_edits_their_services_but_not_another_providers(client, operator, operator_org, marseille_sud):
    own = housing(marseille_sud, provider=operator_org)
    other = housing(marseille_sud)
    client.force_login(operator)
    data = _service_data(marseille_sud, name="Nouveau nom", categories=[HOUSING, MOBILITY])
    assert client.post(reverse("orientation:service_edit", args=[own.pk]), data).status_code == 302
    own.refresh_from_db()
    assert own.name == "Nouveau nom" and own.category_codes == [MOBILITY, HOUSING]
    assert client.post(reverse("orientation:service_edit", args=[other.pk]), data).status_code == 404


def test_an_admin_edits_any_service_and_chooses_its_provider(client, marseille_sud):
    admin = UserFactory(roles=[Role.ADMIN])
    ccas = OrganisationFactory(type=OrganisationType.CCAS, name="CCAS d'Aubagne")
    service = housing(marseille_sud)
    client.force_login(admin)
    data = _service_data(marseille_sud, provider=ccas.pk)
    assert client.post(reverse("orientation:service_edit", args=[service.pk]), data).status_code == 302
    service.refresh_from_db()
    assert service.provider == ccas


def test_a_referent_cannot_add_a_service_and_a_service_needs_a_category(client, referent, operator, marseille_sud):
    client.force_login(referent)
    assert client.get(reverse("orientation:service_create")).status_code == 403
    client.force_login(operator)
    response = client.post(reverse("orientation:service_create"), _service_data(marseille_sud, categories=[]))
    assert response.status_code == 200
    assert "Cochez au moins un frein" in response.content.decode()
    assert not Service.objects.exists()


@pytest.mark.parametrize("name", ["service_list", "service_create"])
def test_directory_pages_render_for_an_operator(client, operator, name):
    client.force_login(operator)
    assert client.get(reverse(f"orientation:{name}")).status_code == 200
