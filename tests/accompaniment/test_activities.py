"""The action plan: activities added and edited, their status moves, the hours done recorded week by week."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from freezegun import freeze_time

from accompaniment import services, timeline
from accompaniment.models import Activity, ActivityHours, ActivityStatusChange
from accompaniment.timeline_contracts import activity_events, activity_status_events, hours_events
from orientation.services import orientation_decide
from partners.enums import OrganisationType
from tests.factories import OrganisationFactory

from .contract_support import *  # noqa: F403  (fixtures)
from .contract_support import (
    activity_create_url,
    activity_edit_url,
    add_activity,
    contract_url,
    hours_url,
    sign,
    status_url,
)

D = datetime.date


@pytest.fixture
def contract(oriented_file, referent):
    """From Monday 2 November 2026 to 2 May 2027, 15 h a week."""
    return sign(oriented_file, referent)


@pytest.fixture
def training(contract, referent):
    return add_activity(contract, referent, starts_on=D(2026, 11, 2), ends_on=D(2027, 1, 29))


def _activity_data(**overrides):
    data = {
        "kind": "immersion",
        "title": "Immersion en entrepôt",
        "provider_organisation": "",
        "provider": "",
        "starts_on": "16/11/2026",
        "ends_on": "27/11/2026",
        "weekly_planned_hours": "20",
    }
    data.update(overrides)
    return data


def _hours(client, contract, activity, week_of, hours, **headers):
    data = {"heures-activity": activity.pk, "heures-week_of": week_of, "heures-hours": hours}
    return client.post(hours_url(contract), data, **headers)


def _status(client, activity, status, on, **headers):
    prefix = f"activite-{activity.pk}"
    return client.post(status_url(activity), {f"{prefix}-status": status, f"{prefix}-changed_on": on}, **headers)


HTMX = {"HTTP_HX_REQUEST": "true"}


# Adding and editing ---------------------------------------------------------------------------------------
def test_a_referent_adds_an_activity_with_a_partner_to_the_action_plan(client, referent, contract):
    operator = OrganisationFactory(type=OrganisationType.INSERTION_OPERATOR, name="ACI Les Jardins du Nord")
    client.force_login(referent)
    assert client.get(activity_create_url(contract)).status_code == 200
    response = client.post(activity_create_url(contract), _activity_data(provider_organisation=operator.pk))
    activity = Activity.objects.get(contract=contract)
    assert response.status_code == 302 and response["Location"] == contract_url(contract) + f"#activite-{activity.pk}"
    assert (activity.kind, activity.status, activity.provider_organisation) == ("immersion", "planned", operator)
    assert activity.weekly_planned_hours == 20 and activity.created_by == referent
    page = client.get(contract_url(contract)).content.decode()
    assert "Immersion en entrepôt" in page and "ACI Les Jardins du Nord" in page and "Prévue" in page


def test_a_partner_and_a_free_text_provider_are_not_both_given(client, referent, contract):
    operator = OrganisationFactory(type=OrganisationType.INSERTION_OPERATOR)
    client.force_login(referent)
    response = client.post(
        activity_create_url(contract), _activity_data(provider_organisation=operator.pk, provider="Association X")
    )
    assert response.context["form"].errors["provider"] == [
        "Choisissez un partenaire ou saisissez un organisme, pas les deux."
    ]
    assert 'id="id_provider_error"' in response.content.decode()
    assert not Activity.objects.exists()


def test_an_activity_takes_place_during_the_contract_and_ends_after_it_starts(client, referent, contract):
    client.force_login(referent)
    errors = (
        client.post(activity_create_url(contract), _activity_data(starts_on="01/06/2027", ends_on="30/06/2027"))
        .context["form"]
        .errors
    )
    assert errors["starts_on"] == [
        "L'activité se déroule, au moins en partie, pendant le contrat (du 02/11/2026 au 02/05/2027)."
    ]
    errors = (
        client.post(activity_create_url(contract), _activity_data(starts_on="20/11/2026", ends_on="19/11/2026"))
        .context["form"]
        .errors
    )
    assert errors["ends_on"] == ["La fin de l'activité doit suivre son début."]
    assert not Activity.objects.exists()


def test_planned_hours_above_35_a_week_are_refused_by_the_form_and_the_service(client, referent, contract):
    client.force_login(referent)
    errors = (
        client.post(activity_create_url(contract), _activity_data(weekly_planned_hours="40")).context["form"].errors
    )
    assert errors["weekly_planned_hours"] == ["Au plus 35 heures."]
    with pytest.raises(ValidationError) as error:
        add_activity(contract, referent, weekly_planned_hours=40)
    assert "weekly_planned_hours" in error.value.message_dict


def test_editing_an_activity_keeps_the_weeks_whose_hours_are_recorded(client, referent, contract, training):
    services.activity_record_hours(activity=training, week_of=D(2026, 11, 4), hours=8, by=referent)
    client.force_login(referent)
    assert client.get(activity_edit_url(training)).context["form"]["title"].value() == training.title
    response = client.post(
        activity_edit_url(training),
        _activity_data(kind="training", title="Formation cariste", starts_on="09/11/2026", ends_on="29/01/2027"),
    )
    assert response.context["form"].errors["starts_on"] == [
        "Des heures sont enregistrées la semaine du 02/11/2026 : l'activité la couvre."
    ]
    response = client.post(
        activity_edit_url(training),
        _activity_data(kind="training", title="Formation cariste", starts_on="03/11/2026", ends_on="29/01/2027"),
    )
    assert response.status_code == 302
    training.refresh_from_db()
    assert (training.title, training.starts_on, training.weekly_planned_hours) == (
        "Formation cariste",
        D(2026, 11, 3),
        20,
    )


# Hours done --------------------------------------------------------------------------------------------
def test_hours_recorded_through_the_page_are_stored_for_the_monday_and_start_the_activity(
    client, referent, contract, training
):
    client.force_login(referent)
    response = _hours(client, contract, training, "12/11/2026", "7,5")
    assert response.status_code == 302 and response["Location"] == contract_url(contract) + "#heures"
    record = ActivityHours.objects.get(activity=training)
    assert (record.week_of, record.hours, record.recorded_by) == (D(2026, 11, 9), Decimal("7.5"), referent)
    training.refresh_from_db()
    assert training.status == "in_progress"
    change = ActivityStatusChange.objects.get(activity=training)
    assert (change.status, change.changed_on, change.changed_by) == ("in_progress", D(2026, 11, 9), referent)
    page = client.get(response["Location"]).content.decode()
    assert "7,5 h réalisées la semaine du 09/11/2026 enregistrées pour « Formation agent de propreté »." in page


def test_recording_a_week_again_replaces_its_hours(client, referent, contract, training):
    client.force_login(referent)
    _hours(client, contract, training, "09/11/2026", "6")
    _hours(client, contract, training, "15/11/2026", "9")
    assert list(ActivityHours.objects.values_list("week_of", "hours")) == [(D(2026, 11, 9), 9)]


def test_with_htmx_recording_hours_answers_the_work_area_with_the_new_figures(client, referent, contract, training):
    client.force_login(referent)
    response = _hours(client, contract, training, "10/11/2026", "12", **HTMX)
    assert response.status_code == 200
    assert response.templates[0].name == "accompaniment/_contract_work.html"
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="travail-contrat"') and "<html" not in html
    assert "data-contract-focus" in html and "12 h réalisées la semaine du 09/11/2026 enregistrées" in html
    weeks = response.context["work"].weeks
    assert (weeks[1].monday, weeks[1].done, weeks[1].planned) == (D(2026, 11, 9), 12, 10)


def test_hours_of_a_future_week_or_outside_the_activity_are_refused_next_to_the_week(
    client, referent, contract, training
):
    short = add_activity(contract, referent, title="Atelier CV", starts_on=D(2026, 11, 16), ends_on=D(2026, 11, 17))
    client.force_login(referent)
    errors = _hours(client, contract, training, "23/11/2026", "4").context["work"].hours_form.errors
    assert errors["week_of"] == ["Les heures réalisées ne peuvent pas concerner une semaine future."]
    response = _hours(client, contract, short, "09/11/2026", "4", **HTMX)
    assert response.context["work"].hours_form.errors["week_of"] == [
        "La semaine du 09/11/2026 est en dehors des dates de l'activité (du 16/11/2026 au 17/11/2026)."
    ]
    assert 'id="id_heures-week_of_error"' in response.content.decode()
    errors = _hours(client, contract, training, "09/11/2026", "61").context["work"].hours_form.errors
    assert errors["hours"] == ["Au plus 60 heures."]
    assert not ActivityHours.objects.exists()


def test_the_service_refuses_hours_out_of_range_without_a_database_error(referent, training):
    with pytest.raises(ValidationError) as error:
        services.activity_record_hours(activity=training, week_of=D(2026, 11, 9), hours=75, by=referent)
    assert error.value.message_dict["hours"] == ["Les heures réalisées vont de 0 à 60 par semaine."]


def test_hours_are_not_recorded_on_an_activity_of_another_contract(client, referent, contract, training, oriented_file):
    other = sign(oriented_file, referent, signed_on=D(2026, 11, 16), starts_on=D(2026, 11, 16))
    add_activity(other, referent, title="Recherche d'emploi", kind="job_search")
    client.force_login(referent)
    errors = _hours(client, other, training, "16/11/2026", "3").context["work"].hours_form.errors
    assert "activity" in errors
    assert not ActivityHours.objects.exists()


# Status ------------------------------------------------------------------------------------------------
def test_an_activity_moves_from_planned_to_done_through_the_page(client, referent, contract, training):
    client.force_login(referent)
    response = _status(client, training, "done", "18/11/2026")
    assert response.status_code == 302 and response["Location"].endswith(f"#activite-{training.pk}")
    training.refresh_from_db()
    assert training.status == "done" and training.closed_on == D(2026, 11, 18)
    page = client.get(contract_url(contract)).content.decode()
    assert "« Formation agent de propreté » : réalisée le 18/11/2026." in page


def test_a_done_activity_no_longer_changes_and_an_abandoned_one_may_resume(referent, training):
    services.activity_change_status(activity=training, status="abandoned", on=D(2026, 11, 10), by=referent)
    services.activity_change_status(activity=training, status="in_progress", on=D(2026, 11, 12), by=referent)
    services.activity_change_status(activity=training, status="done", on=D(2026, 11, 19), by=referent)
    with pytest.raises(ValidationError) as error:
        services.activity_change_status(activity=training, status="in_progress", on=D(2026, 11, 20), by=referent)
    assert error.value.message_dict["status"] == ["Une activité réalisée ne change plus de statut."]
    with pytest.raises(ValidationError) as error:
        services.activity_change_status(activity=training, status="planned", on=D(2026, 11, 20), by=referent)
    assert error.value.message_dict["status"] == ["Une activité réalisée ne change plus de statut."]
    assert list(ActivityStatusChange.objects.values_list("status", flat=True)) == ["abandoned", "in_progress", "done"]


def test_an_in_progress_activity_cannot_go_back_to_planned(referent, training):
    services.activity_change_status(activity=training, status="in_progress", on=D(2026, 11, 3), by=referent)
    with pytest.raises(ValidationError) as error:
        services.activity_change_status(activity=training, status="planned", on=D(2026, 11, 4), by=referent)
    assert error.value.message_dict["status"] == ["Une activité « en cours » ne peut pas devenir « prévue »."]


def test_a_status_change_is_dated_neither_in_the_future_nor_before_the_previous_one(
    client, referent, contract, training
):
    services.activity_change_status(activity=training, status="in_progress", on=D(2026, 11, 9), by=referent)
    client.force_login(referent)
    response = _status(client, training, "abandoned", "21/11/2026", **HTMX)
    form = response.context["work"].rows[0].status_form
    assert form.errors["changed_on"] == ["La date du changement ne peut pas être dans le futur."]
    assert '<details class="mt-1" open>' in response.content.decode()  # unfolded to show its error
    form = _status(client, training, "abandoned", "05/11/2026").context["work"].rows[0].status_form
    assert form.errors["changed_on"] == ["Le changement ne peut pas précéder le précédent (en cours le 09/11/2026)."]
    training.refresh_from_db()
    assert training.status == "in_progress"


def test_an_abandoned_activity_stops_counting_and_takes_no_hours_after_its_abandonment(
    client, referent, contract, training
):
    services.activity_record_hours(activity=training, week_of=D(2026, 11, 3), hours=10, by=referent)
    services.activity_record_hours(activity=training, week_of=D(2026, 11, 10), hours=8, by=referent)
    with pytest.raises(ValidationError) as error:
        services.activity_change_status(activity=training, status="abandoned", on=D(2026, 11, 6), by=referent)
    assert error.value.message_dict["changed_on"] == [
        "Des heures sont enregistrées la semaine du 09/11/2026 : choisissez une date ultérieure."
    ]
    services.activity_change_status(activity=training, status="abandoned", on=D(2026, 11, 11), by=referent)
    with pytest.raises(ValidationError) as error:
        services.activity_record_hours(activity=training, week_of=D(2026, 11, 17), hours=4, by=referent)
    assert error.value.message_dict["week_of"] == ["L'activité est abandonnée depuis le 11/11/2026."]
    client.force_login(referent)
    weeks = client.get(contract_url(contract)).context["work"].weeks
    assert [(w.monday, w.planned, w.done) for w in weeks] == [
        (D(2026, 11, 16), 0, 0),
        (D(2026, 11, 9), 10, 8),
        (D(2026, 11, 2), 10, 10),
    ]


# Who may -----------------------------------------------------------------------------------------------
def test_a_user_of_another_organisation_and_a_stranger_get_404_on_the_action_plan(
    client, other_organisation_user, stranger, contract, training
):
    for user in (other_organisation_user, stranger):
        client.force_login(user)
        assert client.get(activity_create_url(contract)).status_code == 404
        assert client.get(activity_edit_url(training)).status_code == 404
        assert client.post(activity_create_url(contract), _activity_data()).status_code == 404
        assert _hours(client, contract, training, "09/11/2026", "3").status_code == 404
        assert _status(client, training, "done", "18/11/2026").status_code == 404
    assert Activity.objects.count() == 1 and not ActivityHours.objects.exists()
    assert Activity.objects.get().status == "planned"


def test_a_caf_agent_who_sees_the_file_may_not_keep_its_action_plan(client, caf_agent, contract, training):
    client.force_login(caf_agent)
    assert client.get(activity_create_url(contract)).status_code == 403
    assert client.get(activity_edit_url(training)).status_code == 403
    assert _hours(client, contract, training, "09/11/2026", "3").status_code == 403
    assert _status(client, training, "done", "18/11/2026").status_code == 403
    assert not ActivityHours.objects.exists()


def test_the_activity_pages_are_audited(client, referent, training, contract):
    from audit.models import Action, AuditLog

    client.force_login(referent)
    client.get(activity_edit_url(training))
    assert AuditLog.objects.filter(
        action=Action.READ, object_type="accompaniment.activity", object_id=training.pk
    ).exists()
    client.get(activity_create_url(contract))
    assert AuditLog.objects.filter(
        action=Action.READ, object_type="accompaniment.contract", object_id=contract.pk
    ).exists()


# Timeline ---------------------------------------------------------------------------------------------
@freeze_time("2026-01-09 10:00")
def test_the_timeline_tells_activities_added_their_status_and_the_hours_done(
    followed_file, referent, officer, departement, django_assert_num_queries
):
    orientation_decide(
        beneficiary=followed_file, pathway="emploi", organisation=departement, decided_on=D(2025, 12, 1), by=officer
    )
    contract = sign(followed_file, referent, signed_on=D(2025, 12, 8), starts_on=D(2025, 12, 8), ends_on=D(2026, 6, 8))
    workshop = add_activity(
        contract,
        referent,
        kind="cv_workshop",
        title="Atelier CV",
        starts_on=D(2026, 1, 5),
        ends_on=D(2026, 1, 9),
        weekly_planned_hours=4,
    )
    services.activity_record_hours(activity=workshop, week_of=D(2026, 1, 7), hours=4, by=referent)
    services.activity_change_status(activity=workshop, status="done", on=D(2026, 1, 9), by=referent)
    assert {activity_events, activity_status_events, hours_events} <= set(timeline.providers())
    with django_assert_num_queries(1):
        added = activity_events(followed_file)
    with django_assert_num_queries(1):
        statuses = activity_status_events(followed_file)
    with django_assert_num_queries(1):
        hours = hours_events(followed_file)
    actor = f"Rachida Référente ({referent.organisation})"
    assert [(e.title, e.actor) for e in added] == [("Activité ajoutée : Atelier CV (Atelier CV et candidature)", actor)]
    assert [(e.title, e.actor) for e in statuses] == [
        ("Activité en cours : Atelier CV", actor),
        ("Activité réalisée : Atelier CV", actor),
    ]
    assert [(e.title, e.actor) for e in hours] == [("4 h réalisées la semaine du 05/01/2026 — Atelier CV", actor)]
    titles = [event.title for event in timeline.events_for(followed_file)]
    assert "Contrat signé (CE, 15 h/semaine)" in titles and "Activité réalisée : Atelier CV" in titles
