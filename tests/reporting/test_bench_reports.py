"""The benchmark command runs on a small database and reports each measure (its figures are for the notes)."""

import io

import pytest
from django.core.management import CommandError, call_command

from partners.enums import Role
from tests.factories import SectorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_bench_reports_measures_every_page(departement, marseille_sud):
    UserFactory(email="manager@demo.parcours.fr", organisation=departement, roles=[Role.MANAGER])
    UserFactory(email="copil@demo.parcours.fr", organisation=departement, roles=[Role.COPIL])
    SectorFactory()
    out = io.StringIO()
    call_command("bench_reports", runs=1, quarter="2026-Q3", stdout=out)
    text = out.getvalue()
    assert "tableau de bord, Département (chiffres stockés)" in text
    assert "copil_report --format pdf" in text
    assert text.count("médiane") == 9


def test_bench_reports_needs_the_demo_accounts():
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("bench_reports", runs=1)
