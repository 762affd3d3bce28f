"""With the demo data: seed_demo computes the deadlines and runs the check (late and soon-due files, alerts in
the orientation queues); a referent sees late and soon-due files and a bell count, a manager sees late files
per rule and sector.

The soon-due file of a named referent is the one the journey step orients about two weeks before the demo's
day (`draw_recent`): the page shows it whatever the day of the run."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from freezegun import freeze_time

from accompaniment.enums import DeadlineState
from accompaniment.models import Beneficiary, Deadline, Notification
from partners.models import User


def demo(key):
    return User.objects.get(email=f"{key}@demo.parcours.fr")


@pytest.fixture
def seeded(db):
    out = StringIO()
    call_command("seed_demo", beneficiaries=300, stdout=out)
    return out.getvalue()


def test_seed_demo_computes_the_deadlines_and_runs_the_check(seeded):
    assert "échéances=" in seeded and "Échéances en retard par règle : orientation_6w=" in seeded
    assert Deadline.objects.filter(state=DeadlineState.OVERDUE).exists()
    assert (
        Deadline.objects.filter(state=DeadlineState.DUE_SOON).exists()
        or Deadline.objects.filter(state=DeadlineState.PENDING).exists()
    )
    assert Notification.objects.filter(queue="orientation").exists()


def test_the_demo_orientation_officer_reads_the_queues_alerts(client, seeded):
    client.force_login(demo("orientation"))
    response = client.get(reverse("accompaniment:alerts"))
    assert response.status_code == 200 and response.context["rows"]
    assert response.context["alert_bell"].unread > 0


def _sees_late_and_soon_due_files_and_a_bell_count(client, key):
    referent = demo(key)
    client.force_login(referent)
    response = client.get(reverse("accompaniment:my_deadlines"))
    assert response.context["counts"][DeadlineState.OVERDUE] >= 1
    assert response.context["counts"][DeadlineState.DUE_SOON] >= 1
    assert {row.deadline.state for row in response.context["rows"]} >= {DeadlineState.OVERDUE, DeadlineState.DUE_SOON}
    assert all(row.file in Beneficiary.objects.followed_by(referent) for row in response.context["rows"])
    assert response.context["alert_bell"].unread >= 1
    assert "alert-bell-count" in response.content.decode()


def test_the_demo_referent_sees_late_and_soon_due_files_and_a_bell_count(client, seeded):
    """The journey history gives the demo referent files of every kind: late, soon due, a bell count."""
    _sees_late_and_soon_due_files_and_a_bell_count(client, "referent")


@pytest.mark.parametrize("day", ["2026-11-21 09:00", "2026-11-22 18:00", "2026-11-23 07:00", "2027-03-01 12:00"])
def test_both_named_referents_have_a_soon_due_file_whatever_the_day_of_the_demo(client, db, day):
    """Saturday, Sunday, Monday, the day after a short February: the recently oriented file is due soon."""
    with freeze_time(day):
        call_command("seed_demo", beneficiaries=300, stdout=StringIO())
        _sees_late_and_soon_due_files_and_a_bell_count(client, "referent")
        _sees_late_and_soon_due_files_and_a_bell_count(client, "conseiller.ft")


def test_the_demo_manager_sees_late_files_per_rule_and_sector(client, seeded):
    client.force_login(demo("manager"))
    response = client.get(reverse("accompaniment:late_files"))
    summary = {row.label: dict(row.cells) for row in response.context["summary_rows"]}
    assert sum(summary["Circonscription Marseille Sud"].values()) >= 1
    assert response.context["summary_total"] >= 1 and response.context["rows"]
    assert response.context["alert_bell"].unread >= 1  # the alerts of her team's referents
