"""Eligibility and capacity rules of childcare requests and placements, refused with French messages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from freezegun import freeze_time

from childcare import services
from childcare.enums import Outcome, ProviderKind, Purpose, RequestKind, RequestStatus, ReviewDecision
from childcare.models import ChildcareRequest, Placement, default_contract_end
from tests.factories import BeneficiaryFactory

from .conftest import TODAY

pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with freeze_time("2026-11-16 09:00:00"):
        yield


def _file(parent, referent, *, kind=RequestKind.PERENNE, provider_kind=ProviderKind.CRECHE, child=None, **extra):
    fields = (
        {"child_member": child}
        if child
        else {"child_first_name": "Inès", "child_birth_date": datetime.date(2024, 6, 10)}
    )
    fields.update(extra)
    return services.request_file(
        beneficiary=parent,
        by=referent,
        kind=kind,
        provider_kind=provider_kind,
        purpose=Purpose.FORMATION,
        starts_on=TODAY,
        hours="Du lundi au vendredi, de 8 h 30 à 17 h",
        **fields,
    )


def _eligible(request, caf_agent):
    return services.eligibility_confirm(request=request, by=caf_agent)


def test_a_request_for_a_household_child_copies_the_childs_first_name_and_birth_date(parent, referent, toddler):
    request = _file(parent, referent, child=toddler)
    assert (request.child_first_name, request.child_birth_date) == ("Inès", datetime.date(2024, 6, 10))
    assert request.sector == parent.sector and request.status == RequestStatus.SUBMITTED
    assert request.ends_on == default_contract_end(TODAY) == datetime.date(2027, 5, 15)


def test_a_child_added_by_hand_needs_a_first_name_and_a_birth_date(parent, referent):
    with pytest.raises(ValidationError) as error:
        _file(parent, referent, child_first_name="", child_birth_date=None)
    assert "prénom" in str(error.value)


def test_a_child_of_ten_or_more_is_refused(parent, referent):
    with pytest.raises(ValidationError) as error:
        _file(
            parent,
            referent,
            provider_kind=ProviderKind.CHILDMINDER,
            child_first_name="Yanis",
            child_birth_date=datetime.date(2016, 11, 16),
        )
    assert "moins de 10 ans" in str(error.value)


def test_a_crèche_request_for_a_child_of_three_is_refused(parent, referent):
    with pytest.raises(ValidationError) as error:
        _file(parent, referent, child_first_name="Léo", child_birth_date=datetime.date(2023, 11, 1))
    assert "moins de 3 ans" in str(error.value)


def test_an_emergency_in_a_crèche_is_refused(parent, referent):
    with pytest.raises(ValidationError) as error:
        _file(parent, referent, kind=RequestKind.URGENCE, provider_kind=ProviderKind.CRECHE)
    assert "garde à domicile par un service d'aide à domicile" in str(error.value)


def test_a_parent_neither_job_seeker_nor_in_accompaniment_is_not_eligible(referent):
    file = BeneficiaryFactory(created_by=referent, france_travail_id="")
    with pytest.raises(ValidationError) as error:
        _file(file, referent)
    assert "demandeur d'emploi" in str(error.value)


def test_the_caf_agent_confirms_eligibility_and_the_request_says_who_and_when(parent, referent, caf_agent):
    request = _eligible(_file(parent, referent), caf_agent)
    assert request.status == RequestStatus.ELIGIBLE
    assert request.eligibility_checked_by == caf_agent and request.eligibility_checked_at is not None
    with pytest.raises(ValidationError):
        _eligible(request, caf_agent)


def test_a_refusal_of_eligibility_needs_a_reason_and_answers_the_request(parent, referent, caf_agent):
    request = _file(parent, referent)
    with pytest.raises(ValidationError):
        services.eligibility_refuse(request=request, by=caf_agent, reason=" ")
    request = services.eligibility_refuse(request=request, by=caf_agent, reason="Enfant non à charge du foyer")
    assert request.status == RequestStatus.INELIGIBLE and request.answered_at is not None


def test_a_placement_takes_a_free_avip_place_and_answers_the_request(parent, referent, caf_agent, coordinator, creche):
    request = _eligible(_file(parent, referent), caf_agent)
    placement = services.placement_create(request=request, provider=creche, by=coordinator)
    request.refresh_from_db()
    assert request.status == RequestStatus.PLACED and request.answered_by == coordinator
    assert (placement.starts_on, placement.ends_on) == (TODAY, datetime.date(2027, 5, 15))
    assert services.free_places(creche, TODAY, TODAY) == 1


def test_a_request_not_yet_confirmed_by_the_caf_is_not_placed(parent, referent, coordinator, creche):
    with pytest.raises(ValidationError) as error:
        services.placement_create(request=_file(parent, referent), provider=creche, by=coordinator)
    assert "CAF" in str(error.value)


def test_a_provider_with_an_expired_label_takes_no_new_placement(parent, referent, caf_agent, coordinator, creche):
    creche.label_ends_on = datetime.date(2026, 10, 31)
    creche.save()
    request = _eligible(_file(parent, referent), caf_agent)
    with pytest.raises(ValidationError) as error:
        services.placement_create(request=request, provider=creche, by=coordinator)
    assert "Le label AVIP de Crèche Les Calanquets a expiré le 31/10/2026" in str(error.value)
    assert not Placement.objects.exists()


def test_a_child_outside_the_providers_age_range_is_refused(parent, referent, caf_agent, coordinator, creche):
    creche.min_age_months = 30
    creche.save()
    request = _eligible(_file(parent, referent), caf_agent)
    with pytest.raises(ValidationError) as error:
        services.placement_create(request=request, provider=creche, by=coordinator)
    assert "hors de la tranche d'âge" in str(error.value) and "29 mois" in str(error.value)


def test_an_emergency_is_placed_with_a_home_help_service_never_a_crèche(
    parent, referent, caf_agent, coordinator, creche, home_help
):
    request = _eligible(
        _file(parent, referent, kind=RequestKind.URGENCE, provider_kind=ProviderKind.HOME_HELP), caf_agent
    )
    with pytest.raises(ValidationError) as error:
        services.placement_create(request=request, provider=creche, by=coordinator)
    assert "service d'aide à domicile" in str(error.value)
    placement = services.placement_create(request=request, provider=home_help, by=coordinator)
    assert placement.ends_on == TODAY  # an emergency lasts the days asked


def test_no_free_avip_place_left_refuses_the_placement_with_a_clear_message(
    parent, referent, caf_agent, coordinator, creche
):
    creche.avip_places = 1
    creche.save()
    first = _eligible(_file(parent, referent), caf_agent)
    services.placement_create(request=first, provider=creche, by=coordinator)
    second = _eligible(_file(parent, referent), caf_agent)
    with pytest.raises(ValidationError) as error:
        services.placement_create(request=second, provider=creche, by=coordinator)
    assert "Plus aucune place AVIP libre chez Crèche Les Calanquets" in str(error.value)
    second.refresh_from_db()
    assert second.status == RequestStatus.ELIGIBLE


def test_an_ended_placement_frees_its_place_after_its_end(parent, referent, caf_agent, coordinator, creche):
    creche.avip_places = 1
    creche.save()
    placement = services.placement_create(
        request=_eligible(_file(parent, referent), caf_agent), provider=creche, by=coordinator
    )
    services.placement_end(placement=placement, by=coordinator, ended_on=TODAY, outcome=Outcome.EMPLOYMENT)
    assert services.free_places(creche, TODAY + datetime.timedelta(days=1), TODAY + datetime.timedelta(days=30)) == 1


def test_the_review_renews_for_six_months_or_ends_with_an_outcome(parent, referent, caf_agent, coordinator, creche):
    placement = services.placement_create(
        request=_eligible(_file(parent, referent), caf_agent), provider=creche, by=coordinator
    )
    reviewed, renewal = services.placement_review(
        placement=placement, by=coordinator, decision=ReviewDecision.RENEW, reviewed_on=datetime.date(2027, 5, 10)
    )
    assert renewal.starts_on == datetime.date(2027, 5, 16) and renewal.ends_on == datetime.date(2027, 11, 15)
    assert renewal.renewal_of == reviewed
    with pytest.raises(ValidationError):
        services.placement_review(placement=renewal, by=coordinator, decision=ReviewDecision.END, reviewed_on=TODAY)
    ended, _ = services.placement_review(
        placement=renewal,
        by=coordinator,
        decision=ReviewDecision.END,
        reviewed_on=datetime.date(2027, 11, 10),
        outcome=Outcome.TRAINING,
    )
    assert ended.ended_on == datetime.date(2027, 11, 10) and ended.outcome == Outcome.TRAINING


def test_a_declined_request_keeps_its_reason(parent, referent, caf_agent, coordinator):
    request = _eligible(_file(parent, referent), caf_agent)
    services.request_decline(request=request, by=coordinator, reason="Aucune structure sur le secteur")
    assert ChildcareRequest.objects.get().decline_reason == "Aucune structure sur le secteur"


# A placement only in a provider of the request's sector ----------------------------------------------------------
def test_a_provider_that_does_not_serve_the_requests_sector_is_refused_by_the_service(
    parent, referent, caf_agent, coordinator, creche, aix
):
    creche.sectors.set([aix])
    request = _eligible(_file(parent, referent), caf_agent)
    with pytest.raises(ValidationError) as error:
        services.placement_create(request=request, provider=creche, by=coordinator)
    assert error.value.message_dict["provider"] == [
        "Crèche Les Calanquets n'accueille pas les enfants du secteur de cette demande (Circonscription Marseille Sud)."
    ]
    assert not Placement.objects.exists()
    request.refresh_from_db()
    assert request.status == RequestStatus.ELIGIBLE


def test_a_provider_whose_sector_holds_the_requests_commune_serves_it(
    parent, referent, caf_agent, coordinator, creche, caf_area
):
    """A provider listed on a sector of another kind (a CAF territory holding Marseille 8e) serves the request."""
    creche.sectors.set([caf_area])
    request = _eligible(_file(parent, referent), caf_agent)
    assert services.placement_create(request=request, provider=creche, by=coordinator).provider == creche


# The renewal at review: the checks of a new placement on its first day ------------------------------------------
RENEWAL_STARTS_ON = datetime.date(2027, 5, 16)  # the day after a contract started on TODAY


def _placed(parent, referent, caf_agent, coordinator, creche, **child):
    request = _eligible(_file(parent, referent, **child), caf_agent)
    return services.placement_create(request=request, provider=creche, by=coordinator)


def _renew(placement, coordinator):
    return services.placement_review(
        placement=placement, by=coordinator, decision=ReviewDecision.RENEW, reviewed_on=datetime.date(2027, 5, 10)
    )


def _assert_not_renewed(placement):
    placement.refresh_from_db()
    assert placement.reviewed_on is None and placement.review_decision == ""
    assert not Placement.objects.filter(renewal_of=placement).exists()


def test_a_renewal_is_refused_when_the_providers_label_has_expired_by_then(
    parent, referent, caf_agent, coordinator, creche
):
    placement = _placed(parent, referent, caf_agent, coordinator, creche)
    creche.label_ends_on = datetime.date(2027, 3, 31)
    creche.save()
    with pytest.raises(ValidationError) as error:
        _renew(placement, coordinator)
    assert error.value.message_dict["decision"] == [
        "Renouvellement au 16/05/2027 impossible. Le label AVIP de Crèche Les Calanquets a expiré le 31/03/2027 : "
        "aucun nouvel accueil. Mettez fin à l'accueil avec la situation du parent ; une nouvelle demande permet de "
        "chercher une autre structure."
    ]
    _assert_not_renewed(placement)


def test_a_crèche_renewal_is_refused_when_the_child_is_three_on_its_first_day(
    parent, referent, caf_agent, coordinator, creche
):
    placement = _placed(
        parent,
        referent,
        caf_agent,
        coordinator,
        creche,
        child_first_name="Léo",
        child_birth_date=datetime.date(2024, 5, 10),
    )  # 30 months at the start, 36 months on the renewal's first day
    with pytest.raises(ValidationError) as error:
        _renew(placement, coordinator)
    (message,) = error.value.message_dict["decision"]
    assert "Une crèche accueille les enfants de moins de 3 ans : Léo a 3 ans au 16/05/2027." in message
    _assert_not_renewed(placement)


def test_a_renewal_is_refused_when_no_avip_place_is_free_for_its_six_months(
    parent, referent, caf_agent, coordinator, creche
):
    creche.avip_places = 1
    creche.save()
    placement = _placed(parent, referent, caf_agent, coordinator, creche)
    newcomer = _eligible(
        _file(parent, referent, child_first_name="Noah", child_birth_date=datetime.date(2025, 6, 10)), caf_agent
    )
    services.placement_create(request=newcomer, provider=creche, by=coordinator, starts_on=datetime.date(2027, 7, 1))
    with pytest.raises(ValidationError) as error:
        _renew(placement, coordinator)
    (message,) = error.value.message_dict["decision"]
    assert "Plus aucune place AVIP libre chez Crèche Les Calanquets du 16/05/2027 au 15/11/2027" in message
    _assert_not_renewed(placement)


def test_a_renewal_takes_the_place_its_own_contract_frees(parent, referent, caf_agent, coordinator, creche):
    """One AVIP place, a valid label and a child under 3 all along: the renewal is accepted."""
    creche.avip_places = 1
    creche.save()
    placement = _placed(parent, referent, caf_agent, coordinator, creche)
    reviewed, renewal = _renew(placement, coordinator)
    assert reviewed.review_decision == ReviewDecision.RENEW and reviewed.reviewed_on == datetime.date(2027, 5, 10)
    assert (renewal.provider, renewal.starts_on, renewal.ends_on) == (
        creche,
        RENEWAL_STARTS_ON,
        datetime.date(2027, 11, 15),
    )
    assert services.free_places(creche, RENEWAL_STARTS_ON, RENEWAL_STARTS_ON) == 0
