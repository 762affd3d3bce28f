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
from tests.childcare.conftest import make_creche

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


# Coordinators reach only what they may place ----------------------------------------------------------------
def _coordinator_of(code, *, sectors=(), organisation_type=None):
    from partners.enums import OrganisationType, Role
    from tests.factories import OrganisationFactory, UserFactory

    organisation = OrganisationFactory(
        code=code, type=organisation_type or OrganisationType.CAF, name=f"Organisation {code}", sectors=list(sectors)
    )
    return UserFactory(organisation=organisation, roles=[Role.CHILDCARE_COORDINATOR])


def _other_creche_of_the_sector(marseille_sud):
    """The family referent of another crèche serving Marseille Sud: sees the sector's requests waiting for a
    place, not those placed elsewhere."""
    from partners.enums import OrganisationType

    family_referent = _coordinator_of("CRECHE-LUCIOLES", organisation_type=OrganisationType.CHILDCARE_PROVIDER)
    make_creche(name="Crèche Les Lucioles", organisation=family_referent.organisation, sector=marseille_sud)
    return family_referent


def test_coordinators_of_another_sector_or_provider_get_404_on_a_placed_request_and_its_placement(
    client, parent, referent, caf_agent, coordinator, creche, aix, marseille_sud
):
    placed = services.eligibility_confirm(request=_request(parent, referent), by=caf_agent)
    placement = services.placement_create(request=placed, provider=creche, by=coordinator)
    review = {f"bilan{placement.pk}-decision": "end", f"bilan{placement.pk}-reviewed_on": "16/11/2026"}
    review[f"bilan{placement.pk}-outcome"] = "emploi"
    of_aix = _coordinator_of("CAF-AIX", sectors=[aix])
    of_another_creche = _other_creche_of_the_sector(marseille_sud)
    for outsider in (of_aix, of_another_creche):
        _login(client, outsider)
        assert client.get(reverse("childcare:request_detail", args=[placed.pk])).status_code == 404
        assert client.post(reverse("childcare:review", args=[placement.pk]), review).status_code == 404
        assert f"/demande/{placed.pk}/" not in client.get(reverse("childcare:worklist")).content.decode()
    placement.refresh_from_db()
    assert placement.reviewed_on is None and placement.ended_on is None

    # The coordinator of the sector and the crèche's own family referent do reach them.
    from partners.enums import Role
    from tests.factories import UserFactory

    creche_referent = UserFactory(organisation=creche.organisation, roles=[Role.CHILDCARE_COORDINATOR])
    for insider in (coordinator, creche_referent):
        _login(client, insider)
        assert client.get(reverse("childcare:request_detail", args=[placed.pk])).status_code == 200


def test_a_coordinator_of_another_sector_gets_404_on_a_request_waiting_for_a_place(
    client, parent, referent, caf_agent, coordinator, creche, aix
):
    waiting = services.eligibility_confirm(request=_request(parent, referent), by=caf_agent)
    _login(client, _coordinator_of("CAF-AIX", sectors=[aix]))
    assert client.get(reverse("childcare:request_detail", args=[waiting.pk])).status_code == 404
    place = {"provider": creche.pk, "starts_on": "17/11/2026"}
    assert client.post(reverse("childcare:place", args=[waiting.pk]), place).status_code == 404
    assert client.post(reverse("childcare:decline", args=[waiting.pk]), {"reason": "Non"}).status_code == 404
    assert "Aucune demande en attente de place." in client.get(reverse("childcare:worklist")).content.decode()
    assert not Placement.objects.exists()


def test_the_coordinators_see_no_request_still_waiting_for_the_caf_check(
    client, parent, referent, coordinator, creche, marseille_sud
):
    """SPEC §1: coordinators see the requests waiting for a place, i.e. those the CAF confirmed eligible."""
    submitted = _request(parent, referent)
    for coordinator_user in (coordinator, _other_creche_of_the_sector(marseille_sud)):
        _login(client, coordinator_user)
        assert client.get(reverse("childcare:request_detail", args=[submitted.pk])).status_code == 404
        place = {"provider": creche.pk, "starts_on": "17/11/2026"}
        assert client.post(reverse("childcare:place", args=[submitted.pk]), place).status_code == 404
        worklist = client.get(reverse("childcare:worklist")).content.decode()
        assert f"/demande/{submitted.pk}/" not in worklist and parent.full_name not in worklist
    assert not Placement.objects.exists()


def test_the_coordinator_reads_only_what_is_needed_to_place(client, parent, referent, caf_agent, coordinator):
    waiting = services.eligibility_confirm(request=_request(parent, referent), by=caf_agent)
    _login(client, coordinator)
    detail = client.get(reverse("childcare:request_detail", args=[waiting.pk])).content.decode()
    assert parent.full_name in detail and "Inès" in detail
    assert "Voir le dossier" not in detail and parent.caf_number not in detail
    assert reverse("accompaniment:detail", args=[parent.pk]) not in detail


# Placing and renewing, refused in French -----------------------------------------------------------------------
def test_a_provider_of_another_sector_posted_to_the_placement_form_is_refused_in_french(
    client, parent, referent, caf_agent, marseille_sud, aix
):
    """The crèche's family referent keeps two crèches; the page offers only the one of the request's sector, and a
    forged post of the other is refused by the service."""
    family_referent = _other_creche_of_the_sector(marseille_sud)
    of_aix = make_creche(name="Crèche d'Aix", organisation=family_referent.organisation, sector=aix)
    waiting = services.eligibility_confirm(request=_request(parent, referent), by=caf_agent)
    _login(client, family_referent)
    assert (
        "Crèche d&#x27;Aix" not in client.get(reverse("childcare:request_detail", args=[waiting.pk])).content.decode()
    )
    response = client.post(
        reverse("childcare:place", args=[waiting.pk]), {"provider": of_aix.pk, "starts_on": "17/11/2026"}
    )
    assert response.status_code == 200
    assert (
        "Crèche d&#x27;Aix n&#x27;accueille pas les enfants du secteur de cette demande (Circonscription Marseille Sud)."
        in response.content.decode()
    )
    assert not Placement.objects.exists()


def test_a_renewal_refused_at_review_says_why_on_the_request_page(
    client, parent, referent, caf_agent, coordinator, creche
):
    placement = services.placement_create(
        request=services.eligibility_confirm(request=_request(parent, referent), by=caf_agent),
        provider=creche,
        by=coordinator,
    )
    creche.label_ends_on = datetime.date(2027, 3, 31)
    creche.save()
    _login(client, coordinator)
    response = client.post(
        reverse("childcare:review", args=[placement.pk]),
        {f"bilan{placement.pk}-decision": "renew", f"bilan{placement.pk}-reviewed_on": "10/05/2027"},
        follow=True,
    )
    page = response.content.decode()
    assert "Le bilan n&#x27;est pas enregistré : Renouvellement au 17/05/2027 impossible." in page
    assert "a expiré le 31/03/2027" in page
    assert Placement.objects.count() == 1


# The file's timeline --------------------------------------------------------------------------------------------
def _timeline_items(page):
    """The file page's « Historique » events, each as the text of its <li>."""
    import re

    section = page.split('id="historique"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", section, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def test_the_file_timeline_tells_who_requested_checked_placed_renewed_and_declined(
    client, parent, referent, caf_agent, coordinator, creche
):
    from childcare.enums import ReviewDecision

    request = _request(parent, referent)
    with freeze_time("2026-11-16 10:30:00"):
        services.eligibility_confirm(request=request, by=caf_agent)
    with freeze_time("2026-11-16 14:00:00"):
        placement = services.placement_create(request=request, provider=creche, by=coordinator)
    with freeze_time("2027-05-10 09:00:00"):
        services.placement_review(
            placement=placement, by=coordinator, decision=ReviewDecision.RENEW, reviewed_on=datetime.date(2027, 5, 10)
        )
    declined = services.eligibility_confirm(request=_request(parent, referent, first_name="Noah"), by=caf_agent)
    services.request_decline(request=declined, by=coordinator, reason="Aucune place le mardi")

    with freeze_time("2027-05-11 09:00:00"):
        _login(client, referent)
        events = _timeline_items(client.get(reverse("accompaniment:detail", args=[parent.pk])).content.decode())

    def event(when_and_who, title):
        """The one event of that title at that time (Europe/Paris) by that person."""
        found = [item for item in events if item.startswith(f"{when_and_who} {title}")]
        assert len(found) == 1, (when_and_who, title, events)
        return found[0]

    requested = event(
        "16/11/2026 à 10:00 · Rachida Référente (Département des Bouches-du-Rhône)",
        "Demande de garde : Accueil pérenne pour Inès",
    )
    assert "Crèche AVIP, motif : Entretien" in requested
    checked = event("16/11/2026 à 11:30 · Karim Caf (CAF des Bouches-du-Rhône)", "Garde : éligibilité confirmée")
    placed = event(
        "16/11/2026 à 15:00 · Laure Coord (CAF des Bouches-du-Rhône)", "Accueil proposé : Crèche Les Calanquets"
    )
    assert "Pour Inès, du 17/11/2026 au 16/05/2027" in placed
    renewed = event(
        "10/05/2027 à 11:00 · Laure Coord (CAF des Bouches-du-Rhône)", "Accueil renouvelé : Crèche Les Calanquets"
    )
    assert "Pour Inès, du 17/05/2027 au 16/11/2027" in renewed
    refused = event(
        "16/11/2026 à 10:00 · Laure Coord (CAF des Bouches-du-Rhône)", "Garde : demande refusée par la coordination"
    )
    assert "Motif : Aucune place le mardi" in refused
    assert events.index(renewed) < events.index(placed) < events.index(checked) < events.index(requested)
