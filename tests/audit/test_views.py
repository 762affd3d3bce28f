"""The DPO's journal: who may read it, its filters, its CSV export (itself journaled), its constant queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from audit.context import acting_as
from audit.models import Action, AuditLog, Channel
from audit.services import log_list, log_read, record
from partners.enums import Role
from tests.factories import BeneficiaryFactory, UserFactory


@pytest.fixture
def dpo(departement):
    return UserFactory(organisation=departement, roles=[Role.DPO], first_name="Denise", last_name="Protection")


@pytest.fixture
def functional_admin(departement):
    return UserFactory(organisation=departement, roles=[Role.ADMIN])


def read_as(user, obj, **kwargs):
    with acting_as(user, path=f"/dossiers/{obj.pk}/", **kwargs):
        return log_read(obj)


def export_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))


def test_the_dpo_reads_the_journal_with_who_did_what_but_never_a_beneficiary_name(client, dpo, followed_file, referent):
    client.force_login(referent)
    client.get(reverse("accompaniment:detail", kwargs={"pk": followed_file.pk}))
    client.force_login(dpo)
    page = client.get(reverse("audit:log"), {"action": Action.READ})
    assert page.status_code == 200
    content = page.content.decode()
    assert referent.email in content
    assert "Rachida Référente" in content
    assert "Consultation" in content
    assert f"n° {followed_file.pk}" in content
    assert followed_file.last_name not in content  # the journal holds ids, never names
    assert followed_file.first_name not in content


def test_the_journal_lists_the_newest_entries_first_by_pages_of_fifty(client, dpo, followed_file, referent):
    with freeze_time("2026-03-02 09:00"):
        first = read_as(referent, followed_file)
    for _ in range(50):
        read_as(referent, followed_file)
    client.force_login(dpo)
    response = client.get(reverse("audit:log"), {"action": Action.READ})
    entries = list(response.context["page"].object_list)
    assert len(entries) == 50
    assert entries[0].at >= entries[-1].at
    assert first not in entries
    second_page = client.get(reverse("audit:log"), {"action": Action.READ, "page": 2})
    assert list(second_page.context["page"].object_list) == [first]
    assert "02/03/2026 10:00" in second_page.content.decode()  # dd/mm/yyyy HH:MM, Europe/Paris


@pytest.mark.parametrize("persona", ["referent", "other_organisation_user", "stranger"])
def test_who_is_neither_dpo_nor_admin_gets_403_on_the_journal_and_its_export(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("audit:log")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("audit:log"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_functional_admin_reads_the_journal_but_does_not_export_it(client, functional_admin):
    client.force_login(functional_admin)
    page = client.get(reverse("audit:log"))
    assert page.status_code == 200
    assert reverse("audit:export") not in page.content.decode()
    assert client.get(reverse("audit:export")).status_code == 403


def test_the_period_filter_keeps_whole_local_days(client, dpo, followed_file, referent):
    with freeze_time("2026-03-01 22:30"):  # 23:30 on 1 March in Paris
        before = read_as(referent, followed_file)
    with freeze_time("2026-03-01 23:30"):  # 00:30 on 2 March in Paris
        on_the_2nd = read_as(referent, followed_file)
    with freeze_time("2026-03-03 22:59"):  # 23:59 on 3 March in Paris
        on_the_3rd = read_as(referent, followed_file)
    with freeze_time("2026-03-03 23:00"):  # midnight, 4 March in Paris
        after = read_as(referent, followed_file)
    client.force_login(dpo)
    response = client.get(reverse("audit:log"), {"since": "02/03/2026", "until": "03/03/2026", "action": "read"})
    entries = set(response.context["page"].object_list)
    assert entries == {on_the_2nd, on_the_3rd}
    assert not entries & {before, after}


def test_a_period_that_ends_before_it_starts_shows_an_error_and_no_entry(client, dpo, followed_file, referent):
    read_as(referent, followed_file)
    client.force_login(dpo)
    response = client.get(reverse("audit:log"), {"since": "03/03/2026", "until": "02/03/2026"})
    assert response.status_code == 200
    assert "La fin de la période précède son début." in response.content.decode()
    assert response.context["page"].paginator.count == 0


def test_an_unreadable_date_is_a_message_on_the_field_not_a_500(client, dpo):
    client.force_login(dpo)
    response = client.get(reverse("audit:log"), {"since": "31/02/2026"})
    assert response.status_code == 200
    assert "Saisissez une date valide." in response.content.decode()


def test_filters_by_user_email_organisation_channel_object_type_and_id(
    client, dpo, departement, followed_file, referent, other_organisation_user
):
    other_file = BeneficiaryFactory(created_by=referent)
    mine = read_as(referent, followed_file)
    theirs = read_as(other_organisation_user, followed_file)
    by_api = read_as(referent, other_file, channel=Channel.API)
    with acting_as(referent):
        listed = log_list(type(followed_file), [followed_file, other_file])
    client.force_login(dpo)

    def entries(**filters):
        response = client.get(reverse("audit:log"), filters)
        assert response.status_code == 200
        # force_login() journals a login: only the reads and lists made above are compared
        return {e for e in response.context["page"].object_list if e.action in (Action.READ, Action.LIST)}

    assert entries(user=referent.email.split("@")[0].upper()) == {mine, by_api, listed}
    assert entries(organisation=other_organisation_user.organisation_id) == {theirs}
    assert entries(channel=Channel.API) == {by_api}
    assert entries(object_type="accompaniment.beneficiary", object_id=str(followed_file.pk)) == {mine, theirs}
    assert entries(action=Action.LIST) == {listed}


def test_the_journal_runs_the_same_number_of_queries_with_3_and_with_40_entries(
    client, dpo, referent, other_organisation_user, followed_file
):
    client.force_login(dpo)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("audit:log")).status_code == 200
        return len(queries)

    for user in (referent, other_organisation_user, dpo):
        read_as(user, followed_file)
    few = count_queries()
    for index in range(40):
        read_as((referent, other_organisation_user)[index % 2], BeneficiaryFactory(created_by=referent))
    assert count_queries() == few


def test_the_csv_export_holds_the_filtered_rows_and_is_itself_journaled(client, dpo, followed_file, referent):
    other_file = BeneficiaryFactory(created_by=referent)
    read_as(referent, followed_file)
    read_as(referent, other_file)
    client.force_login(dpo)
    response = client.get(reverse("audit:export"), {"object_id": str(followed_file.pk), "action": "read"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    header, *rows = export_rows(response)
    assert header[:3] == ["date", "utilisateur", "e-mail"]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["e-mail"] == referent.email
    assert row["action"] == "Consultation"
    assert row["type d'objet"] == "Dossier"
    assert row["identifiant"] == str(followed_file.pk)
    assert row["page"] == f"/dossiers/{followed_file.pk}/"
    assert followed_file.last_name not in str(rows)
    export = AuditLog.objects.get(action=Action.EXPORT, user=dpo)
    assert (export.object_type, export.count, export.organisation_id) == ("audit.auditlog", 1, dpo.organisation_id)


def test_the_csv_export_defuses_spreadsheet_formulas(client, dpo, referent, followed_file):
    with acting_as(referent, path='=HYPERLINK("http://exemple.test")'):
        record(Action.READ, obj=followed_file)
    client.force_login(dpo)
    header, row = export_rows(client.get(reverse("audit:export"), {"action": "read"}))
    assert dict(zip(header, row, strict=True))["page"].startswith("'=")


def test_the_export_with_invalid_filters_goes_back_to_the_journal_without_exporting(client, dpo):
    client.force_login(dpo)
    response = client.get(reverse("audit:export"), {"since": "n'importe quoi"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("audit:log"))
    assert not AuditLog.objects.filter(action=Action.EXPORT).exists()


def test_the_export_beyond_the_limit_is_refused_with_a_message(client, dpo, referent, followed_file, monkeypatch):
    monkeypatch.setattr("audit.views.EXPORT_LIMIT", 2)
    for _ in range(3):
        read_as(referent, followed_file)
    client.force_login(dpo)
    response = client.get(reverse("audit:export"), {"action": "read"}, follow=True)
    assert "limité à 2 entrées (3 correspondent) : réduisez la période" in response.content.decode()
    assert not AuditLog.objects.filter(action=Action.EXPORT).exists()


def test_reading_the_journal_does_not_write_to_it(client, dpo):
    client.force_login(dpo)
    before = AuditLog.objects.count()
    client.get(reverse("audit:log"))
    client.get(reverse("audit:log"), {"action": "read"})
    assert AuditLog.objects.count() == before


def test_the_journal_is_not_in_the_django_admin():
    from django.contrib import admin

    assert not admin.site.is_registered(AuditLog)
