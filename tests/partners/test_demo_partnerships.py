"""`seed_demo` gives the seeds' conventions (a chain of renewals since 2019, one ending within 90 days, the
committed staff of the Calvados convention, ESF co-funding) and two past COPIL meetings with actions, some open
and overdue; a reset replaces them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accompaniment import deadline_engine
from accompaniment.enums import DeadlineState
from accompaniment.models import Deadline
from partners.demo_partnerships import CAF_FT, GLOBAL
from partners.enums import ConventionStatus
from partners.models import Convention, CopilAction, CopilMeeting, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    call_command("seed_demo", beneficiaries=5, stdout=StringIO())


def test_the_demo_has_the_seeds_conventions_with_one_expiring_soon(seeded):
    today = timezone.localdate()
    caf_ft = list(Convention.objects.filter(title=CAF_FT).order_by("valid_from"))
    assert [c.valid_from.year for c in caf_ft[:3]] == [2019, 2022, 2025]  # every three years since 2019
    assert [c.renews_id for c in caf_ft] == [None, *(c.pk for c in caf_ft[:-1])]
    assert all(c.signed_on <= today for c in caf_ft)
    assert list(Convention.objects.expiring_within(90, today).values_list("title", flat=True)) == [GLOBAL]
    current = Convention.objects.filter(title=GLOBAL).latest("valid_from")
    assert sorted(current.resources.values_list("count", flat=True)) == [9, 11]
    assert current.funding_lines.filter(esf_cofunded=True).exists()
    assert current.owners.count() == 2
    statuses = {c.status for c in Convention.objects.all()}
    assert {ConventionStatus.ACTIVE, ConventionStatus.EXPIRED, ConventionStatus.DRAFT} <= statuses


def test_the_renewal_deadline_of_the_expiring_convention_alerts_its_owners(seeded):
    deadline_engine.run_check()
    current = Convention.objects.filter(title=GLOBAL).latest("valid_from")
    deadline = Deadline.objects.get(rule_code="convention_renewal", subject_id=current.pk)
    assert deadline.state == DeadlineState.DUE_SOON
    assert set(deadline.alerts.get().notifications.values_list("recipient_id", flat=True)) == set(
        current.owners.values_list("pk", flat=True)
    )


def test_the_demo_has_two_past_copil_meetings_with_open_and_overdue_actions(seeded, client):
    today = timezone.localdate()
    meetings = list(CopilMeeting.objects.order_by("held_on"))
    assert len(meetings) == 2 and all(m.held_on < today for m in meetings)
    assert CopilAction.objects.filter(meeting__in=meetings).count() == 4
    assert CopilAction.objects.overdue(today).count() == 2
    assert CopilAction.objects.filter(closed_at_meeting=meetings[1]).count() == 1
    client.force_login(User.objects.get(email="copil@demo.parcours.fr"))
    content = client.get(reverse("home")).content.decode()
    assert "2 actions en retard" in content and GLOBAL.replace("'", "&#x27;") in content


def test_a_reset_replaces_the_partnerships(seeded):
    terms = Convention.objects.filter(title=CAF_FT).count()
    assert terms >= 3
    call_command("seed_demo", beneficiaries=5, reset=True, stdout=StringIO())
    assert Convention.objects.filter(title=CAF_FT).count() == terms
    assert CopilMeeting.objects.count() == 2
