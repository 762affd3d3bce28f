"""The periodic check: set-based (the same statements for 10 and for 1,000 files), idempotent (a second run
raises no alert), each alert once, notified to the people SPEC §5 names; a lock against overlapping runs; the
refresh after a save keeps a file's deadlines right at once; `check_deadlines` prints counts per rule."""

import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from accompaniment import alerts, deadline_engine, services, tasks
from accompaniment.enums import (
    AlertKind,
    DeadlineState,
    DelayUnit,
    ExitReason,
    FileOrigin,
    InterviewKind,
    InterviewStatus,
    NotificationQueue,
    RightsState,
    Sex,
)
from accompaniment.models import (
    Beneficiary,
    Deadline,
    DeadlineAlert,
    DeadlineCheck,
    DeadlineRule,
    Exit,
    Notification,
    ReferentAssignment,
)
from orientation.enums import Pathway
from orientation.models import Orientation
from orientation.services import orientation_decide
from partners.enums import OrganisationType, Role
from tests.factories import BeneficiaryFactory, OrganisationFactory, TeamFactory, UserFactory, commune

PARIS = ZoneInfo("Europe/Paris")
OCT_20 = datetime.datetime(2026, 10, 20, 6, 0, tzinfo=PARIS)


@pytest.fixture
def officer(departement):
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER], first_name="Odile")


@pytest.fixture
def manager(departement, referent):
    boss = UserFactory(organisation=departement, roles=[Role.MANAGER], first_name="Maud")
    team = referent.teams.get()
    team.manager = boss
    team.save()
    return boss


@freeze_time("2026-11-20 10:00:00")
def _designate(file, referent, officer, departement):
    orientation_decide(
        beneficiary=file,
        pathway=Pathway.SOCIAL_PRO,
        organisation=departement,
        decided_on=datetime.date(2026, 9, 10),
        by=officer,
    )
    services.referent_designate(beneficiary=file, agent=referent, designated_on=datetime.date(2026, 9, 12), by=officer)


# Idempotent, each alert once --------------------------------------------------------------------------
def test_two_consecutive_runs_create_no_new_alert(followed_file):
    first = deadline_engine.run_check(now=OCT_20)
    assert first.alerts[AlertKind.OVERDUE] == 2  # orientation_6w and referent_1m
    states = list(Deadline.objects.order_by("pk").values_list("state", "due_at", "met_at", "cancelled_at"))
    alerts_before = list(DeadlineAlert.objects.values_list("pk", flat=True))
    notifications_before = Notification.objects.count()

    second = deadline_engine.run_check(now=OCT_20 + datetime.timedelta(hours=1))

    assert not second.alerts.total() and not second.notifications and not second.created.total()
    assert list(DeadlineAlert.objects.values_list("pk", flat=True)) == alerts_before
    assert Notification.objects.count() == notifications_before
    assert list(Deadline.objects.order_by("pk").values_list("state", "due_at", "met_at", "cancelled_at")) == states


def test_an_alert_exists_once_per_deadline_and_kind_whatever_the_code_does(followed_file):
    deadline_engine.run_check(now=OCT_20)
    alert = DeadlineAlert.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        DeadlineAlert.objects.create(deadline=alert.deadline, kind=alert.kind, created_at=timezone.now())


def test_a_deadline_alerts_when_due_soon_then_again_when_overdue(followed_file):
    deadline_engine.run_check(now=datetime.datetime(2026, 10, 15, 6, 0, tzinfo=PARIS))
    deadline = Deadline.objects.get(rule_code="orientation_6w")
    assert deadline.state == DeadlineState.DUE_SOON
    assert list(deadline.alerts.values_list("kind", flat=True)) == [AlertKind.DUE_SOON]
    deadline_engine.run_check(now=datetime.datetime(2026, 10, 18, 6, 0, tzinfo=PARIS))
    assert set(deadline.alerts.values_list("kind", flat=True)) == {AlertKind.DUE_SOON, AlertKind.OVERDUE}


def test_a_deadline_met_before_its_warning_raises_no_alert(followed_file, officer, departement):
    with freeze_time("2026-11-20"):
        orientation_decide(
            beneficiary=followed_file,
            pathway=Pathway.EMPLOI,
            organisation=departement,
            decided_on=datetime.date(2026, 9, 10),
            by=officer,
        )
    deadline_engine.run_check(now=OCT_20)
    assert not DeadlineAlert.objects.filter(deadline__rule_code="orientation_6w").exists()


# Who is told -------------------------------------------------------------------------------------------
def test_a_file_with_a_referent_alerts_the_referent_and_the_manager_of_their_team(
    followed_file, referent, manager, officer, departement
):
    _designate(followed_file, referent, officer, departement)
    deadline_engine.run_check(now=datetime.datetime(2026, 10, 1, 6, 0, tzinfo=PARIS))  # entry_15d overdue
    entry = DeadlineAlert.objects.get(deadline__rule_code="entry_15d", kind=AlertKind.OVERDUE)
    assert set(entry.notifications.values_list("recipient", "queue")) == {(referent.pk, ""), (manager.pk, "")}


def test_a_former_referents_manager_is_not_told(followed_file, referent, manager, officer, departement):
    _designate(followed_file, referent, officer, departement)
    newcomer = UserFactory(organisation=departement, roles=[Role.REFERENT])
    other_boss = UserFactory(organisation=departement, roles=[Role.MANAGER])
    TeamFactory(organisation=departement, name="Insertion Aix", members=[newcomer], manager=other_boss)
    with freeze_time("2026-11-20"):
        services.referent_designate(
            beneficiary=followed_file, agent=newcomer, designated_on=datetime.date(2026, 9, 20), by=officer
        )
    deadline_engine.run_check(now=datetime.datetime(2026, 10, 1, 6, 0, tzinfo=PARIS))
    entry = DeadlineAlert.objects.get(deadline__rule_code="entry_15d", kind=AlertKind.OVERDUE)
    assert set(entry.notifications.values_list("recipient", flat=True)) == {newcomer.pk, other_boss.pk}


def test_a_file_without_referent_alerts_its_orientation_queue_once_not_each_officer(
    followed_file, officer, departement
):
    UserFactory.create_batch(3, organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    deadline_engine.run_check(now=OCT_20)
    for alert in DeadlineAlert.objects.all():
        assert list(alert.notifications.values_list("recipient", "queue")) == [(None, NotificationQueue.ORIENTATION)]


def test_the_queue_is_read_by_the_officers_who_see_the_file_and_marked_read_for_all(
    followed_file, officer, departement, aix
):
    colleague = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    ft_prado = OrganisationFactory(code="FT-PRADO", type=OrganisationType.FRANCE_TRAVAIL, name="FT Prado")
    ft_area = OrganisationFactory(code="FT-AREA-8", type=OrganisationType.FRANCE_TRAVAIL, name="FT 8e")
    from tests.factories import SectorFactory

    ft_area.sectors.set([SectorFactory(code="FT-Z-8", kind="france_travail_area", communes=[commune("13208")])])
    ft_officer = UserFactory(organisation=ft_area, roles=[Role.ORIENTATION_OFFICER])
    far_officer = UserFactory(organisation=ft_prado, roles=[Role.ORIENTATION_OFFICER])
    deadline_engine.run_check(now=OCT_20)

    assert alerts.notifications_for(officer).count() == 2
    assert alerts.notifications_for(ft_officer).count() == 2  # the agency's area covers the file's commune
    assert alerts.notifications_for(far_officer).count() == 0
    notification = alerts.notifications_for(officer).first()
    alerts.notification_mark_read(notification=notification, by=colleague)
    assert alerts.unread_count(officer) == 1 and alerts.unread_count(ft_officer) == 1
    assert Notification.objects.get(pk=notification.pk).read_by == colleague


def test_a_referent_who_lost_a_file_no_longer_reads_its_alerts(followed_file, referent, officer, departement):
    _designate(followed_file, referent, officer, departement)
    deadline_engine.run_check(now=datetime.datetime(2026, 10, 1, 6, 0, tzinfo=PARIS))
    assert alerts.notifications_for(referent).exists()
    newcomer = UserFactory(organisation=departement, roles=[Role.REFERENT])
    with freeze_time("2026-11-20"):
        services.referent_designate(
            beneficiary=followed_file, agent=newcomer, designated_on=datetime.date(2026, 9, 20), by=officer
        )
    Beneficiary.objects.filter(pk=followed_file.pk).update(created_by=None)  # no longer the author either
    assert not alerts.notifications_for(referent).exists()


# Set-based: as many statements for 10 as for 1,000 files ------------------------------------------------------
def _bulk_files(count, *, officer, departement, referent):
    """`count` files, one in three oriented (and one in nine with a referent), one in seven exited, one in ten
    closed, created in bulk as an import would (no refresh after save: the check derives everything)."""
    marseille = commune("13208")
    sector = departement.sectors.get(code="CAS-MRS-SUD")
    files = Beneficiary.objects.bulk_create(
        Beneficiary(
            first_name=f"Prénom{index}",
            last_name=f"Nom{index}",
            birth_date=datetime.date(1980, 1, 1),
            sex=Sex.FEMALE,
            commune=marseille,
            sector=sector,
            postal_code="13008",
            rights_opened_on=datetime.date(2026, 8, 1) + datetime.timedelta(days=index % 60),
            flux_date=datetime.date(2026, 8, 5) + datetime.timedelta(days=index % 60),
            rights_state=RightsState.CLOSED if index % 10 == 9 else RightsState.OPEN_PAYABLE,
            origin=FileOrigin.FLUX,
        )
        for index in range(count)
    )
    Orientation.objects.bulk_create(
        Orientation(
            beneficiary=file,
            pathway=Pathway.EMPLOI,
            organisation=departement,
            decided_on=datetime.date(2026, 9, 1) + datetime.timedelta(days=index % 40),
            notified_on=datetime.date(2026, 9, 3) + datetime.timedelta(days=index % 40),
            decided_by=officer,
        )
        for index, file in enumerate(files)
        if index % 3 == 0
    )
    Exit.objects.bulk_create(
        Exit(beneficiary=file, exited_on=datetime.date(2026, 10, 10), reason=ExitReason.ABANDON, created_by=officer)
        for index, file in enumerate(files)
        if index % 7 == 6
    )
    ReferentAssignment.objects.bulk_create(
        ReferentAssignment(
            beneficiary=file,
            agent=referent,
            organisation=departement,
            designated_on=datetime.date(2026, 9, 15),
            designated_by=officer,
        )
        for index, file in enumerate(files)
        if index % 9 == 0
    )
    return files


def _statements_of_checks(count, **people):
    """Statements of a first check (it derives every deadline) and of the next day's check."""
    _bulk_files(count, **people)
    with CaptureQueriesContext(connection) as first:
        report = deadline_engine.run_check(now=OCT_20)
    with CaptureQueriesContext(connection) as daily:
        deadline_engine.run_check(now=OCT_20 + datetime.timedelta(days=1))
    return len(first.captured_queries), len(daily.captured_queries), report


def test_the_check_runs_the_same_number_of_statements_for_10_and_for_1000_files(
    referent, manager, officer, departement
):
    people = {"officer": officer, "departement": departement, "referent": referent}
    small_first, small_daily, small = _statements_of_checks(10, **people)
    deadline_engine.purge_deadlines()
    Beneficiary.objects.all().delete()
    large_first, large_daily, large = _statements_of_checks(1000, **people)

    assert small_first == large_first, f"{small_first} statements for 10 files, {large_first} for 1,000"
    assert small_daily == large_daily, f"{small_daily} statements for 10 files, {large_daily} for 1,000"
    assert sum(large.created.values()) > 50 * sum(small.created.values()) > 0
    assert large.alerts[AlertKind.OVERDUE] > 50 * small.alerts[AlertKind.OVERDUE] > 0
    assert large.met.total() > 50 * small.met.total() > 0
    assert large.cancelled.total() > 50 * small.cancelled.total() > 0


# A lock against overlapping runs ---------------------------------------------------------------------
@pytest.mark.postgresql
def test_a_check_does_not_run_while_another_holds_the_lock(transactional_db):
    DeadlineCheck.objects.create(name=deadline_engine.LOCK_NAME)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM accompaniment_deadlinecheck WHERE name = %s FOR UPDATE", ["check"])
            with pytest.raises(deadline_engine.CheckAlreadyRunning):
                deadline_engine.run_check(now=OCT_20)
            cursor.execute("ROLLBACK")
    finally:
        other.close()
    assert deadline_engine.run_check(now=OCT_20).statements


def test_the_task_retries_later_when_another_check_holds_the_lock(monkeypatch, settings):
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    calls = []

    def run_check(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise deadline_engine.CheckAlreadyRunning("déjà en cours")
        return deadline_engine.Report(now=timezone.now())

    monkeypatch.setattr(deadline_engine, "run_check", run_check)
    result = tasks.check_deadlines.apply(kwargs={"hourly": False})
    assert result.successful() and len(calls) == 2


# Hourly -----------------------------------------------------------------------------------------------
def test_the_hourly_check_only_runs_the_rules_counted_in_hours(followed_file):
    caf = DeadlineRule.objects.get(code="caf_rights_7d")
    DeadlineRule.objects.create(
        code=caf.code,
        label="Entretien CAF sous 48 heures",
        subject=caf.subject,
        start_event=caf.start_event,
        met_by=caf.met_by,
        cancelled_by=caf.cancelled_by,
        delay=48,
        delay_unit=DelayUnit.HOURS,
        warning=6,
        warning_unit="hours",
        enabled=True,
        effective_from=datetime.date(2026, 1, 1),
    )
    report = deadline_engine.run_check(now=OCT_20, hourly=True)
    # and the rules other apps declare in hours (childcare_24h)
    declared_in_hours = {code for code, rule in deadline_engine.registry.rules.items() if rule.delay_unit == "hours"}
    assert set(report.states) == {"caf_rights_7d", *declared_in_hours}
    deadline = Deadline.objects.get()
    assert deadline.rule_code == "caf_rights_7d"
    assert timezone.localtime(deadline.due_at) == datetime.datetime(2026, 9, 3, 0, 0, tzinfo=PARIS)


# Refresh after a save ------------------------------------------------------------------------------------
def test_a_decision_refreshes_the_files_deadlines_as_soon_as_it_is_committed(
    followed_file, officer, departement, django_capture_on_commit_callbacks
):
    deadline_engine.run_check(now=OCT_20)
    assert Deadline.objects.get(rule_code="orientation_6w").state == DeadlineState.OVERDUE
    with freeze_time("2026-10-21 09:00:00"), django_capture_on_commit_callbacks(execute=True):
        orientation_decide(
            beneficiary=followed_file,
            pathway=Pathway.EMPLOI,
            organisation=departement,
            decided_on=datetime.date(2026, 10, 21),
            by=officer,
        )
    assert Deadline.objects.get(rule_code="orientation_6w").state == DeadlineState.MET_LATE
    entry = Deadline.objects.get(rule_code="entry_15d")
    assert entry.state == DeadlineState.PENDING and entry.source_id == followed_file.orientations.get().pk
    assert not DeadlineAlert.objects.filter(deadline=entry).exists()  # alerts are the check's


def test_several_saves_in_one_transaction_refresh_the_file_once(
    followed_file, referent, officer, departement, django_capture_on_commit_callbacks, monkeypatch
):
    refreshed = []
    original = deadline_engine.refresh
    monkeypatch.setattr(
        deadline_engine, "refresh", lambda key, ids, **kw: refreshed.append(sorted(ids)) or original(key, ids, **kw)
    )
    with freeze_time("2026-11-20"), django_capture_on_commit_callbacks(execute=True):
        _designate(followed_file, referent, officer, departement)
    assert refreshed == [[followed_file.pk]]


def test_bulk_writers_can_pause_the_refresh(followed_file, referent, django_capture_on_commit_callbacks):
    with freeze_time("2026-11-20"), django_capture_on_commit_callbacks(execute=True), deadline_engine.refresh_paused():
        services.beneficiary_update(beneficiary=followed_file, by=referent, phone="06 39 98 00 00")
    assert not Deadline.objects.exists()


def _history(file, by, interviews):
    with freeze_time("2026-11-20"):
        for index in range(interviews):
            services.interview_record(
                beneficiary=file,
                by=by,
                kind=InterviewKind.ACCOMPANIMENT,
                scheduled_for=datetime.datetime(2026, 10, 1, 9, tzinfo=PARIS),
                status=InterviewStatus.HELD,
                held_on=datetime.date(2026, 9, 15) + datetime.timedelta(days=index),
            )


def test_a_refresh_runs_a_constant_number_of_statements_whatever_the_files_history(referent, officer, departement):
    short, long = (BeneficiaryFactory(created_by=referent) for _ in range(2))
    for file in (short, long):
        _designate(file, referent, officer, departement)
    _history(short, referent, 1)
    _history(long, referent, 25)
    counts = []
    for file in (short, long):
        with CaptureQueriesContext(connection) as queries:
            deadline_engine.refresh("accompaniment.beneficiary", [file.pk], now=OCT_20)
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]


# The command ----------------------------------------------------------------------------------------
def test_check_deadlines_prints_counts_per_rule_and_state_as_of_the_given_date(followed_file):
    out = StringIO()
    call_command("check_deadlines", "--now", "2026-10-20T06:00", stdout=out)
    text = out.getvalue()
    assert "Échéances au 20/10/2026 06:00" in text
    assert "orientation_6w" in text and "overdue=1" in text
    assert "Alertes levées : due_soon=0 overdue=2" in text
    out = StringIO()
    call_command("check_deadlines", "--now", "2026-10-20", stdout=out)
    assert "overdue=0" not in out.getvalue().split("orientation_6w")[1].split("\n")[0]
    assert "Alertes levées : due_soon=0 overdue=0" in out.getvalue()


def test_check_deadlines_refuses_an_unreadable_date(db):
    with pytest.raises(CommandError, match="Date invalide"):
        call_command("check_deadlines", "--now", "20/10/2026")


def test_the_hourly_check_does_nothing_while_no_rule_counts_in_hours(followed_file):
    DeadlineRule.objects.filter(delay_unit=DelayUnit.HOURS).delete()  # childcare_24h counts in hours
    report = deadline_engine.run_check(now=OCT_20, hourly=True)
    assert report.states == {} and not Deadline.objects.exists() and not report.alerts.total()
