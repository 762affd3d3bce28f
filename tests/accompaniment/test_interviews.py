"""Interviews from the file page: recorded planned or held, edited, their status changed in one click; the
episode they open; who may record them; the file page's sections at a constant number of queries."""

import datetime
from html import unescape

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from accompaniment import services, timeline
from accompaniment.enums import ExitReason, InterviewKind, InterviewStatus, Status
from accompaniment.models import Beneficiary, Episode, Interview
from accompaniment.permissions import share_file
from accompaniment.timeline_interviews import episode_events, exit_events, interview_events
from accompaniment.views_interviews import file_sections_context
from audit.models import Action, AuditLog
from orientation.services import orientation_decide
from partners.enums import OrganisationType, Role
from tests.factories import OrganisationFactory, UserFactory

TODAY = datetime.date(2026, 11, 20)
PARIS = datetime.timezone(datetime.timedelta(hours=1))  # Paris in November (winter time)
pytestmark = pytest.mark.usefixtures("_frozen")


@pytest.fixture
def _frozen():
    with freeze_time("2026-11-20 10:00:00"):
        yield


@pytest.fixture
def officer(departement):
    return UserFactory(
        organisation=departement, roles=[Role.ORIENTATION_OFFICER], first_name="Odile", last_name="Orientation"
    )


@pytest.fixture
def oriented_file(followed_file, departement, officer):
    orientation_decide(
        beneficiary=followed_file,
        pathway="social_pro",
        organisation=departement,
        decided_on=datetime.date(2026, 10, 1),
        by=officer,
    )
    return followed_file


@pytest.fixture
def caf_agent(db):
    caf = OrganisationFactory(code="CAF13", type=OrganisationType.CAF, name="CAF des Bouches-du-Rhône")
    return UserFactory(organisation=caf, roles=[Role.CAF_AGENT], first_name="Camille", last_name="Caf")


def give_access(file, user, by):
    share_file(
        beneficiary=file,
        by=by,
        reason="Entretien giratoire",
        ends_on=TODAY + datetime.timedelta(days=30),
        user=user,
    )


def create_url(file):
    return reverse("accompaniment:interview_create", kwargs={"pk": file.pk})


def edit_url(interview):
    return reverse("accompaniment:interview_edit", kwargs={"interview_pk": interview.pk})


def status_url(interview):
    return reverse("accompaniment:interview_status", kwargs={"interview_pk": interview.pk})


def detail_url(file):
    return reverse("accompaniment:detail", kwargs={"pk": file.pk})


def interview_data(**overrides):
    data = {
        "kind": InterviewKind.ACCOMPANIMENT,
        "scheduled_date": "12/11/2026",
        "scheduled_time": "09:30",
        "medium": "in_person",
        "status": InterviewStatus.PLANNED,
        "held_on": "",
        "outcome": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def at_paris(day, hour=9, minute=30):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def record(file, by, *, kind=InterviewKind.ACCOMPANIMENT, on=datetime.date(2026, 11, 12), held=False, **fields):
    return services.interview_record(
        beneficiary=file,
        by=by,
        kind=kind,
        scheduled_for=at_paris(on),
        status=InterviewStatus.HELD if held else InterviewStatus.PLANNED,
        held_on=on if held else None,
        **fields,
    )


def status_of(file):
    return Beneficiary.objects.get(pk=file.pk).status


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# Recording ------------------------------------------------------------------------------------------------
def test_a_referent_records_a_planned_interview_at_its_paris_time(client, referent, oriented_file):
    client.force_login(referent)
    assert client.get(create_url(oriented_file)).status_code == 200
    response = client.post(
        create_url(oriented_file),
        interview_data(scheduled_date="25/11/2026", scheduled_time="14:00", medium="phone", participants=[referent.pk]),
    )
    assert response.status_code == 302
    assert response["Location"] == detail_url(oriented_file) + "#entretiens"
    interview = Interview.objects.get()
    assert interview.scheduled_for == datetime.datetime(2026, 11, 25, 13, 0, tzinfo=datetime.UTC)
    assert (interview.status, interview.medium, interview.created_by) == ("planned", "phone", referent)
    assert list(interview.participants.all()) == [referent]
    oriented_file.refresh_from_db()
    assert oriented_file.last_contact_on is None
    assert not Episode.objects.exists()


def test_a_held_accompaniment_interview_updates_the_last_contact_and_opens_the_accompaniment(
    client, referent, oriented_file
):
    client.force_login(referent)
    response = client.post(
        create_url(oriented_file),
        interview_data(status="held", held_on="12/11/2026", outcome="Projet d'aide-soignante"),
        follow=True,
    )
    assert "Entrée en accompagnement le 12/11/2026." in " ".join(messages_of(response))
    oriented_file.refresh_from_db()
    assert oriented_file.last_contact_on == datetime.date(2026, 11, 12)
    episode = Episode.objects.get(beneficiary=oriented_file)
    assert episode.started_on == datetime.date(2026, 11, 12)
    assert episode.opening_interview == Interview.objects.get()
    assert status_of(oriented_file) == Status.IN_ACCOMPANIMENT


def test_a_held_interview_without_a_held_date_was_held_on_the_planned_day(client, referent, oriented_file):
    client.force_login(referent)
    client.post(create_url(oriented_file), interview_data(status="held", scheduled_date="18/11/2026"))
    assert Interview.objects.get().held_on == datetime.date(2026, 11, 18)


def test_a_held_interview_planned_in_the_future_asks_for_its_held_date(client, referent, oriented_file):
    client.force_login(referent)
    response = client.post(create_url(oriented_file), interview_data(status="held", scheduled_date="25/11/2026"))
    assert response.status_code == 200
    assert response.context["form"].errors["held_on"] == ["Indiquez la date à laquelle l'entretien s'est tenu."]
    assert 'id="id_held_on_error"' in response.content.decode()
    assert not Interview.objects.exists()


def test_a_held_date_on_a_planned_interview_is_refused_next_to_the_field(client, referent, oriented_file):
    client.force_login(referent)
    response = client.post(create_url(oriented_file), interview_data(held_on="12/11/2026"))
    assert response.context["form"].errors["held_on"] == ["Seul un entretien tenu a une date de tenue."]
    assert not Interview.objects.exists()


def test_a_diagnostic_interview_updates_the_last_contact_but_opens_no_accompaniment(client, referent, oriented_file):
    client.force_login(referent)
    response = client.post(
        create_url(oriented_file),
        interview_data(kind="diagnostic", status="held", held_on="12/11/2026"),
        follow=True,
    )
    assert "Entrée en accompagnement" not in " ".join(messages_of(response))
    oriented_file.refresh_from_db()
    assert oriented_file.last_contact_on == datetime.date(2026, 11, 12)
    assert not Episode.objects.exists()
    assert status_of(oriented_file) == Status.ORIENTED


def test_only_the_first_held_accompaniment_interview_after_the_orientation_opens_the_episode(
    client, referent, oriented_file
):
    client.force_login(referent)
    client.post(create_url(oriented_file), interview_data(kind="tripartite", status="held", held_on="05/10/2026"))
    client.post(create_url(oriented_file), interview_data(kind="follow_up", status="held", held_on="12/10/2026"))
    response = client.post(
        create_url(oriented_file), interview_data(kind="review", status="held", held_on="12/11/2026"), follow=True
    )
    assert messages_of(response)[-1] == "Entretien enregistré : Bilan du 12/11/2026 à 09:30 (tenu)."
    episode = Episode.objects.get()
    assert episode.started_on == datetime.date(2026, 10, 12)
    assert episode.opening_interview.kind == "follow_up"


def test_an_interview_held_before_the_orientation_opens_no_episode(client, referent, oriented_file):
    client.force_login(referent)
    client.post(create_url(oriented_file), interview_data(status="held", held_on="20/09/2026"))
    assert not Episode.objects.exists()


def test_a_reentry_after_an_exit_opens_a_new_episode(client, referent, oriented_file, officer, departement):
    record(oriented_file, referent, on=datetime.date(2026, 10, 5), held=True)
    services.exit_record(
        beneficiary=oriented_file, exited_on=datetime.date(2026, 10, 20), reason=ExitReason.ABANDON, by=referent
    )
    orientation_decide(
        beneficiary=oriented_file,
        pathway="remobilisation",
        organisation=departement,
        decided_on=datetime.date(2026, 11, 2),
        by=officer,
    )
    client.force_login(referent)
    response = client.post(
        create_url(oriented_file), interview_data(kind="follow_up", status="held", held_on="12/11/2026"), follow=True
    )
    assert "Entrée en accompagnement le 12/11/2026." in " ".join(messages_of(response))
    first, second = Episode.objects.filter(beneficiary=oriented_file).order_by("started_on")
    assert (first.started_on, first.ended_on) == (datetime.date(2026, 10, 5), datetime.date(2026, 10, 20))
    assert (second.started_on, second.ended_on) == (datetime.date(2026, 11, 12), None)
    assert status_of(oriented_file) == Status.IN_ACCOMPANIMENT


# Complementary rights -------------------------------------------------------------------------------------
def test_a_caf_rights_interview_records_the_complementary_rights_opened(client, referent, oriented_file):
    client.force_login(referent)
    client.post(
        create_url(oriented_file),
        interview_data(
            kind="caf_rights", status="held", held_on="12/11/2026", complementary_rights=["prime_activite", "css"]
        ),
    )
    interview = Interview.objects.get()
    assert interview.complementary_rights == ["prime_activite", "css"]
    assert not Episode.objects.exists()


def test_complementary_rights_on_another_kind_are_refused_on_their_field_and_nothing_is_written(
    client, referent, oriented_file
):
    client.force_login(referent)
    response = client.post(
        create_url(oriented_file),
        interview_data(status="held", held_on="12/11/2026", complementary_rights=["apl"]),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["complementary_rights"] == [
        "Les droits complémentaires se saisissent sur un entretien d'accès aux droits."
    ]
    assert 'id="id_complementary_rights_error"' in response.content.decode()
    assert not Interview.objects.exists() and not Episode.objects.exists()
    oriented_file.refresh_from_db()
    assert oriented_file.last_contact_on is None


def test_the_rights_block_is_tied_to_the_caf_rights_kind_for_the_script_and_shown_without_it(
    client, referent, oriented_file
):
    client.force_login(referent)
    html = client.get(create_url(oriented_file)).content.decode()
    assert 'data-show-when-field="kind"' in html and 'data-show-when-value="caf_rights"' in html
    assert 'name="complementary_rights"' in html and "Prime d&#x27;activité" in html


# Editing ---------------------------------------------------------------------------------------------------
def test_editing_a_planned_interview_to_held_opens_the_accompaniment(client, referent, oriented_file, officer):
    interview = record(oriented_file, referent, on=datetime.date(2026, 11, 18))
    client.force_login(referent)
    form = client.get(edit_url(interview)).context["form"]
    assert form["scheduled_date"].value() == datetime.date(2026, 11, 18)
    assert form["scheduled_time"].value() == datetime.time(9, 30)
    response = client.post(
        edit_url(interview),
        interview_data(scheduled_date="18/11/2026", status="held", participants=[referent.pk, officer.pk]),
        follow=True,
    )
    assert "Entretien modifié" in " ".join(messages_of(response))
    assert "Entrée en accompagnement le 18/11/2026." in " ".join(messages_of(response))
    interview.refresh_from_db()
    assert (interview.status, interview.held_on) == ("held", datetime.date(2026, 11, 18))
    assert set(interview.participants.all()) == {referent, officer}


def test_the_interview_that_opened_the_accompaniment_stays_a_held_accompaniment_interview(
    client, referent, oriented_file
):
    interview = record(oriented_file, referent, held=True)
    client.force_login(referent)
    response = client.post(edit_url(interview), interview_data(status="cancelled"))
    assert response.context["form"].errors["status"] == ["Cet entretien a ouvert l'accompagnement : il reste « tenu »."]
    response = client.post(edit_url(interview), interview_data(kind="diagnostic", status="held", held_on="12/11/2026"))
    assert "il reste un entretien d'accompagnement" in response.context["form"].errors["kind"][0]
    interview.refresh_from_db()
    assert (interview.kind, interview.status) == ("accompaniment", "held")


# Quick status change -----------------------------------------------------------------------------------------
def test_a_planned_interview_marked_held_today_by_htmx_swaps_its_row(client, referent, oriented_file):
    interview = record(oriented_file, referent, kind=InterviewKind.DIAGNOSTIC, on=datetime.date(2026, 11, 25))
    client.force_login(referent)
    response = client.post(status_url(interview), {"status": "held"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.templates[0].name == "accompaniment/_interview_row.html"
    html = response.content.decode()
    assert f'id="entretien-{interview.pk}"' in html and "table-success" in html and "tenu" in html
    interview.refresh_from_db()
    assert (interview.status, interview.held_on) == ("held", TODAY)
    oriented_file.refresh_from_db()
    assert oriented_file.last_contact_on == TODAY


def test_a_quick_held_that_opens_the_accompaniment_reloads_the_whole_page(client, referent, oriented_file):
    interview = record(oriented_file, referent, on=datetime.date(2026, 11, 19))
    client.force_login(referent)
    response = client.post(status_url(interview), {"status": "held"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == detail_url(oriented_file)  # a real load: status and sections change
    page = client.get(detail_url(oriented_file))
    assert "Entrée en accompagnement le 20/11/2026." in " ".join(messages_of(page))
    assert Episode.objects.get().started_on == TODAY


@pytest.mark.parametrize("status", ["excused", "no_show", "cancelled"])
def test_a_quick_status_without_javascript_comes_back_to_the_file_with_a_message(
    client, referent, oriented_file, status
):
    interview = record(oriented_file, referent, on=datetime.date(2026, 11, 19))
    client.force_login(referent)
    response = client.post(status_url(interview), {"status": status})
    assert response.status_code == 302 and response["Location"] == detail_url(oriented_file) + "#entretiens"
    interview.refresh_from_db()
    assert (interview.status, interview.held_on) == (status, None)
    oriented_file.refresh_from_db()
    assert oriented_file.last_contact_on is None
    assert not Episode.objects.exists()


def test_a_quick_status_on_an_interview_no_longer_planned_changes_nothing(client, referent, oriented_file):
    interview = record(oriented_file, referent, kind=InterviewKind.DIAGNOSTIC, held=True)
    client.force_login(referent)
    response = client.post(status_url(interview), {"status": "cancelled"}, HTTP_HX_REQUEST="true")
    assert "Cet entretien n'est plus prévu : son statut est « Tenu »." in unescape(response.content.decode())
    interview.refresh_from_db()
    assert interview.status == "held"
    response = client.post(status_url(interview), {"status": "planned"}, follow=True)
    assert interview.status == "held"
    assert "n'est plus prévu" in " ".join(messages_of(response))


def test_an_unknown_quick_status_is_refused(client, referent, oriented_file):
    interview = record(oriented_file, referent, on=datetime.date(2026, 11, 25))
    client.force_login(referent)
    response = client.post(status_url(interview), {"status": "planned"}, HTTP_HX_REQUEST="true")
    assert "Choisissez un des statuts proposés." in response.content.decode()
    interview.refresh_from_db()
    assert interview.status == "planned"


# Who may ------------------------------------------------------------------------------------------------
def test_a_user_of_another_organisation_and_a_stranger_get_404_everywhere(
    client, referent, oriented_file, other_organisation_user, stranger
):
    interview = record(oriented_file, referent)
    urls = [
        create_url(oriented_file),
        edit_url(interview),
        reverse("accompaniment:interviews", kwargs={"pk": oriented_file.pk}),
    ]
    for user in (other_organisation_user, stranger):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404
            assert client.post(url, interview_data()).status_code == 404
        assert client.post(status_url(interview), {"status": "held"}).status_code == 404
    interview.refresh_from_db()
    assert interview.status == "planned" and Interview.objects.count() == 1


def test_orientation_officers_and_managers_who_see_the_file_record_interviews(
    client, referent, oriented_file, officer, departement
):
    manager = UserFactory(organisation=departement, roles=[Role.MANAGER])
    referent.teams.update(manager=manager)
    for user in (officer, manager):
        client.force_login(user)
        response = client.post(create_url(oriented_file), interview_data(kind="review"))
        assert response.status_code == 302
    assert Interview.objects.filter(beneficiary=oriented_file).count() == 2


def test_a_caf_agent_records_caf_rights_interviews_only(client, referent, oriented_file, caf_agent):
    give_access(oriented_file, caf_agent, referent)
    client.force_login(caf_agent)
    form = client.get(create_url(oriented_file)).context["form"]
    assert [value for value, _label in form.fields["kind"].choices] == ["caf_rights"]
    refused = client.post(create_url(oriented_file), interview_data(kind="accompaniment"))
    assert "kind" in refused.context["form"].errors
    assert not Interview.objects.exists()
    client.post(
        create_url(oriented_file),
        interview_data(kind="caf_rights", status="held", held_on="12/11/2026", complementary_rights=["apl"]),
    )
    assert Interview.objects.get().created_by == caf_agent


def test_a_caf_agent_may_not_edit_nor_change_the_status_of_other_kinds(client, referent, oriented_file, caf_agent):
    give_access(oriented_file, caf_agent, referent)
    accompaniment = record(oriented_file, referent, on=datetime.date(2026, 11, 25))
    caf_rights = record(oriented_file, referent, kind=InterviewKind.CAF_RIGHTS, on=datetime.date(2026, 11, 25))
    client.force_login(caf_agent)
    assert client.get(edit_url(accompaniment)).status_code == 403
    assert client.post(status_url(accompaniment), {"status": "held"}).status_code == 403
    assert client.get(edit_url(caf_rights)).status_code == 200
    assert client.post(status_url(caf_rights), {"status": "excused"}).status_code == 302
    accompaniment.refresh_from_db()
    caf_rights.refresh_from_db()
    assert (accompaniment.status, caf_rights.status) == ("planned", "excused")
    html = client.get(detail_url(oriented_file)).content.decode()
    assert edit_url(caf_rights) in html and edit_url(accompaniment) not in html
    assert reverse("accompaniment:exit_create", kwargs={"pk": oriented_file.pk}) not in html


def test_a_childcare_coordinator_who_sees_the_file_records_no_interview(client, referent, oriented_file):
    coordinator = UserFactory(roles=[Role.CHILDCARE_COORDINATOR])
    give_access(oriented_file, coordinator, referent)
    client.force_login(coordinator)
    assert client.get(create_url(oriented_file)).status_code == 403
    assert "Nouvel entretien" not in client.get(detail_url(oriented_file)).content.decode()


# The file page's sections ----------------------------------------------------------------------------------
def _render_sections(user, file):
    """`file` comes annotated with its status, as the file page fetches it."""
    context = file_sections_context(_request(user), file)
    return render_to_string("accompaniment/_file_episodes.html", context) + render_to_string(
        "accompaniment/_file_interviews.html", context
    )


def _bulk_interviews(file, by, count, *, start=datetime.date(2025, 1, 1)):
    """`count` past interviews of every status and kind, and three planned ones."""
    statuses = ["held", "excused", "no_show", "cancelled"]
    kinds = ["accompaniment", "follow_up", "review", "diagnostic"]
    moments = [at_paris(start) + datetime.timedelta(hours=n) for n in range(count)]
    Interview.objects.bulk_create(
        Interview(
            beneficiary=file,
            kind=kinds[n % 4],
            scheduled_for=moment,
            status=statuses[n % 4],
            held_on=moment.date() if statuses[n % 4] == "held" else None,
            outcome=f"Point n° {n}",
            created_by=by,
        )
        for n, moment in enumerate(moments)
    )
    for day in (25, 26, 27):
        record(file, by, on=datetime.date(2026, 11, day))


def test_the_sections_run_the_same_five_queries_with_5_and_500_interviews(
    referent, oriented_file, departement, officer, django_assert_num_queries
):
    from tests.factories import BeneficiaryFactory

    referent.role_codes  # noqa: B018  (cached once per request)
    small = oriented_file
    large = BeneficiaryFactory(created_by=referent)
    orientation_decide(
        beneficiary=large, pathway="emploi", organisation=departement, decided_on=datetime.date(2024, 12, 1), by=officer
    )
    _bulk_interviews(small, referent, 5)
    _bulk_interviews(large, referent, 500)
    record(large, referent, on=datetime.date(2025, 1, 2), held=True)
    services.exit_record(
        beneficiary=large, exited_on=datetime.date(2025, 6, 1), reason=ExitReason.EMPLOI_DURABLE, by=referent
    )
    for file in Beneficiary.objects.filter(pk__in=[small.pk, large.pk]).order_by("pk"):
        with django_assert_num_queries(5):
            html = _render_sections(referent, file)
        assert "Entretiens prévus (3)" in html
    assert "Voir les 504 entretiens du dossier" in html
    assert "Sortie : Emploi durable" in html and "Sortie positive" in html


def test_the_file_page_runs_the_same_number_of_queries_with_5_and_500_interviews(
    client, referent, oriented_file, departement, officer
):
    from tests.factories import BeneficiaryFactory

    large = BeneficiaryFactory(created_by=referent)
    orientation_decide(
        beneficiary=large, pathway="emploi", organisation=departement, decided_on=datetime.date(2024, 12, 1), by=officer
    )
    _bulk_interviews(oriented_file, referent, 5)
    _bulk_interviews(large, referent, 500)
    client.force_login(referent)
    client.get(detail_url(oriented_file))  # warm caches

    def queries(file):
        with CaptureQueriesContext(connection) as context:
            assert client.get(detail_url(file)).status_code == 200
        return len(context.captured_queries)

    assert queries(oriented_file) == queries(large)


def test_the_section_lists_planned_interviews_first_then_the_ten_latest_past_ones(referent, oriented_file):
    _bulk_interviews(oriented_file, referent, 30)
    context = file_sections_context(_request(referent), Beneficiary.objects.get(pk=oriented_file.pk))
    sections = context["interview_sections"]
    planned = [row.interview.scheduled_for for row in sections.planned]
    past = [row.interview.scheduled_for for row in sections.past]
    assert len(planned) == 3 and planned == sorted(planned)
    assert len(past) == 10 and past == sorted(past, reverse=True)
    assert past[0] == max(Interview.objects.exclude(status="planned").values_list("scheduled_for", flat=True))
    assert sections.hidden_count == 20


def test_a_planned_interview_whose_date_has_passed_is_flagged(client, referent, oriented_file):
    record(oriented_file, referent, on=datetime.date(2026, 11, 2))
    client.force_login(referent)
    html = client.get(detail_url(oriented_file)).content.decode()
    assert "Date passée" in html and "Tenu aujourd&#x27;hui" in html


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


# Full list ---------------------------------------------------------------------------------------------------
def test_the_full_list_is_paginated_and_audited(client, referent, oriented_file, settings):
    settings.PARCOURS_PAGE_SIZE = 10
    _bulk_interviews(oriented_file, referent, 22, start=datetime.date(2026, 1, 5))
    client.force_login(referent)
    url = reverse("accompaniment:interviews", kwargs={"pk": oriented_file.pk})
    response = client.get(url + "?page=3")
    assert response.status_code == 200
    page = response.context["page_obj"]
    assert page.paginator.count == 25 and len(page.object_list) == 5
    entry = AuditLog.objects.get(action=Action.LIST, object_type="accompaniment.interview")
    assert sorted(entry.object_ids) == sorted(i.pk for i in page.object_list)
    assert AuditLog.objects.filter(action=Action.READ, object_id=str(oriented_file.pk), path=url).exists()


def test_the_full_list_shows_participants_rights_and_notes(client, referent, oriented_file, officer):
    record(
        oriented_file,
        referent,
        kind=InterviewKind.CAF_RIGHTS,
        held=True,
        participants=[officer],
        complementary_rights=["css"],
        notes="Difficultés avec le bailleur",
    )
    client.force_login(referent)
    html = client.get(reverse("accompaniment:interviews", kwargs={"pk": oriented_file.pk})).content.decode()
    assert "Odile Orientation" in html
    assert "Droits complémentaires ouverts : Complémentaire santé solidaire" in html
    assert "Difficultés avec le bailleur" in html


# Timeline ------------------------------------------------------------------------------------------------
def test_interview_episode_and_exit_providers_are_registered():
    assert {interview_events, episode_events, exit_events} <= set(timeline.providers())


def test_interview_events_say_what_happened_and_who_recorded_it_but_never_the_notes(referent, oriented_file, officer):
    record(oriented_file, referent, on=datetime.date(2026, 11, 25), medium="video")
    record(
        oriented_file,
        referent,
        kind=InterviewKind.CAF_RIGHTS,
        held=True,
        participants=[referent, officer],
        outcome="Dossier de prime d'activité déposé",
        complementary_rights=["prime_activite", "apl"],
        notes="Violences conjugales évoquées",
    )
    services.interview_record(
        beneficiary=oriented_file,
        by=referent,
        kind=InterviewKind.FOLLOW_UP,
        scheduled_for=at_paris(datetime.date(2026, 11, 3)),
        status=InterviewStatus.NO_SHOW,
    )
    events = {event.title: event for event in interview_events(oriented_file)}
    assert set(events) == {
        "Entretien programmé : Entretien d'accompagnement",
        "Entretien tenu : Accès aux droits CAF (entretien giratoire)",
        "Absence non excusée à l'entretien : Entretien de suivi",
    }
    held = events["Entretien tenu : Accès aux droits CAF (entretien giratoire)"]
    assert held.details == (
        "Modalité : en présentiel",
        "2 professionnels présents",
        "Conclusion : Dossier de prime d'activité déposé",
        "Droits complémentaires ouverts : Prime d'activité, Aide au logement",
    )
    assert held.actor == f"Rachida Référente ({referent.organisation})"
    assert events["Entretien programmé : Entretien d'accompagnement"].details == (
        "Prévu le 25/11/2026 à 09:30",
        "Modalité : en visioconférence",
    )
    assert all("Violences" not in " ".join(event.details) for event in events.values())


def test_each_interview_provider_runs_one_query(referent, oriented_file, django_assert_num_queries):
    _bulk_interviews(oriented_file, referent, 40)
    record(oriented_file, referent, on=datetime.date(2026, 11, 5), held=True)
    services.exit_record(
        beneficiary=oriented_file, exited_on=datetime.date(2026, 11, 15), reason=ExitReason.FORMATION, by=referent
    )
    with django_assert_num_queries(1):
        assert len(interview_events(oriented_file)) == 44
    with django_assert_num_queries(1):
        assert [e.title for e in episode_events(oriented_file)] == [
            "Fin de l'accompagnement",
            "Entrée en accompagnement",
        ]
    with django_assert_num_queries(1):
        assert [e.title for e in exit_events(oriented_file)] == ["Sortie : Formation qualifiante"]
