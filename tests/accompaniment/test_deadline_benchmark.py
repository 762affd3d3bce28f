"""The benchmark command (PostgreSQL): its raw SQL query computes the same overdue set as the engine."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.accompaniment.test_deadline_check import _bulk_files
from tests.factories import UserFactory


@pytest.mark.postgresql
def test_the_benchmark_times_the_check_and_finds_the_same_overdue_set_with_one_raw_query(
    default_rules, referent, departement
):
    from partners.enums import Role

    officer = UserFactory(organisation=departement, roles=[Role.ORIENTATION_OFFICER])
    _bulk_files(300, officer=officer, departement=departement, referent=referent)
    out = StringIO()
    call_command("benchmark_deadlines", "--fresh", stdout=out)
    text = out.getvalue()
    assert "première vérification" in text and "requêtes SQL" in text
    assert "même vérification relancée (idempotente)" in text and "0 alertes" in text
    assert "ensembles identiques" in text, text


def test_the_benchmark_refuses_to_run_elsewhere_than_on_postgresql(db, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("benchmark_deadlines")
