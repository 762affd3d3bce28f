import datetime

from accompaniment import timeline
from orientation.services import orientation_decide, orientation_notify, orientation_reorient
from orientation.timeline import diagnostic_events, orientation_events
from tests.factories import BeneficiaryFactory

from .factories import DiagnosticFactory


def test_orientation_providers_are_registered_by_the_app():
    assert {orientation_events, diagnostic_events} <= set(timeline.providers())


def test_orientation_events_say_who_decided_notified_and_closed(officer, ft_agency, departement, referent):
    file = BeneficiaryFactory(created_by=referent)
    first = orientation_decide(
        beneficiary=file, pathway="emploi", organisation=ft_agency, decided_on=datetime.date(2026, 10, 1), by=officer
    )
    orientation_notify(orientation=first, notified_on=datetime.date(2026, 10, 3), by=officer)
    orientation_reorient(
        beneficiary=file,
        pathway="remobilisation",
        organisation=departement,
        decided_on=datetime.date(2026, 11, 2),
        by=officer,
        reason="Santé",
    )
    events = {event.title: event for event in orientation_events(file)}
    assert set(events) == {
        "Orientation décidée : Emploi",
        "Courrier de notification envoyé",
        "Orientation close : Réorientation",
        "Orientation décidée : Remobilisation (parcours social)",
    }
    assert events["Orientation close : Réorientation"].details == ("Motif : Santé",)
    assert all(event.actor == f"Odile Orientation ({departement})" for event in events.values())


def test_each_orientation_provider_runs_one_query(officer, ft_agency, referent, django_assert_num_queries):
    file = BeneficiaryFactory(created_by=referent)
    for day in range(1, 6):
        DiagnosticFactory(beneficiary=file, created_by=referent, held_on=datetime.date(2026, 10, day), tripartite=True)
    orientation_decide(
        beneficiary=file, pathway="emploi", organisation=ft_agency, decided_on=datetime.date(2026, 10, 9), by=officer
    )
    with django_assert_num_queries(1):
        assert len(orientation_events(file)) == 1
    with django_assert_num_queries(1):
        events = diagnostic_events(file)
    assert len(events) == 5 and events[0].title == "Diagnostic tripartite"
