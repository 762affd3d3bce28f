"""The daily e-mail digest: French, HTML and text, counts and links only (never a name nor a NIR), at most one
a day per user, only to users with new alerts; officers get the counts of their orientation queue."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from freezegun import freeze_time

from accompaniment import alerts, deadline_engine, services, tasks
from accompaniment.models import DeadlineDigest
from orientation.enums import Pathway
from orientation.services import orientation_decide
from partners.enums import Role
from tests.factories import UserFactory

PARIS = ZoneInfo("Europe/Paris")
CHECK = datetime.datetime(2026, 10, 20, 6, 0, tzinfo=PARIS)
DIGEST = datetime.datetime(2026, 10, 20, 7, 0, tzinfo=PARIS)


@pytest.fixture
def officer(departement):
    return UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER], email="odile@cd13.test")


@pytest.fixture
def designated(followed_file, referent, officer, departement):
    with freeze_time("2026-10-10"):
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
    deadline_engine.run_check(now=CHECK)
    return followed_file


def message_to(email):
    (message,) = [m for m in mail.outbox if m.to == [email]]
    return message


def test_the_referent_gets_a_french_digest_with_counts_and_links_and_no_name(referent, designated, settings):
    settings.PARCOURS_BASE_URL = "https://parcours.example.org"
    sent = alerts.send_digests(now=DIGEST)
    assert sent == 1
    message = message_to(referent.email)
    html = message.alternatives[0][0]
    assert message.subject == "Parcours — vos alertes d'échéances du 20/10/2026"
    assert "1 délai dépassé" in message.body
    assert "https://parcours.example.org/dossiers/alertes/" in message.body
    assert "https://parcours.example.org/dossiers/echeances/" in message.body
    assert message.alternatives[0][1] == "text/html" and 'href="https://parcours.example.org/dossiers/alertes/"' in html
    for text in (message.body, html, message.subject):
        assert designated.first_name not in text and designated.last_name not in text
        assert designated.caf_number not in text


def test_an_officer_gets_the_counts_of_the_orientation_queue(followed_file, officer):
    deadline_engine.run_check(now=CHECK)
    alerts.send_digests(now=DIGEST)
    message = message_to(officer.email)
    assert "File d'orientation de vos secteurs" in message.body and "2 délais dépassés" in message.body
    assert "Alertes non lues de vos dossiers en tout : 2." in message.body


def test_a_second_digest_the_same_day_is_not_sent(referent, designated):
    assert alerts.send_digests(now=DIGEST) == 1
    assert alerts.send_digests(now=DIGEST + datetime.timedelta(hours=2)) == 0
    assert len([m for m in mail.outbox if m.to == [referent.email]]) == 1
    assert DeadlineDigest.objects.get(user=referent).counts["personal"]["overdue"] == 1


def test_no_digest_without_new_alerts(referent, designated):
    assert alerts.send_digests(now=DIGEST + datetime.timedelta(days=2)) == 0
    assert not mail.outbox


def test_a_failed_sending_leaves_no_claim_so_a_retry_sends_it(referent, designated, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    original = EmailMultiAlternatives.send
    monkeypatch.setattr(EmailMultiAlternatives, "send", lambda self, **kw: (_ for _ in ()).throw(OSError("smtp")))
    assert alerts.send_digests(now=DIGEST) == 0
    assert not DeadlineDigest.objects.exists()
    monkeypatch.setattr(EmailMultiAlternatives, "send", original)
    assert alerts.send_digests(now=DIGEST) == 1


def test_the_digest_task_sends_them(referent, designated, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: DIGEST)
    assert tasks.send_deadline_digests.run() == 1
