"""The file's referent: designation and reassignment through the views, who may, the file-page section and
timeline, the referent's portfolio ("Mes dossiers"), the managers' team portfolio and the list's filters."""

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from accompaniment import services, timeline
from accompaniment.enums import ExitReason, InterviewKind, InterviewStatus, RightsState, Status
from accompaniment.forms import referent_candidates
from accompaniment.models import Beneficiary, ReferentAssignment
from accompaniment.views_referents import file_referent_context, referent_events
from audit.models import Action, AuditLog
from orientation.services import orientation_decide, orientation_reorient
from partners.enums import OrganisationType, Role, SectorKind
from tests.factories import BeneficiaryFactory, OrganisationFactory, SectorFactory, UserFactory, commune

TODAY = datetime.date(2026, 11, 20)
DECIDED_ON = datetime.date(2026, 10, 1)
PORTFOLIO = reverse("accompaniment:portfolio")
TEAM_PORTFOLIO = reverse("accompaniment:team_portfolio")
LIST = reverse("accompaniment:list")


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-11-20 10:00"):
        yield


@pytest.fixture
def officer(departement):
    """A Département orientation officer: sees every file of the Département's sectors."""
    return UserFactory(
        organisation=departement, roles=[Role.ORIENTATION_OFFICER], first_name="Odile", last_name="Orientation"
    )


@pytest.fixture
def colleague(departement, referent):
    """Another referent of the Département, in the referent's team."""
    user = UserFactory(organisation=departement, roles=[Role.REFERENT], first_name="Claude", last_name="Collègue")
    referent.teams.get().members.add(user)
    return user


@pytest.fixture
def manager(departement, referent):
    """The manager of the referent's team (a Département manager)."""
    user = UserFactory(organisation=departement, roles=[Role.MANAGER], first_name="Maud", last_name="Manager")
    referent.teams.update(manager=user)
    return user


@pytest.fixture
def ft_agency(db):
    return OrganisationFactory(code="FT-PRADO", type=OrganisationType.FRANCE_TRAVAIL, name="France Travail Prado")


@pytest.fixture
def oriented_file(followed_file, officer, departement):
    """The referent's file, oriented on 1 October 2026 with the Département as lead organisation."""
    orientation_decide(
        beneficiary=followed_file, pathway="social_pro", organisation=departement, decided_on=DECIDED_ON, by=officer
    )
    return followed_file


def designate_url(file):
    return reverse("accompaniment:referent_designate", kwargs={"pk": file.pk})


def detail_url(file):
    return reverse("accompaniment:detail", kwargs={"pk": file.pk})


def _designate(client, file, agent, designated_on="15/10/2026", **extra):
    return client.post(designate_url(file), {"agent": agent.pk, "designated_on": designated_on, **extra})


def _section_html(user, file):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string("accompaniment/_file_referent.html", file_referent_context(request, file), request=request)


def _orient(file, organisation, by, decided_on=DECIDED_ON, pathway="emploi"):
    return orientation_decide(
        beneficiary=file, pathway=pathway, organisation=organisation, decided_on=decided_on, by=by
    )


def _open_episode(file, by, held_on=datetime.date(2026, 10, 20)):
    services.interview_record(
        beneficiary=file,
        by=by,
        kind=InterviewKind.ACCOMPANIMENT,
        scheduled_for=datetime.datetime(held_on.year, held_on.month, held_on.day, 9, tzinfo=datetime.UTC),
        status=InterviewStatus.HELD,
        held_on=held_on,
    )


# Designation and reassignment -------------------------------------------------------------------------------
def test_an_officer_designates_the_referent_of_an_oriented_file(client, officer, referent, oriented_file):
    client.force_login(officer)
    form_page = client.get(designate_url(oriented_file))
    assert form_page.status_code == 200
    html = form_page.content.decode()
    assert '<optgroup label="Insertion Marseille Sud">' in html
    assert "Rachida Référente (aucun dossier suivi)" in html
    assert 'value="20/11/2026"' in html  # today by default
    assert "Motif du changement" not in html  # a first designation has no reason

    response = _designate(client, oriented_file, referent)
    assert response.status_code == 302
    assert response["Location"] == detail_url(oriented_file) + "#referent"
    assignment = ReferentAssignment.objects.get(beneficiary=oriented_file)
    assert (assignment.agent, assignment.designated_by, assignment.designated_on) == (
        referent,
        officer,
        datetime.date(2026, 10, 15),
    )
    assert assignment.organisation == officer.organisation
    page = client.get(detail_url(oriented_file)).content.decode()
    assert "Rachida Référente est le référent du dossier de Awa DIALLO depuis le 15/10/2026." in page
    section = _section_html(officer, oriented_file)
    assert "Rachida Référente" in section and "15/10/2026" in section and "Changer de référent" in section


def test_the_select_counts_the_files_each_referent_already_follows(client, officer, referent, oriented_file, colleague):
    for _ in range(2):
        other = BeneficiaryFactory(created_by=referent)
        _orient(other, referent.organisation, officer)
        services.referent_designate(beneficiary=other, agent=colleague, designated_on=TODAY, by=officer)
    client.force_login(officer)
    html = client.get(designate_url(oriented_file)).content.decode()
    assert "Claude Collègue (2 dossiers suivis)" in html


def test_a_reassignment_closes_the_previous_designation_with_its_reason_and_keeps_the_history(
    client, officer, referent, colleague, oriented_file
):
    client.force_login(officer)
    _designate(client, oriented_file, referent, "05/10/2026")
    form = client.get(designate_url(oriented_file)).context["form"]
    assert "reason" in form.fields
    assert "Rachida Référente" not in str(form["agent"])  # the current referent is not offered again

    missing_reason = _designate(client, oriented_file, colleague, "10/11/2026")
    assert missing_reason.context["form"].errors["reason"] == ["Indiquez le motif du changement de référent."]

    response = _designate(client, oriented_file, colleague, "10/11/2026", reason="Changement de secteur")
    assert response.status_code == 302
    previous, current = ReferentAssignment.objects.filter(beneficiary=oriented_file).order_by("designated_on")
    assert (previous.agent, previous.ended_on, previous.end_reason) == (
        referent,
        datetime.date(2026, 11, 10),
        "Changement de secteur",
    )
    assert (current.agent, current.ended_on) == (colleague, None)
    section = _section_html(officer, oriented_file)
    assert "Référents précédents" in section
    assert "du 05/10/2026 au 10/11/2026" in section
    assert "Motif : Changement de secteur" in section


def test_a_manager_of_the_lead_organisation_reassigns_the_referent(client, manager, referent, colleague, oriented_file):
    services.referent_designate(beneficiary=oriented_file, agent=referent, designated_on=DECIDED_ON, by=UserFactory())
    client.force_login(manager)
    assert client.get(designate_url(oriented_file)).status_code == 200
    response = _designate(client, oriented_file, colleague, "12/11/2026", reason="Départ en formation")
    assert response.status_code == 302
    assert oriented_file.current_referent_assignment.agent == colleague


def test_the_referent_of_the_file_cannot_designate(client, referent, oriented_file):
    client.force_login(referent)
    assert client.get(designate_url(oriented_file)).status_code == 403
    assert _designate(client, oriented_file, referent).status_code == 403
    assert not ReferentAssignment.objects.exists()


def test_a_user_of_another_organisation_and_a_stranger_get_404(
    client, other_organisation_user, stranger, oriented_file
):
    outsider_officer = UserFactory(organisation=other_organisation_user.organisation, roles=[Role.ORIENTATION_OFFICER])
    for user in (other_organisation_user, outsider_officer, stranger):
        client.force_login(user)
        assert client.get(designate_url(oriented_file)).status_code == 404
        assert _designate(client, oriented_file, user).status_code == 404
    assert not ReferentAssignment.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client, oriented_file):
    response = client.get(designate_url(oriented_file))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_officer_who_sees_the_file_but_is_not_of_the_lead_organisation_gets_403(
    client, ft_agency, referent, oriented_file
):
    prado = SectorFactory(code="FT-AREA-PRADO", kind=SectorKind.FRANCE_TRAVAIL_AREA, communes=[commune("13208")])
    ft_agency.sectors.add(prado)
    ft_officer = UserFactory(organisation=ft_agency, roles=[Role.ORIENTATION_OFFICER])
    client.force_login(ft_officer)
    assert client.get(detail_url(oriented_file)).status_code == 200  # the file is in the agency's area
    assert "Désigner le référent" not in _section_html(ft_officer, oriented_file)
    assert client.get(designate_url(oriented_file)).status_code == 403
    assert _designate(client, oriented_file, referent).status_code == 403


def test_the_departements_officers_designate_for_any_lead_organisation(client, officer, followed_file, ft_agency):
    _orient(followed_file, ft_agency, officer)
    counsellor = UserFactory(organisation=ft_agency, roles=[Role.REFERENT], first_name="Fabien", last_name="Conseil")
    client.force_login(officer)
    assert "Désigner le référent" in _section_html(officer, followed_file)
    assert "Fabien Conseil" in client.get(designate_url(followed_file)).content.decode()
    assert _designate(client, followed_file, counsellor).status_code == 302
    assert followed_file.current_referent_assignment.organisation == ft_agency


def test_a_file_without_a_current_orientation_says_so_with_a_link_to_orient(client, officer, manager, followed_file):
    client.force_login(officer)
    response = client.get(designate_url(followed_file))
    assert response.status_code == 200 and response.context["form"] is None
    html = response.content.decode()
    assert "n'a pas d'orientation en cours" in html
    assert reverse("orientation:decide", kwargs={"pk": followed_file.pk}) in html
    assert "il sera désigné par l'organisme référent une fois le dossier orienté" in _section_html(
        officer, followed_file
    )

    client.force_login(manager)
    html = client.get(designate_url(followed_file)).content.decode()
    assert "Un chargé d'orientation doit d'abord orienter le dossier." in html
    assert reverse("orientation:decide", kwargs={"pk": followed_file.pk}) not in html
    assert client.post(designate_url(followed_file), {"agent": manager.pk}).status_code == 200
    assert not ReferentAssignment.objects.exists()


# Errors next to their field ---------------------------------------------------------------------------------
def test_an_agent_of_another_organisation_is_refused_on_the_field(client, officer, oriented_file, ft_agency):
    counsellor = UserFactory(organisation=ft_agency, roles=[Role.REFERENT])
    client.force_login(officer)
    response = _designate(client, oriented_file, counsellor)
    assert response.status_code == 200
    assert response.context["form"].errors["agent"] == [
        "Le référent doit appartenir à l'organisme référent de l'orientation."
    ]
    assert 'id="id_agent_error"' in response.content.decode()
    assert not ReferentAssignment.objects.exists()


def test_an_agent_without_the_referent_role_or_unknown_is_refused_on_the_field(client, officer, manager, oriented_file):
    client.force_login(officer)
    assert _designate(client, oriented_file, manager).context["form"].errors["agent"] == [
        "Cette personne n'a pas le rôle de référent."
    ]
    unknown = client.post(designate_url(oriented_file), {"agent": "999999", "designated_on": "15/10/2026"})
    assert unknown.context["form"].errors["agent"] == ["Choisissez un référent de la liste."]
    assert not ReferentAssignment.objects.exists()


def test_a_designation_before_the_decision_or_in_the_future_is_refused_on_the_date(
    client, officer, referent, oriented_file
):
    client.force_login(officer)
    before = _designate(client, oriented_file, referent, "30/09/2026")
    assert before.context["form"].errors["designated_on"] == [
        "La désignation ne peut pas précéder la décision d'orientation."
    ]
    assert 'id="id_designated_on_error"' in before.content.decode()
    future = _designate(client, oriented_file, referent, "21/11/2026")
    assert future.context["form"].errors["designated_on"] == ["La date de désignation ne peut pas être dans le futur."]
    garbage = _designate(client, oriented_file, referent, "31/02/2026")
    assert "designated_on" in garbage.context["form"].errors
    assert not ReferentAssignment.objects.exists()


def test_candidates_are_the_active_referents_of_the_lead_organisation_in_one_query(
    departement, referent, colleague, manager, ft_agency, django_assert_num_queries
):
    UserFactory(organisation=departement, roles=[Role.REFERENT], is_active=False, last_name="Parti")
    UserFactory(organisation=ft_agency, roles=[Role.REFERENT], last_name="Ailleurs")
    loner = UserFactory(organisation=departement, roles=[Role.REFERENT], first_name="Solène", last_name="Seule")
    with django_assert_num_queries(1):
        candidates = list(referent_candidates(departement.pk))
    assert candidates == [colleague, referent, loner]  # by team (the team first, then those without), then name
    assert [(c.team_name, c.followed_count) for c in candidates] == [
        ("Insertion Marseille Sud", 0),
        ("Insertion Marseille Sud", 0),
        (None, 0),
    ]


# The file page's section and the timeline -------------------------------------------------------------------
def test_the_section_runs_the_same_queries_with_a_short_and_a_long_history(officer, referent, departement):
    def file_with(designations):
        file = BeneficiaryFactory(created_by=referent)
        _orient(file, departement, officer, decided_on=datetime.date(2026, 1, 5))
        for index in range(designations):
            agent = UserFactory(organisation=departement, roles=[Role.REFERENT])
            services.referent_designate(
                beneficiary=file,
                agent=agent,
                designated_on=datetime.date(2026, 1, 5) + datetime.timedelta(days=index),
                by=officer,
                reason=f"Motif {index}",
            )
        return file

    small, large = file_with(1), file_with(30)
    request = RequestFactory().get("/")
    request.user = officer
    officer.organisation, officer.role_codes  # noqa: B018  (loaded once per request by the file page)
    counts = []
    for file in (small, large):
        with CaptureQueriesContext(connection) as context:
            section = file_referent_context(request, file)["referent_section"]
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1] == 2
    assert len(section.history) == 29 and section.may_designate


def test_the_file_page_shows_the_section_after_the_orientation_card(client, officer, referent, oriented_file):
    services.referent_designate(beneficiary=oriented_file, agent=referent, designated_on=DECIDED_ON, by=officer)
    client.force_login(officer)
    html = client.get(detail_url(oriented_file)).content.decode()
    assert 'id="orientation"' in html and 'id="referent"' in html
    assert html.index('id="orientation"') < html.index('id="referent"')


def test_timeline_events_say_who_designated_and_why_a_designation_ended(officer, referent, colleague, oriented_file):
    assert referent_events in timeline.providers()
    services.referent_designate(beneficiary=oriented_file, agent=referent, designated_on=DECIDED_ON, by=officer)
    services.referent_designate(
        beneficiary=oriented_file, agent=colleague, designated_on=TODAY, by=officer, reason="Surcharge"
    )
    departement = officer.organisation
    events = {event.title: event for event in referent_events(oriented_file)}
    assert set(events) == {
        f"Référent désigné : Rachida Référente ({departement})",
        f"Référent désigné : Claude Collègue ({departement})",
        "Fin de la désignation de Rachida Référente : Surcharge",
    }
    assert all(event.actor == f"Odile Orientation ({departement})" for event in events.values())
    titles = [event.title for event in timeline.events_for(oriented_file) if event.kind == "referent"]
    assert titles[:2] == [
        f"Référent désigné : Claude Collègue ({departement})",
        "Fin de la désignation de Rachida Référente : Surcharge",
    ]


def test_the_timeline_provider_runs_one_query(officer, departement, oriented_file, django_assert_num_queries):
    for index in range(5):
        agent = UserFactory(organisation=departement, roles=[Role.REFERENT])
        services.referent_designate(
            beneficiary=oriented_file,
            agent=agent,
            designated_on=DECIDED_ON + datetime.timedelta(days=index),
            by=officer,
            reason="Rotation",
        )
    with django_assert_num_queries(1):
        events = referent_events(oriented_file)
    assert len(events) == 9


def test_an_exit_ends_the_designation_and_the_timeline_says_so(officer, referent, oriented_file):
    services.referent_designate(beneficiary=oriented_file, agent=referent, designated_on=DECIDED_ON, by=officer)
    services.exit_record(beneficiary=oriented_file, exited_on=TODAY, reason=ExitReason.DEMENAGEMENT, by=referent)
    titles = {event.title: event for event in referent_events(oriented_file)}
    ended = titles["Fin de la désignation de Rachida Référente : Sortie du dispositif"]
    assert ended.actor == "" and ended.at.date() == TODAY


# "Mes dossiers" ---------------------------------------------------------------------------------------------
@pytest.fixture
def portfolio_files(officer, referent, colleague, departement):
    """Five files: three of the referent (oriented, in accompaniment, rights closed), one of a colleague,
    one the referent followed before a reassignment."""

    def followed(last_name, agent=referent, pathway="emploi", **fields):
        file = BeneficiaryFactory(created_by=referent, last_name=last_name, **fields)
        _orient(file, departement, officer, pathway=pathway)
        services.referent_designate(beneficiary=file, agent=agent, designated_on=DECIDED_ON, by=officer)
        return file

    oriented = followed("Oriente", rights_opened_on=datetime.date(2026, 3, 1))
    accompanied = followed("Accompagne", pathway="social_pro", rights_opened_on=datetime.date(2026, 5, 1))
    _open_episode(accompanied, referent)
    closed = followed("Clos")
    closed.rights_state = RightsState.CLOSED
    closed.save()
    other = followed("Collegue", agent=colleague)
    handed_over = followed("Transmis")
    services.referent_designate(
        beneficiary=handed_over, agent=colleague, designated_on=TODAY, by=officer, reason="Transfert"
    )
    return {"oriented": oriented, "accompanied": accompanied, "closed": closed, "other": other}


def _names(response):
    return [file.last_name for file in response.context["page_obj"].object_list]


def _tabs(response):
    return {tab.code: tab.count for tab in response.context["tabs"]}


def test_the_portfolio_lists_the_files_the_user_is_the_current_referent_of_with_counts_by_status(
    client, referent, portfolio_files
):
    client.force_login(referent)
    response = client.get(PORTFOLIO)
    assert response.status_code == 200
    assert _names(response) == ["Accompagne", "Clos", "Oriente"]
    assert _tabs(response) == {
        "": 3,
        Status.ORIENTED: 1,
        Status.IN_ACCOMPANIMENT: 1,
        Status.OUT_OF_SCOPE: 1,
    }  # statuses no file has are left out, except the first two
    html = response.content.decode()
    for text in ("Socio-professionnel", "01/10/2026", "20/10/2026", "01/05/2026", "En accompagnement"):
        assert text in html


def test_the_status_cards_filter_the_portfolio(client, referent, portfolio_files):
    client.force_login(referent)
    response = client.get(PORTFOLIO, {"status": Status.IN_ACCOMPANIMENT})
    assert _names(response) == ["Accompagne"]
    assert _tabs(response)[""] == 3  # the counts stay those of the whole portfolio
    assert [tab.code for tab in response.context["tabs"] if tab.active] == [Status.IN_ACCOMPANIMENT]
    assert 'aria-current="true"' in response.content.decode()
    exited = client.get(PORTFOLIO, {"status": Status.EXITED})
    assert _names(exited) == [] and _tabs(exited)[Status.EXITED] == 0
    assert _names(client.get(PORTFOLIO, {"status": "n'importe quoi"})) == ["Accompagne", "Clos", "Oriente"]


def test_the_portfolio_sorts_by_its_columns(client, referent, portfolio_files):
    client.force_login(referent)
    assert _names(client.get(PORTFOLIO, {"tri": "-nom"})) == ["Oriente", "Clos", "Accompagne"]
    assert _names(client.get(PORTFOLIO, {"tri": "contact"})) == ["Accompagne", "Clos", "Oriente"]
    assert _names(client.get(PORTFOLIO, {"tri": "-ouverture"})) == ["Clos", "Accompagne", "Oriente"]
    assert _names(client.get(PORTFOLIO, {"tri": "drop table"})) == ["Accompagne", "Clos", "Oriente"]


def test_the_portfolio_is_for_referents_only_and_audited_as_a_list(client, officer, referent, portfolio_files):
    client.force_login(officer)
    assert client.get(PORTFOLIO).status_code == 403
    client.force_login(referent)
    client.get(PORTFOLIO)
    entry = AuditLog.objects.filter(action=Action.LIST, path=PORTFOLIO).get()
    assert sorted(entry.object_ids) == sorted(f.pk for k, f in portfolio_files.items() if k != "other")


def test_an_empty_portfolio_says_how_files_come(client, other_organisation_user):
    client.force_login(other_organisation_user)
    html = client.get(PORTFOLIO).content.decode()
    assert "Vous n'êtes le référent d'aucun dossier pour l'instant" in html


def test_the_portfolio_runs_the_same_queries_with_3_and_40_files(client, officer, referent, departement):
    def follow(count):
        for index in range(count):
            file = BeneficiaryFactory(created_by=referent)
            _orient(file, departement, officer)
            services.referent_designate(beneficiary=file, agent=referent, designated_on=DECIDED_ON, by=officer)
            if index % 2:
                _open_episode(file, referent)

    client.force_login(referent)
    client.get(PORTFOLIO)  # warm the session and content types

    def queries(url):
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    urls = [PORTFOLIO, PORTFOLIO + "?status=in_accompaniment&tri=-contact"]
    follow(3)
    with_3 = [queries(url) for url in urls]
    follow(37)
    with_40 = [queries(url) for url in urls]
    assert with_3 == with_40


def test_referents_land_on_their_portfolio_and_find_it_in_the_navigation(client, referent, officer):
    client.force_login(referent)
    assert client.get(reverse("home")).url == PORTFOLIO
    assert f'href="{PORTFOLIO}"' in client.get(LIST).content.decode()
    client.force_login(officer)
    assert f'href="{PORTFOLIO}"' not in client.get(LIST).content.decode()


# "Dossiers de mon équipe" -----------------------------------------------------------------------------------
def test_a_manager_sees_the_files_of_their_teams_with_counts_per_referent(
    client, manager, referent, colleague, portfolio_files
):
    client.force_login(manager)
    assert client.get(reverse("home")).url == LIST  # managers keep landing on the list
    response = client.get(TEAM_PORTFOLIO)
    assert response.status_code == 200
    assert [(r.get_full_name(), r.followed_count) for r in response.context["referents"]] == [
        ("Claude Collègue", 2),
        ("Rachida Référente", 3),
    ]
    assert _names(response) == ["Accompagne", "Clos", "Collegue", "Oriente", "Transmis"]
    one = client.get(TEAM_PORTFOLIO, {"referent": colleague.pk})
    assert _names(one) == ["Collegue", "Transmis"]
    assert one.context["chosen"] == colleague
    assert "Dossiers suivis par Claude Collègue" in one.content.decode()
    assert AuditLog.objects.filter(action=Action.LIST, path=TEAM_PORTFOLIO).count() == 2


def test_the_team_portfolio_is_for_managers_only(client, referent, officer):
    for user in (referent, officer):
        client.force_login(user)
        assert client.get(TEAM_PORTFOLIO).status_code == 403


# The file list's status and referent filters ----------------------------------------------------------------
def test_the_list_filters_by_status_and_referent_and_shows_pathway_and_referent(
    client, officer, referent, colleague, portfolio_files
):
    to_orient = BeneficiaryFactory(created_by=referent, last_name="Nouveau")
    client.force_login(officer)

    def found(query):
        return sorted(f.last_name for f in client.get(LIST, query).context["page_obj"].object_list)

    assert found({"status": Status.TO_ORIENT}) == ["Nouveau"]
    assert found({"status": Status.ORIENTED}) == ["Collegue", "Oriente", "Transmis"]
    assert found({"status": Status.IN_ACCOMPANIMENT}) == ["Accompagne"]
    assert found({"status": Status.OUT_OF_SCOPE}) == ["Clos"]
    assert found({"referent": referent.pk}) == ["Accompagne", "Clos", "Oriente"]
    assert found({"referent": colleague.pk, "status": Status.ORIENTED}) == ["Collegue", "Transmis"]
    assert found({"referent": "aucun"}) == ["Nouveau"]
    assert len(found({"referent": "123456", "status": "inconnu"})) == 6  # invalid values are ignored
    html = client.get(LIST, {"referent": referent.pk}).content.decode()
    assert "Rachida Référente" in html and "Socio-professionnel" in html
    assert to_orient.last_name.upper() not in html
    referents_offered = client.get(LIST).context["filter"].form.fields["referent"].choices
    assert [label for _value, label in referents_offered] == [
        "Tous",
        "Sans référent",
        "COLLÈGUE Claude",
        "RÉFÉRENTE Rachida",
    ]


def test_the_stored_status_is_the_status_derived_from_the_facts_for_every_status(officer, referent, portfolio_files):
    BeneficiaryFactory(created_by=referent, rights_and_duties=False)
    BeneficiaryFactory(created_by=referent)  # to orient
    exited = BeneficiaryFactory(created_by=referent)
    _orient(exited, officer.organisation, officer)
    services.exit_record(beneficiary=exited, exited_on=TODAY, reason=ExitReason.ABANDON, by=referent)
    files = Beneficiary.objects.annotate(derived=Beneficiary.objects.status_expression())
    stored_and_derived = list(files.values_list("status_code", "derived"))
    assert {derived for _stored, derived in stored_and_derived} == set(Status.values)
    assert all(stored == derived for stored, derived in stored_and_derived), stored_and_derived
    assert Beneficiary.objects.refresh_status() == 0  # nothing was out of date


def test_a_bulk_write_past_the_signals_is_caught_by_the_refresh(referent):
    file = BeneficiaryFactory(created_by=referent)
    Beneficiary.objects.filter(pk=file.pk).update(rights_state=RightsState.CLOSED)
    assert Beneficiary.objects.get(pk=file.pk).status == Status.TO_ORIENT  # stale until refreshed

    assert Beneficiary.objects.refresh_status() == 1

    assert Beneficiary.objects.get(pk=file.pk).status == Status.OUT_OF_SCOPE


def test_a_reorientation_to_another_organisation_leaves_the_file_without_referent(
    client, officer, referent, oriented_file, ft_agency
):
    services.referent_designate(beneficiary=oriented_file, agent=referent, designated_on=DECIDED_ON, by=officer)
    orientation_reorient(
        beneficiary=oriented_file,
        pathway="emploi",
        organisation=ft_agency,
        decided_on=TODAY,
        by=officer,
        reason="Projet professionnel",
    )
    client.force_login(officer)
    assert oriented_file in client.get(LIST, {"referent": "aucun"}).context["page_obj"].object_list
    section = _section_html(officer, oriented_file)
    assert "Aucun référent" in section and "Réorientation vers un autre organisme" in section
