"""The childcare pages with their personas: the referent files a request from the file, the CAF agent decides
eligibility, the coordinator places; a colleague of another organisation and a stranger get nothing; the CAF
agent and the coordinator never reach the file itself."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from audit.models import Action, AuditLog
from childcare import services
from childcare.enums import ProviderKind, Purpose, RequestKind, RequestStatus
from childcare.models import ChildcareRequest, Placement

pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with freeze_time("2026-11-16 09:00:00"):
        yield


def _login(client, user):
    client.force_login(user)
    return client


def _request(parent, referent, *, kind=RequestKind.PERENNE, provider_kind=ProviderKind.CRECHE, first_name="Inès"):
    return services.request_file(
        beneficiary=parent,
        by=referent,
        kind=kind,
        provider_kind=provider_kind,
        purpose=Purpose.ENTRETIEN,
        starts_on=datetime.date(2026, 11, 17),
        hours="Mardi de 9 h à 12 h",
        child_first_name=first_name,
        child_birth_date=datetime.date(2024, 6, 10),
    )


def test_the_referent_files_a_request_for_a_household_child_from_the_file(client, parent, referent, toddler):
    _login(client, referent)
    url = reverse("childcare:request_create", args=[parent.pk])
    assert "Inès, né(e) le 10/06/2024" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "child": str(toddler.pk),
            "kind": RequestKind.URGENCE,
            "provider_kind": ProviderKind.HOME_HELP,
            "purpose": Purpose.ENTRETIEN,
            "starts_on": "17/11/2026",
            "hours": "Mardi de 9 h à 12 h",
        },
    )
    assert response.status_code == 302
    request = ChildcareRequest.objects.get()
    assert request.child_member == toddler and request.ends_on == datetime.date(2026, 11, 17)
    page = client.get(reverse("accompaniment:detail", args=[parent.pk])).content.decode()
    assert "Garde d'enfants (AVIP)" in page and "Éligibilité à vérifier (CAF)" in page


def test_an_emergency_in_a_crèche_is_refused_on_the_form_in_french(client, parent, referent):
    _login(client, referent)
    response = client.post(
        reverse("childcare:request_create", args=[parent.pk]),
        {
            "child": "autre",
            "child_first_name": "Inès",
            "child_birth_date": "10/06/2024",
            "kind": RequestKind.URGENCE,
            "provider_kind": ProviderKind.CRECHE,
            "purpose": Purpose.ENTRETIEN,
            "starts_on": "17/11/2026",
            "hours": "Mardi de 9 h à 12 h",
        },
    )
    assert response.status_code == 200
    assert "pas un accueil en crèche" in response.content.decode()
    assert not ChildcareRequest.objects.exists()


def test_a_colleague_of_another_organisation_and_a_stranger_reach_neither_the_form_nor_the_request(
    client, parent, referent, other_organisation_user, stranger
):
    request = _request(parent, referent)
    for user in (other_organisation_user, stranger):
        client.logout()
        _login(client, user)
        assert client.get(reverse("childcare:request_create", args=[parent.pk])).status_code == 404
        assert client.get(reverse("childcare:request_detail", args=[request.pk])).status_code == 404


def test_the_caf_agent_confirms_eligibility_but_never_reaches_the_file(client, parent, referent, caf_agent):
    request = _request(parent, referent)
    _login(client, caf_agent)
    worklist = client.get(reverse("childcare:worklist")).content.decode()
    assert "Éligibilité à vérifier" in worklist and parent.full_name in worklist
    assert client.get(reverse("accompaniment:detail", args=[parent.pk])).status_code == 404
    detail = client.get(reverse("childcare:request_detail", args=[request.pk])).content.decode()
    assert "Voir le dossier" not in detail and parent.caf_number not in detail
    response = client.post(reverse("childcare:eligibility", args=[request.pk]), {"decision": "non_eligible"})
    assert "Indiquez le motif de non-éligibilité." in response.content.decode()
    client.post(reverse("childcare:eligibility", args=[request.pk]), {"decision": "eligible"})
    request.refresh_from_db()
    assert request.status == RequestStatus.ELIGIBLE and request.eligibility_checked_by == caf_agent
    assert AuditLog.objects.filter(action=Action.READ, object_type="childcare.childcarerequest").exists()


def test_the_coordinator_sees_emergencies_first_with_the_time_left_and_places_in_a_free_place(
    client, parent, referent, caf_agent, coordinator, creche, home_help
):
    permanent = services.eligibility_confirm(request=_request(parent, referent), by=caf_agent)
    emergency = services.eligibility_confirm(
        request=_request(parent, referent, kind=RequestKind.URGENCE, provider_kind=ProviderKind.HOME_HELP),
        by=caf_agent,
    )
    from accompaniment import deadline_engine

    deadline_engine.run_check(now=datetime.datetime(2026, 11, 16, 9, 0, tzinfo=datetime.UTC))
    _login(client, coordinator)
    assert client.get(reverse("home")).url == reverse("childcare:worklist")
    worklist = client.get(reverse("childcare:worklist")).content.decode()
    assert worklist.index(reverse("childcare:request_detail", args=[emergency.pk])) < worklist.index(
        reverse("childcare:request_detail", args=[permanent.pk])
    )
    assert "Reste 24 h 00 min" in worklist
    assert client.get(reverse("accompaniment:detail", args=[parent.pk])).status_code == 404

    detail = client.get(reverse("childcare:request_detail", args=[permanent.pk])).content.decode()
    assert "Crèche Les Calanquets" in detail and "2 sur 2" in detail and "Aide à domicile" not in detail
    response = client.post(
        reverse("childcare:place", args=[permanent.pk]), {"provider": creche.pk, "starts_on": "17/11/2026"}
    )
    assert response.status_code == 302
    placement = Placement.objects.get()
    assert placement.provider == creche and placement.ends_on == datetime.date(2027, 5, 16)


def test_a_full_provider_gives_a_waiting_list_position(client, parent, referent, caf_agent, coordinator, creche):
    creche.avip_places = 0
    creche.total_places = 10
    creche.save()
    first = services.eligibility_confirm(request=_request(parent, referent), by=caf_agent)
    second = services.eligibility_confirm(request=_request(parent, referent, first_name="Noah"), by=caf_agent)
    del first
    _login(client, coordinator)
    detail = client.get(reverse("childcare:request_detail", args=[second.pk])).content.decode()
    assert "Complet" in detail and "en position 2" in detail


def test_the_file_page_runs_the_same_queries_with_one_and_with_five_requests(client, parent, referent, caf_agent):
    _login(client, referent)
    url = reverse("accompaniment:detail", args=[parent.pk])

    def count():
        client.get(url)  # warm caches (session, user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _request(parent, referent)
    one = count()
    for index in range(4):
        services.eligibility_confirm(request=_request(parent, referent, first_name=f"Enfant {index}"), by=caf_agent)
    assert count() == one


def test_a_caf_agent_of_other_territories_does_not_reach_the_request(client, parent, referent, aix):
    from partners.enums import OrganisationType, Role
    from tests.factories import OrganisationFactory, UserFactory

    other_caf = OrganisationFactory(code="CAF-AIX", type=OrganisationType.CAF, sectors=[aix])
    outsider = UserFactory(organisation=other_caf, roles=[Role.CAF_AGENT])
    request = _request(parent, referent)
    _login(client, outsider)
    assert client.get(reverse("childcare:request_detail", args=[request.pk])).status_code == 404
    assert client.post(reverse("childcare:eligibility", args=[request.pk]), {"decision": "eligible"}).status_code == 404


def test_the_coordinator_keeps_a_provider_up_to_date_and_bad_places_are_refused_in_french(
    client, coordinator, creche, referent
):
    _login(client, coordinator)
    assert "Crèche Les Calanquets" in client.get(reverse("childcare:providers")).content.decode()
    url = reverse("childcare:provider_edit", args=[creche.pk])
    data = {
        "name": creche.name,
        "sectors": [sector.pk for sector in creche.sectors.all()],
        "min_age_months": 3,
        "max_age_months": 35,
        "total_places": 10,
        "avip_places": 12,
        "label_starts_on": "01/01/2025",
        "label_ends_on": "31/12/2027",
        "active": "on",
    }
    response = client.post(url, data)
    assert "Les places AVIP ne peuvent pas dépasser le nombre de places." in response.content.decode()
    data["avip_places"] = 4
    assert client.post(url, data).status_code == 302
    creche.refresh_from_db()
    assert creche.avip_places == 4
    client.logout()
    _login(client, referent)
    assert client.get(url).status_code == 403
