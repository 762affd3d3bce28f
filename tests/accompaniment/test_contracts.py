"""Signing a commitment contract from the file page, the contract page's weekly table and the file section."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accompaniment import services, timeline
from accompaniment.models import (
    Activity,
    ActivityHours,
    Contract,
    ContractHoursStep,
    contract_mondays,
    hours_done_by_week,
    monday_of,
    week_figures,
)
from accompaniment.timeline_contracts import contract_events
from accompaniment.views_contracts import file_contract_context
from audit.models import Action, AuditLog

from .contract_support import *  # noqa: F403  (fixtures)
from .contract_support import add_activity, contract_url, sign, sign_url

D = datetime.date


def _post(client, file, **overrides):
    data = {
        "kind": "ce",
        "signed_on": "02/11/2026",
        "starts_on": "02/11/2026",
        "ends_on": "",
        "weekly_hours": "15",
        "hours_reduction_reason": "",
        "hours_reduction_comment": "",
        "objectives": "Reprendre une formation qualifiante",
    }
    data.update(overrides)
    return client.post(sign_url(file), data)


# Signing through the view -----------------------------------------------------------------------------------
def test_the_signing_form_proposes_a_ce_of_15_hours_ending_6_months_after_today(client, referent, oriented_file):
    client.force_login(referent)
    response = client.get(sign_url(oriented_file))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["kind"].value() == "ce"
    assert form["weekly_hours"].value() == 15
    assert form["ends_on"].value() == D(2027, 5, 20)


def test_a_referent_signs_a_contract_of_15_hours_whose_end_defaults_to_6_months(client, referent, oriented_file):
    client.force_login(referent)
    response = _post(client, oriented_file)
    contract = Contract.objects.get(beneficiary=oriented_file)
    assert response.status_code == 302 and response["Location"] == contract_url(contract)
    assert (contract.kind, contract.weekly_hours, contract.created_by) == ("ce", 15, referent)
    assert (contract.starts_on, contract.ends_on) == (D(2026, 11, 2), D(2027, 5, 2))
    assert contract.objectives == "Reprendre une formation qualifiante"
    page = client.get(response["Location"]).content.decode()
    assert "Contrat signé le 02/11/2026 : CE, 15 h par semaine, jusqu&#x27;au 02/05/2027." in page


def test_six_months_after_the_31st_of_august_is_the_last_day_of_february():
    assert services.suggested_contract_end(D(2026, 8, 31)) == D(2027, 2, 28)
    assert services.suggested_contract_end(D(2027, 8, 31)) == D(2028, 2, 29)


def test_20_hours_is_the_most_a_contract_asks_for(client, referent, oriented_file):
    client.force_login(referent)
    response = _post(client, oriented_file, weekly_hours="20,5")
    assert response.status_code == 200
    assert response.context["form"].errors["weekly_hours"] == ["Au plus 20 heures."]
    assert 'id="id_weekly_hours_error"' in response.content.decode()
    assert not Contract.objects.exists()
    assert _post(client, oriented_file, weekly_hours="20").status_code == 302
    assert Contract.objects.get().weekly_hours == 20


def test_below_15_hours_a_reduction_reason_is_required_next_to_the_reason_field(client, referent, oriented_file):
    client.force_login(referent)
    response = _post(client, oriented_file, weekly_hours="10")
    errors = response.context["form"].errors
    assert errors["hours_reduction_reason"] == ["En dessous de 15 heures, indiquez le motif de réduction."]
    assert 'id="id_hours_reduction_reason_error"' in response.content.decode()
    assert not Contract.objects.exists()
    assert _post(client, oriented_file, weekly_hours="10", hours_reduction_reason="health").status_code == 302
    contract = Contract.objects.get()
    assert (contract.weekly_hours, contract.hours_reduction_reason) == (10, "health")


def test_a_reduction_for_another_reason_says_which(client, referent, oriented_file):
    client.force_login(referent)
    response = _post(client, oriented_file, weekly_hours="12", hours_reduction_reason="other")
    assert response.context["form"].errors["hours_reduction_comment"] == ["Précisez le motif de réduction."]
    response = _post(client, oriented_file, weekly_hours="15", hours_reduction_reason="health")
    assert response.context["form"].errors["hours_reduction_reason"] == [
        "Un motif de réduction suppose moins de 15 heures par semaine."
    ]
    assert not Contract.objects.exists()


def test_a_progressive_plan_rises_step_by_step_up_to_20_hours(client, referent, oriented_file):
    client.force_login(referent)
    response = _post(
        client,
        oriented_file,
        step_1_on="04/01/2027",
        step_1_hours="20",
        step_2_on="01/12/2026",
        step_2_hours="17,5",
    )
    assert response.status_code == 302
    steps = ContractHoursStep.objects.filter(contract__beneficiary=oriented_file).order_by("starts_on")
    assert [(s.starts_on, s.weekly_hours) for s in steps] == [
        (D(2026, 12, 1), Decimal("17.5")),
        (D(2027, 1, 4), Decimal(20)),
    ]


def test_steps_that_do_not_rise_are_refused_next_to_the_step(client, referent, oriented_file):
    client.force_login(referent)
    response = _post(
        client,
        oriented_file,
        step_1_on="01/12/2026",
        step_1_hours="15",
        step_2_on="04/01/2027",
        step_2_hours="18",
        step_3_on="01/02/2027",
        step_3_hours="17",
    )
    errors = response.context["form"].errors
    assert errors["step_1_hours"] == ["Les paliers montent progressivement : plus de 15 h."]
    assert errors["step_3_hours"] == ["Les paliers montent progressivement : plus de 18 h."]
    assert "step_2_hours" not in errors
    assert 'id="id_step_3_hours_error"' in response.content.decode()
    assert not Contract.objects.exists()


def test_a_step_starts_during_the_contract_and_has_a_date_and_hours(client, referent, oriented_file):
    client.force_login(referent)
    response = _post(
        client, oriented_file, step_1_on="01/06/2027", step_1_hours="18", step_2_on="01/12/2026", step_3_hours="19"
    )
    errors = response.context["form"].errors
    assert errors["step_1_on"] == [
        "Un palier commence pendant le contrat, après son premier jour (du 02/11/2026 au 02/05/2027)."
    ]
    assert errors["step_2_hours"] == ["Indiquez les heures de ce palier."]
    assert errors["step_3_on"] == ["Indiquez la date de ce palier."]


def test_two_steps_on_the_same_day_are_refused_by_the_service(oriented_file, referent):
    with pytest.raises(ValidationError) as error:
        sign(oriented_file, referent, hours_steps=[(D(2026, 12, 1), 17), (D(2026, 12, 1), 18)])
    assert error.value.message_dict["hours_steps"] == ["Deux paliers ne peuvent pas commencer le même jour."]
    assert not Contract.objects.exists()


def test_no_contract_without_a_current_orientation(client, referent, followed_file):
    client.force_login(referent)
    page = client.get(sign_url(followed_file)).content.decode()
    assert "Un contrat ne peut être signé qu'avec une orientation en cours : ce dossier n'en a pas." in page
    assert "Enregistrer le contrat signé" not in page
    response = _post(client, followed_file)
    assert response.status_code == 200 and response.context["form"] is None
    assert not Contract.objects.exists()
    with pytest.raises(ValidationError, match="orientation en cours"):
        sign(followed_file, referent)


def test_a_ce_is_not_signed_before_the_orientation_but_a_legacy_contract_may_be_recorded(
    client, referent, oriented_file
):
    client.force_login(referent)
    response = _post(client, oriented_file, signed_on="15/09/2026", starts_on="15/09/2026")
    assert response.context["form"].errors["signed_on"] == [
        "Le contrat ne peut pas être signé avant la décision d'orientation (01/10/2026)."
    ]
    assert _post(client, oriented_file, kind="cer", signed_on="15/09/2026", starts_on="15/09/2026").status_code == 302
    assert Contract.objects.get().kind == "cer"


def test_a_contract_starts_on_its_signature_or_after_and_is_not_signed_in_the_future(client, referent, oriented_file):
    client.force_login(referent)
    errors = _post(client, oriented_file, signed_on="21/11/2026", starts_on="20/11/2026").context["form"].errors
    assert errors["signed_on"] == ["La date de signature ne peut pas être dans le futur."]
    assert errors["starts_on"] == ["Le contrat commence le jour de sa signature ou après."]


def test_a_new_contract_replaces_the_running_one_from_its_start(client, referent, oriented_file):
    first = sign(oriented_file, referent, signed_on=D(2026, 10, 5), starts_on=D(2026, 10, 5))
    client.force_login(referent)
    page = client.get(sign_url(oriented_file)).content.decode()
    assert "le nouveau contrat le remplacera" in page
    response = _post(client, oriented_file, signed_on="16/11/2026", starts_on="16/11/2026", weekly_hours="18")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.ends_on == D(2026, 11, 15)
    assert (
        "Le contrat signé le 05/10/2026 prend fin le 15/11/2026." in client.get(response["Location"]).content.decode()
    )


def test_a_contract_overlapping_one_that_starts_the_same_day_or_later_is_refused(referent, oriented_file):
    sign(oriented_file, referent, signed_on=D(2026, 11, 2), starts_on=D(2026, 11, 2))
    with pytest.raises(ValidationError) as error:
        sign(oriented_file, referent, signed_on=D(2026, 11, 2), starts_on=D(2026, 11, 3), ends_on=D(2027, 1, 1))
    assert error.value.message_dict["starts_on"] == [
        "Un contrat court déjà du 02/11/2026 au 02/05/2027 : choisissez des dates qui ne le chevauchent pas, "
        "ou un début à partir du 04/11/2026 pour le remplacer."
    ]
    assert Contract.objects.count() == 1


# Who may sign and read -------------------------------------------------------------------------------------
def test_the_referent_and_an_orientation_officer_who_see_the_file_may_sign(client, referent, officer, oriented_file):
    for user in (referent, officer):
        client.force_login(user)
        assert client.get(sign_url(oriented_file)).status_code == 200


def test_a_user_of_another_organisation_and_a_stranger_get_404(
    client, other_organisation_user, stranger, oriented_file, referent
):
    contract = sign(oriented_file, referent)
    for user in (other_organisation_user, stranger):
        client.force_login(user)
        assert client.get(sign_url(oriented_file)).status_code == 404
        assert _post(client, oriented_file).status_code == 404
        assert client.get(contract_url(contract)).status_code == 404
    assert Contract.objects.count() == 1


def test_a_caf_agent_who_sees_the_file_reads_the_contract_but_may_not_sign(client, caf_agent, oriented_file, referent):
    contract = sign(oriented_file, referent)
    client.force_login(caf_agent)
    assert client.get(sign_url(oriented_file)).status_code == 403
    assert _post(client, oriented_file, signed_on="16/11/2026", starts_on="16/11/2026").status_code == 403
    response = client.get(contract_url(contract))
    assert response.status_code == 200
    assert "Saisir les heures réalisées" not in response.content.decode()
    assert "Ajouter une activité" not in response.content.decode()


def test_reading_the_contract_page_is_audited(client, referent, oriented_file):
    contract = sign(oriented_file, referent)
    client.force_login(referent)
    client.get(contract_url(contract))
    entry = AuditLog.objects.filter(action=Action.READ, object_type="accompaniment.contract").get()
    assert entry.object_id == str(contract.pk) and entry.user == referent


# The weekly table ----------------------------------------------------------------------------------------
@pytest.fixture
def known_contract(oriented_file, referent):
    """From Monday 2 November 2026, 15 h, then 18 h from Wednesday 18 November (the week of the 16th).

    Week of 2 Nov: the CV workshop (3 h planned, 3 h done). Week of 9 Nov: no activity. Week of 16 Nov (this
    week): the training (10 h planned, 6 h done) and the job fair (4 h planned, 4 h done)."""
    contract = sign(oriented_file, referent, hours_steps=[(D(2026, 11, 18), 18)])
    workshop = add_activity(
        contract,
        referent,
        kind="cv_workshop",
        title="Atelier CV",
        starts_on=D(2026, 11, 2),
        ends_on=D(2026, 11, 6),
        weekly_planned_hours=3,
    )
    training = add_activity(contract, referent, starts_on=D(2026, 11, 16), ends_on=D(2027, 3, 31))
    fair = add_activity(
        contract,
        referent,
        kind="job_fair",
        title="Forum de l'emploi",
        starts_on=D(2026, 11, 19),
        ends_on=D(2026, 11, 19),
        weekly_planned_hours=4,
    )
    services.activity_record_hours(activity=workshop, week_of=D(2026, 11, 4), hours=3, by=referent)
    services.activity_record_hours(activity=training, week_of=D(2026, 11, 17), hours=6, by=referent)
    services.activity_record_hours(activity=fair, week_of=D(2026, 11, 19), hours=4, by=referent)
    return contract


def _figures(weeks):
    return [(w.monday, w.target, w.planned, w.done, w.recorded, w.below_target) for w in weeks]


def test_the_weekly_table_gives_target_planned_and_done_hours_of_each_week_most_recent_first(
    client, referent, known_contract
):
    client.force_login(referent)
    response = client.get(contract_url(known_contract))
    weeks = response.context["work"].weeks
    assert _figures(weeks) == [
        (D(2026, 11, 16), 18, 14, 10, True, True),  # the step counts for the week it starts in
        (D(2026, 11, 9), 15, 0, 0, False, True),  # no activity, nothing recorded
        (D(2026, 11, 2), 15, 3, 3, True, True),
    ]
    assert weeks[0].is_current and not weeks[1].is_current
    page = response.content.decode()
    assert page.count("En deçà de l'objectif") == 2  # past weeks only; this week is still running
    assert "non saisies" in page


def test_the_week_figures_helper_reads_no_database(known_contract, django_assert_num_queries):
    steps = list(known_contract.hours_steps.all())
    activities = list(Activity.objects.filter(contract=known_contract).for_plan())
    hours = hours_done_by_week(known_contract)
    mondays = contract_mondays(known_contract, D(2026, 11, 20))
    with django_assert_num_queries(0):
        weeks = week_figures(
            known_contract,
            mondays=mondays,
            steps=steps,
            activities=activities,
            hours_by_week=hours,
            today=D(2026, 11, 20),
        )
    assert [w.done for w in weeks] == [10, 0, 3]


def test_a_met_target_has_no_warning(client, referent, known_contract):
    training = Activity.objects.get(contract=known_contract, kind="training")
    services.activity_record_hours(activity=training, week_of=D(2026, 11, 20), hours=14, by=referent)
    client.force_login(referent)
    weeks = client.get(contract_url(known_contract)).context["work"].weeks
    assert (weeks[0].target, weeks[0].done, weeks[0].below_target) == (18, 18, False)


def test_the_table_shows_the_last_12_weeks_and_links_to_every_week(client, referent, oriented_file):
    contract = sign(oriented_file, referent, signed_on=D(2026, 10, 1), starts_on=D(2026, 10, 1))
    Contract.objects.filter(pk=contract.pk).update(signed_on=D(2026, 1, 5), starts_on=D(2026, 1, 5))
    client.force_login(referent)
    response = client.get(contract_url(contract))
    work = response.context["work"]
    assert len(work.weeks) == 12 and work.week_count == 46
    assert work.weeks[0].monday == D(2026, 11, 16) and work.weeks[-1].monday == D(2026, 8, 31)
    assert "?semaines=toutes#heures" in response.content.decode()
    every = client.get(contract_url(contract) + "?semaines=toutes").context["work"].weeks
    assert len(every) == 46 and every[-1].monday == D(2026, 1, 5)


def test_a_contract_that_starts_next_week_has_no_week_yet(client, referent, oriented_file):
    contract = sign(oriented_file, referent, signed_on=D(2026, 11, 20), starts_on=D(2026, 11, 23))
    client.force_login(referent)
    response = client.get(contract_url(contract))
    assert response.context["work"].weeks == []
    assert "aucune semaine écoulée" in response.content.decode()


def _contract_page_queries(client, contract):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(contract_url(contract))
    assert response.status_code == 200
    return len(queries.captured_queries)


def _many_activities(contract, by, count):
    activities = Activity.objects.bulk_create(
        Activity(
            contract=contract,
            kind="workshop",
            title=f"Atelier {n}",
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            weekly_planned_hours=1,
            created_by=by,
        )
        for n in range(count)
    )
    monday = monday_of(contract.starts_on)
    ActivityHours.objects.bulk_create(
        ActivityHours(activity=activity, week_of=monday, hours=1, recorded_by=by) for activity in activities
    )


def test_the_contract_page_runs_the_same_queries_with_5_and_200_activities(client, referent, oriented_file):
    small = sign(oriented_file, referent, signed_on=D(2026, 10, 5), starts_on=D(2026, 10, 5))
    large = sign(oriented_file, referent, signed_on=D(2026, 11, 2), starts_on=D(2026, 11, 2))
    small.refresh_from_db()
    _many_activities(small, referent, 5)
    _many_activities(large, referent, 200)
    client.force_login(referent)
    client.get(contract_url(small))  # warm the session and the user's roles
    assert _contract_page_queries(client, small) == _contract_page_queries(client, large)
    assert client.get(contract_url(large)).context["work"].weeks[-1].done == 200


# The file page's section -----------------------------------------------------------------------------------
def _section(user, file):
    request = RequestFactory().get("/")
    request.user = user
    context = file_contract_context(request, file)
    return context["contract_section"], render_to_string("accompaniment/_file_contract.html", context, request=request)


def test_the_file_shows_the_current_contract_at_a_glance_and_earlier_ones(client, referent, known_contract):
    earlier = Contract.objects.create(
        beneficiary=known_contract.beneficiary,
        kind="ppae",
        signed_on=D(2025, 3, 1),
        starts_on=D(2025, 3, 1),
        ends_on=D(2025, 9, 1),
        created_by=referent,
    )
    section, html = _section(referent, known_contract.beneficiary)
    assert section.current == known_contract and section.earlier == [earlier]
    assert section.hours_now == 18
    assert (section.this_week.planned, section.this_week.done) == (14, 10)
    assert "Contrat d&#x27;engagement" in html and "du 02/11/2026 au 02/05/2027" in html
    assert "18 h par semaine" in html and "14 h prévues · 10 h réalisées" in html
    assert "Plan insuffisant" in html  # 14 h planned for 18 h expected
    assert "PPAE signé le 01/03/2025" in html
    assert reverse("accompaniment:contract_sign", kwargs={"pk": known_contract.beneficiary_id}) in html
    client.force_login(referent)
    page = client.get(reverse("accompaniment:detail", kwargs={"pk": known_contract.beneficiary_id})).content.decode()
    assert 'id="contrat"' in page and "CE · 18 h/semaine" in page


def test_a_file_without_orientation_has_no_sign_button(referent, followed_file):
    section, html = _section(referent, followed_file)
    assert section.current is None and not section.has_orientation
    assert "Signer un contrat" not in html
    assert "Un contrat se signe après la décision d'orientation." in html


def test_the_contract_section_runs_five_queries_with_5_or_200_activities(
    referent, oriented_file, django_assert_num_queries
):
    referent.role_codes  # noqa: B018  (cached once per request)
    for count, day in ((5, D(2026, 10, 5)), (200, D(2026, 11, 2))):
        contract = sign(oriented_file, referent, signed_on=day, starts_on=day, hours_steps=[(D(2026, 12, 7), 18)])
        _many_activities(contract, referent, count)
        ActivityHours.objects.filter(activity__contract=contract).update(week_of=D(2026, 11, 16))
        request = RequestFactory().get("/")
        request.user = referent
        with django_assert_num_queries(5):
            context = file_contract_context(request, oriented_file)
            render_to_string("accompaniment/_file_contract.html", context)
        assert context["contract_section"].this_week.done == count


# Timeline ---------------------------------------------------------------------------------------------------
def test_the_timeline_says_who_signed_which_contract_in_one_query(referent, oriented_file, django_assert_num_queries):
    sign(oriented_file, referent)
    sign(
        oriented_file,
        referent,
        signed_on=D(2026, 11, 16),
        starts_on=D(2026, 11, 16),
        weekly_hours=Decimal("12.5"),
        hours_reduction_reason="single_parent_no_childcare",
    )
    assert contract_events in timeline.providers()
    with django_assert_num_queries(1):
        events = contract_events(oriented_file)
    titles = sorted(event.title for event in events)
    assert titles == ["Contrat signé (CE, 12,5 h/semaine)", "Contrat signé (CE, 15 h/semaine)"]
    event = next(e for e in events if "12,5" in e.title)
    assert event.actor == f"Rachida Référente ({referent.organisation})"
    assert "Heures réduites : Parent isolé sans solution de garde" in event.details
