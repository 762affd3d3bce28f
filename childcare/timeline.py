"""Childcare events of the file's timeline: one query per provider, registered by ChildcareConfig.ready()."""

from accompaniment.timeline import Event, on_day, person, register

from .enums import RequestStatus
from .models import ChildcareRequest, Placement


def request_events(beneficiary):
    requests = ChildcareRequest.objects.filter(beneficiary=beneficiary).select_related(
        "requested_by__organisation", "eligibility_checked_by__organisation", "answered_by__organisation"
    )
    events = []
    for req in requests:
        requester = req.requested_by
        events.append(
            Event(
                at=req.created_at,
                title=f"Demande de garde : {req.get_kind_display()} pour {req.child_first_name}",
                actor=person(requester, requester.organisation),
                details=(
                    f"{req.get_provider_kind_display()}, motif : {req.get_purpose_display()}",
                    f"Du {req.starts_on:%d/%m/%Y} au {req.ends_on:%d/%m/%Y}",
                ),
                kind="childcare",
            )
        )
        if req.eligibility_checked_at:
            checker = req.eligibility_checked_by
            refused = req.status == RequestStatus.INELIGIBLE
            events.append(
                Event(
                    at=req.eligibility_checked_at,
                    title="Garde : non éligible (CAF)" if refused else "Garde : éligibilité confirmée par la CAF",
                    actor=person(checker, checker.organisation) if checker else "",
                    details=(f"Motif : {req.eligibility_refusal_reason}",) if refused else (),
                    kind="childcare",
                )
            )
        if req.status == RequestStatus.DECLINED and req.answered_at:
            answerer = req.answered_by
            events.append(
                Event(
                    at=req.answered_at,
                    title="Garde : demande refusée par la coordination",
                    actor=person(answerer, answerer.organisation) if answerer else "",
                    details=(f"Motif : {req.decline_reason}",),
                    kind="childcare",
                )
            )
    return events


def placement_events(beneficiary):
    placements = Placement.objects.filter(request__beneficiary=beneficiary).select_related(
        "provider", "created_by__organisation", "request"
    )
    events = []
    for placement in placements:
        author = placement.created_by
        events.append(
            Event(
                at=placement.created_at,
                title=f"Accueil {'renouvelé' if placement.renewal_of_id else 'proposé'} : {placement.provider}",
                actor=person(author, author.organisation),
                details=(
                    f"Pour {placement.request.child_first_name}, du {placement.starts_on:%d/%m/%Y} "
                    f"au {placement.ends_on:%d/%m/%Y}",
                ),
                kind="childcare",
            )
        )
        if placement.ended_on:
            events.append(
                Event(
                    at=on_day(placement.ended_on),
                    title=f"Fin de l'accueil : {placement.provider}",
                    details=(f"Situation du parent : {placement.get_outcome_display()}",),
                    kind="childcare",
                    date_only=True,
                )
            )
    return events


def register_providers():
    register(request_events)
    register(placement_events)
