"""With the demo data: seed_demo computes the deadlines and runs the check (late and soon-due files, alerts in
the orientation queues); a referent sees late and soon-due files and a bell count, a manager sees late files
per rule and sector.

The journey (orientations, referents…) of the demo comes from its own step; this test adds two designations
of the demo referent with the journey services, so that it holds whatever that step writes."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accompaniment import services
from accompaniment.enums import DeadlineState, Status
from accompaniment.models import Beneficiary, Deadline, Notification
from orientation.enums import Pathway
from orientation.services import orientation_decide
from partners.models import User


def demo(key):
    return User.objects.get(email=f"{key}@demo.parcours.fr")


@pytest.fixture
def seeded(db):
    out = StringIO()
    call_command("seed_demo", beneficiaries=150, stdout=out)
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


@pytest.fixture
def referent_with_files(seeded):
    """The demo referent designated on two files of her district: one entered late, one soon due."""
    referent, officer = demo("referent"), demo("orientation")
    today = timezone.localdate()
    candidates = (
        Beneficiary.objects.with_status()
        .filter(status_code=Status.TO_ORIENT, sector__code="CAS-MRS-SUD")
        .order_by("pk")[:2]
    )
    late, soon = list(candidates)
    for file, days_ago in ((late, 25), (soon, 13)):
        decided_on = today - datetime.timedelta(days=days_ago)
        orientation_decide(
            beneficiary=file,
            pathway=Pathway.SOCIAL_PRO,
            organisation=referent.organisation,
            decided_on=decided_on,
            by=officer,
        )
        services.referent_designate(beneficiary=file, agent=referent, designated_on=decided_on, by=officer)
    call_command("check_deadlines", stdout=StringIO())
    return referent, late, soon


def test_the_demo_referent_sees_late_and_soon_due_files_and_a_bell_count(client, referent_with_files):
    referent, late, soon = referent_with_files
    client.force_login(referent)
    response = client.get(reverse("accompaniment:my_deadlines"))
    states = {(row.file, row.deadline.rule_code): row.deadline.state for row in response.context["rows"]}
    assert states[(late, "entry_15d")] == DeadlineState.OVERDUE
    assert states[(soon, "entry_15d")] == DeadlineState.DUE_SOON
    assert response.context["counts"]["overdue"] >= 1 and response.context["counts"]["due_soon"] >= 1
    assert response.context["alert_bell"].unread >= 2
    assert "alert-bell-count" in response.content.decode()


def test_the_demo_manager_sees_late_files_per_rule_and_sector(client, referent_with_files):
    client.force_login(demo("manager"))
    response = client.get(reverse("accompaniment:late_files"))
    summary = {row.label: dict(row.cells) for row in response.context["summary_rows"]}
    assert summary["Circonscription Marseille Sud"]["entry_15d"] >= 1
    assert response.context["summary_total"] >= 1 and response.context["rows"]
    assert response.context["alert_bell"].unread >= 1  # the alerts of her team's referent
