"""Deadline screens: « Mes échéances » (referents), « Dossiers en retard » (managers, by rule and sector), the
alerts with their bell (read, mark as read, the shared orientation queue), and the file page's section —
each tested with the referent, a user of another organisation and a stranger."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accompaniment import deadline_engine, services
from accompaniment.enums import InterviewKind, InterviewStatus, NotificationQueue
from accompaniment.models import Deadline, DeadlineAlert, Notification
from accompaniment.views_deadlines import file_deadlines_context
from audit.models import Action, AuditLog
from orientation.enums import Pathway
from orientation.services import orientation_decide
from partners.enums import Role
from tests.factories import BeneficiaryFactory, UserFactory, commune

PARIS = ZoneInfo("Europe/Paris")
MY_DEADLINES = reverse("accompaniment:my_deadlines")
LATE_FILES = reverse("accompaniment:late_files")
ALERTS = reverse("accompaniment:alerts")


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-10-20 10:00:00"):
        yield


def check():
    return deadline_engine.run_check(now=datetime.datetime(2026, 10, 20, 6, 0, tzinfo=PARIS))


@pytest.fixture
def officer(departement):
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER], first_name="Odile")


@pytest.fixture
def manager(departement, referent):
    boss = UserFactory(organisation=departement, roles=[Role.MANAGER], first_name="Maud", last_name="Manager")
    team = referent.teams.get()
    team.manager = boss
    team.save()
    return boss


@pytest.fixture
def soon_file(referent):
    """Flux on 10 September: orientation due on 22 October, soon due from 20 October."""
    return BeneficiaryFactory(
        created_by=referent,
        first_name="Inès",
        last_name="Bientôt",
        rights_opened_on=datetime.date(2026, 9, 25),
        flux_date=datetime.date(2026, 9, 10),
    )


@pytest.fixture
def stranger_file(db):
    return BeneficiaryFactory(first_name="Hors", last_name="Périmètre", commune=commune("13001"))


# « Mes échéances » ----------------------------------------------------------------------------------------
def test_a_referent_sees_the_running_deadlines_of_the_files_they_follow_nearest_first(
    client, referent, followed_file, soon_file, stranger_file
):
    check()
    client.force_login(referent)
    response = client.get(MY_DEADLINES)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.deadline.rule_code for row in rows] == [
        "referent_1m",
        "orientation_6w",
        "orientation_6w",
        "referent_1m",
    ]
    assert [row.file for row in rows] == [followed_file, followed_file, soon_file, soon_file]
    assert [row.deadline.due_at for row in rows] == sorted(row.deadline.due_at for row in rows)
    assert response.context["counts"] == {"pending": 1, "due_soon": 1, "overdue": 2}
    content = response.content.decode()
    assert "Hors" not in content
    assert "En retard" in content and "Échéance proche" in content and "en retard de" in content


def test_my_deadlines_filter_by_state_and_rule(client, referent, followed_file, soon_file):
    check()
    client.force_login(referent)
    response = client.get(MY_DEADLINES, {"etat": "due_soon"})
    assert [(row.file, row.deadline.rule_code) for row in response.context["rows"]] == [(soon_file, "orientation_6w")]
    response = client.get(MY_DEADLINES, {"regle": "referent_1m"})
    assert {row.deadline.rule_code for row in response.context["rows"]} == {"referent_1m"}


def test_a_file_the_referent_is_designated_on_counts_among_their_deadlines(
    client, referent, officer, departement, stranger_file
):
    orientation_decide(
        beneficiary=stranger_file,
        pathway=Pathway.EMPLOI,
        organisation=departement,
        decided_on=datetime.date(2026, 10, 1),
        by=officer,
    )
    services.referent_designate(
        beneficiary=stranger_file, agent=referent, designated_on=datetime.date(2026, 10, 2), by=officer
    )
    check()
    client.force_login(referent)
    response = client.get(MY_DEADLINES)
    assert {(row.file, row.deadline.rule_code) for row in response.context["rows"]} == {(stranger_file, "entry_15d")}


def test_my_deadlines_is_audited_as_a_list_of_files(client, referent, followed_file):
    check()
    client.force_login(referent)
    client.get(MY_DEADLINES)
    entry = AuditLog.objects.filter(action=Action.LIST, path=MY_DEADLINES).get()
    assert entry.object_type == "accompaniment.beneficiary" and entry.object_ids == [followed_file.pk] * 2


def test_another_organisations_referent_sees_none_of_these_deadlines(client, other_organisation_user, followed_file):
    check()
    client.force_login(other_organisation_user)
    response = client.get(MY_DEADLINES)
    assert response.status_code == 200 and response.context["rows"] == []


def test_a_stranger_may_not_open_my_deadlines(client, stranger):
    client.force_login(stranger)
    assert client.get(MY_DEADLINES).status_code == 403


# « Dossiers en retard » ---------------------------------------------------------------------------------
def test_a_manager_sees_late_files_per_rule_and_sector_with_links(
    client, manager, referent, followed_file, soon_file, stranger_file, aix
):
    in_aix = BeneficiaryFactory(created_by=referent, commune=commune("13001"), last_name="Aixois")
    check()
    client.force_login(manager)
    response = client.get(LATE_FILES)
    assert response.status_code == 200
    assert [code for code, _ in response.context["rule_columns"]] == ["orientation_6w", "referent_1m"]
    summary = {row.label: dict(row.cells) for row in response.context["summary_rows"]}
    assert summary == {
        "Circonscription Aix-en-Provence": {"orientation_6w": 1, "referent_1m": 1},
        "Circonscription Marseille Sud": {"orientation_6w": 1, "referent_1m": 1},
    }
    assert response.context["summary_total"] == 4
    rows = response.context["rows"]
    assert len(rows) == 4 and {row.file for row in rows} == {in_aix, followed_file}
    content = response.content.decode()
    assert f"?etat=overdue&amp;secteur={aix.pk}&amp;regle=referent_1m#liste" in content
    assert stranger_file.last_name not in content


def test_late_files_lists_the_files_of_one_rule_and_sector(client, manager, referent, followed_file, marseille_sud):
    BeneficiaryFactory(created_by=referent, commune=commune("13001"))
    check()
    client.force_login(manager)
    response = client.get(LATE_FILES, {"regle": "orientation_6w", "secteur": marseille_sud.pk})
    assert [(row.file, row.deadline.rule_code) for row in response.context["rows"]] == [
        (followed_file, "orientation_6w")
    ]
    assert response.context["rows"][0].referent == ""
    assert "Aucun référent désigné" in response.content.decode()


def test_late_files_can_show_the_soon_due_ones(client, manager, soon_file):
    check()
    client.force_login(manager)
    response = client.get(LATE_FILES, {"etat": "due_soon"})
    assert [(row.file, row.deadline.rule_code) for row in response.context["rows"]] == [(soon_file, "orientation_6w")]


def test_only_managers_open_late_files(client, referent, other_organisation_user, stranger):
    for user in (referent, other_organisation_user, stranger):
        client.force_login(user)
        assert client.get(LATE_FILES).status_code == 403


def test_a_manager_of_another_organisation_sees_no_late_file_of_ours(client, followed_file, aix):
    from tests.factories import OrganisationFactory

    agency = OrganisationFactory(code="FT-AIX-2", type="france_travail", name="FT Aix")
    outsider = UserFactory(organisation=agency, roles=[Role.MANAGER])
    check()
    client.force_login(outsider)
    response = client.get(LATE_FILES)
    assert response.context["summary_rows"] == [] and response.context["rows"] == []


# Alerts and the bell --------------------------------------------------------------------------------------
@pytest.fixture
def designated(followed_file, referent, officer, departement, manager):
    """The referent is designated on 2 October: entry into accompaniment overdue on 20 October."""
    orientation_decide(
        beneficiary=followed_file,
        pathway=Pathway.SOCIAL_PRO,
        organisation=departement,
        decided_on=datetime.date(2026, 10, 1),
        by=officer,
    )
    services.referent_designate(
        beneficiary=followed_file, agent=referent, designated_on=datetime.date(2026, 10, 2), by=officer
    )
    check()
    return followed_file


def test_the_referent_reads_their_alerts_and_the_bell_counts_the_unread_ones(client, referent, designated):
    client.force_login(referent)
    response = client.get(ALERTS)
    assert response.status_code == 200
    assert [row.deadline.rule_code for row in response.context["rows"]] == ["entry_15d"]
    content = response.content.decode()
    assert 'id="alert-bell"' in content and "alert-bell-count" in content
    assert response.context["alert_bell"].unread == 1
    assert "Échéance dépassée" in content and designated.full_name in content


def test_marking_an_alert_read_without_javascript_returns_to_the_list(client, referent, designated):
    client.force_login(referent)
    notification = Notification.objects.get(recipient=referent)
    response = client.post(reverse("accompaniment:alert_read", args=[notification.pk]), {"next": ALERTS})
    assert response.status_code == 302 and response["Location"] == ALERTS
    notification.refresh_from_db()
    assert notification.read_by == referent and notification.read_at is not None
    assert client.get(ALERTS).context["alert_bell"].unread == 0


def test_marking_an_alert_read_with_htmx_replaces_the_row_and_the_bell(client, referent, designated):
    client.force_login(referent)
    notification = Notification.objects.get(recipient=referent)
    response = client.post(reverse("accompaniment:alert_read", args=[notification.pk]), HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert response.status_code == 200
    assert f'id="alerte-{notification.pk}"' in content and "Marquer comme lue" not in content
    assert 'hx-swap-oob="true"' in content and "aucune non lue" in content


def test_nobody_marks_someone_elses_alert(client, other_organisation_user, referent, designated):
    notification = Notification.objects.get(recipient=referent)
    client.force_login(other_organisation_user)
    assert client.post(reverse("accompaniment:alert_read", args=[notification.pk])).status_code == 404
    assert not Notification.objects.get(pk=notification.pk).read_at


def test_the_unsafe_next_address_is_not_followed(client, referent, designated):
    client.force_login(referent)
    notification = Notification.objects.get(recipient=referent)
    response = client.post(
        reverse("accompaniment:alert_read", args=[notification.pk]), {"next": "https://ailleurs.example/"}
    )
    assert response["Location"] == ALERTS


def test_an_officer_reads_the_orientation_queue_and_marks_it_read_for_every_officer(
    client, officer, departement, followed_file
):
    colleague = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    check()
    client.force_login(officer)
    response = client.get(ALERTS)
    assert response.context["current"] == "orientation"
    assert len(response.context["rows"]) == 2
    assert "File d&#x27;orientation du secteur</h2>" in response.content.decode()
    client.post(reverse("accompaniment:alerts_read_all"), {"liste": "orientation"})
    assert not Notification.objects.filter(queue=NotificationQueue.ORIENTATION, read_at__isnull=True).exists()
    client.force_login(colleague)
    response = client.get(ALERTS)
    assert response.context["unread"] == 0 and response.context["rows"] == []  # unread ones by default
    response = client.get(ALERTS, {"etat": "toutes"})
    assert len(response.context["rows"]) == 2
    assert "lue le" in response.content.decode() and "Odile" in response.content.decode()


def test_the_bell_says_99_plus_beyond_99_unread_alerts(client, referent, designated):
    alert = DeadlineAlert.objects.get(deadline__rule_code="entry_15d")
    deadline = alert.deadline
    for index in range(120):
        clone = Deadline.objects.create(
            **{
                **{
                    f.attname: getattr(deadline, f.attname) for f in Deadline._meta.concrete_fields if not f.primary_key
                },
                "starts_at": deadline.starts_at - datetime.timedelta(days=index + 1),
                "cancelled_at": timezone.now(),
            }
        )
        Notification.objects.create(
            alert=DeadlineAlert.objects.create(deadline=clone, kind="overdue", created_at=timezone.now()),
            recipient=referent,
            created_at=timezone.now(),
        )
    client.force_login(referent)
    response = client.get(ALERTS)
    assert response.context["alert_bell"].label == "99+"


def test_strangers_have_no_alerts_page(client, stranger):
    client.force_login(stranger)
    assert client.get(ALERTS).status_code == 403


def test_the_alerts_page_is_audited(client, referent, designated):
    client.force_login(referent)
    client.get(ALERTS)
    assert AuditLog.objects.filter(action=Action.LIST, path=ALERTS, object_ids=[designated.pk]).exists()


# The file page ----------------------------------------------------------------------------------------
def test_the_file_page_shows_its_running_and_past_deadlines(client, referent, designated):
    with freeze_time("2026-10-20 10:00:00"):
        services.interview_record(
            beneficiary=designated,
            by=referent,
            kind=InterviewKind.ACCOMPANIMENT,
            scheduled_for=timezone.now(),
            status=InterviewStatus.HELD,
            held_on=datetime.date(2026, 10, 19),
        )
    check()
    client.force_login(referent)
    content = client.get(reverse("accompaniment:detail", args=[designated.pk])).content.decode()
    section = content.split('id="echeances"')[1].split("</section>")[0]
    assert "Délais passés (3)" in section
    assert "Respecté en retard" in section and "Contrat" not in section


def test_the_file_section_runs_one_query_whatever_the_history(rf, referent, followed_file, django_assert_num_queries):
    check()
    request = rf.get("/")
    request.user = referent
    with django_assert_num_queries(1):
        small = file_deadlines_context(request, followed_file)
    for day in range(6, 14):  # eight corrections of the flux date: eight restarted clocks
        services.beneficiary_update(beneficiary=followed_file, by=referent, flux_date=datetime.date(2026, 9, day))
        deadline_engine.refresh("accompaniment.beneficiary", [followed_file.pk])
    with django_assert_num_queries(1):
        large = file_deadlines_context(request, followed_file)
    assert len(large["deadline_section"].closed) == len(small["deadline_section"].closed) + 8
