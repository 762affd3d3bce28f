"""Security settings that a page shows (SPEC §9): the content security policy forbids inline scripts and
styles and foreign origins, and a session ends after 30 minutes without activity."""

import datetime

from django.urls import reverse
from freezegun import freeze_time


def _directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_every_page_carries_a_policy_that_allows_only_the_apps_own_scripts_and_styles(client, referent):
    client.force_login(referent)
    for url in (reverse("login"), reverse("accompaniment:list")):
        directives = _directives(client.get(url))
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]


def test_a_session_ends_after_thirty_minutes_without_activity_and_activity_keeps_it(client, referent):
    url = reverse("accompaniment:list")
    with freeze_time("2026-11-20 10:00") as clock:
        client.force_login(referent)
        assert client.get(url).status_code == 200
        clock.tick(datetime.timedelta(minutes=25))
        assert client.get(url).status_code == 200  # activity renews the session
        clock.tick(datetime.timedelta(minutes=25))
        assert client.get(url).status_code == 200
        clock.tick(datetime.timedelta(minutes=31))
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
