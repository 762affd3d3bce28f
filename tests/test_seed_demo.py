"""`seed_demo` builds a usable demo of the Bouches-du-Rhône, keeps NIRs encrypted, and never runs twice
by accident nor in production."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError

from accompaniment import nir as nir_lib
from accompaniment.models import Beneficiary, Household, HouseholdMember
from audit.models import Action
from audit.services import record
from partners import demo as partners_demo
from partners.enums import PRIMARY_SECTOR_KIND, Role, SectorKind
from partners.models import Commune, SectorCommune, User

SMALL = 40
DOCS = Path(__file__).resolve().parent.parent / "docs" / "demo-accounts.md"


def seed(**options):
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    return seed(beneficiaries=SMALL)


def demo_user(key):
    return User.objects.get(email=f"{key}@{partners_demo.DEMO_EMAIL_DOMAIN}")


def test_every_role_has_a_demo_account_that_logs_in_with_the_shared_password(seeded):
    for role in Role:
        users = User.objects.with_role(role).filter(email__endswith="@demo.parcours.fr", is_active=True)
        assert users.exists(), role
        assert users.first().check_password(partners_demo.DEMO_PASSWORD)


def test_the_shared_demo_password_passes_the_password_validators(seeded):
    for spec in partners_demo.ACCOUNTS:
        validate_password(partners_demo.DEMO_PASSWORD, demo_user(spec.key))


def test_the_named_accounts_have_the_flags_their_job_needs(seeded):
    assert demo_user("referent").is_social_worker
    assert demo_user("referent").teams.get().name == "Insertion Marseille Sud"
    assert demo_user("manager").managed_teams.get().name == "Insertion Marseille Sud"
    assert not demo_user("conseiller.ft").is_social_worker
    assert demo_user("conseiller.ft").organisation.type == "france_travail"
    assert demo_user("admin").is_staff and demo_user("admin").has_role(Role.ADMIN)
    assert not User.objects.filter(is_staff=True).exclude(email="admin@demo.parcours.fr").exists()


def test_it_creates_the_requested_number_of_files_in_several_sectors_with_some_unassigned(seeded):
    assert Beneficiary.objects.count() == SMALL
    assert Beneficiary.objects.exclude(sector=None).values("sector").distinct().count() >= 3
    unassigned = Beneficiary.objects.unassigned()
    assert unassigned.exists()
    assert not unassigned.exclude(commune=None).exists(), "only files living outside the Département"
    assert "dossiers=40" in seeded


def test_files_are_consistent_with_their_commune_and_household(seeded):
    for beneficiary in Beneficiary.objects.exclude(commune=None).select_related("commune", "household"):
        assert beneficiary.postal_code in beneficiary.commune.postal_codes.split()
        assert beneficiary.caf_number == beneficiary.household.matricule
        assert beneficiary.flux_date >= beneficiary.rights_opened_on
        assert 18 <= (beneficiary.rights_opened_on - beneficiary.birth_date).days // 365 <= 65
    assert HouseholdMember.objects.filter(role="ENF", beneficiary=None).exists()


def test_every_nir_is_stored_encrypted_and_never_printed(seeded):
    rows = list(Beneficiary.objects.exclude(nir_hash="").values_list("nir_encrypted", "nir_hash"))
    rows += list(HouseholdMember.objects.exclude(nir_hash="").values_list("nir_encrypted", "nir_hash"))
    assert len(rows) >= SMALL // 2
    for encrypted, hashed in rows:
        assert not re.search(r"\d{13}", encrypted)
        value = nir_lib.decrypt(encrypted)
        assert nir_lib.validate(value)
        assert nir_lib.stem_hash(value) == hashed
        assert nir_lib.stem(value) not in seeded


def test_each_nir_is_consistent_with_sex_and_birth_date(seeded):
    for beneficiary in Beneficiary.objects.exclude(nir_hash=""):
        value = nir_lib.decrypt(beneficiary.nir_encrypted)
        assert value[0] == ("1" if beneficiary.sex == "M" else "2")
        assert value[1:5] == beneficiary.birth_date.strftime("%y%m")


def test_districts_cover_every_commune_of_the_departement_and_agency_areas_cut_them_differently(seeded):
    communes = Commune.objects.filter(departement="13").exclude(insee_code="13055")
    in_district = SectorCommune.objects.filter(kind=PRIMARY_SECTOR_KIND, commune__in=communes)
    assert in_district.count() == communes.count() == 134
    ft_area_of = dict(
        SectorCommune.objects.filter(kind=SectorKind.FRANCE_TRAVAIL_AREA).values_list("commune_id", "sector_id")
    )
    district_of = dict(in_district.values_list("commune_id", "sector_id"))
    districts_per_area = {}
    for commune_id, area in ft_area_of.items():
        districts_per_area.setdefault(area, set()).add(district_of.get(commune_id))
    assert any(len(districts) > 1 for districts in districts_per_area.values())


def test_demo_accounts_see_what_their_relations_allow(db):
    seed(beneficiaries=300)
    visible = {spec.key: Beneficiary.objects.for_user(demo_user(spec.key)).count() for spec in partners_demo.ACCOUNTS}
    assert visible["orientation"] == 300
    assert 0 < visible["referent"] < 300
    assert visible["manager"] == visible["referent"]
    assert 0 < visible["conseiller.ft"] < 300
    assert 0 < visible["orientation.ft"] < 300
    for key in ("copil", "dpo", "admin", "operateur", "creche", "coordination.avip"):
        assert visible[key] == 0, key


def test_it_refuses_to_run_with_production_settings(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        seed(beneficiaries=SMALL)
    assert not User.objects.exists()
    assert not Beneficiary.objects.exists()


def test_a_second_run_is_refused_without_reset(seeded):
    with pytest.raises(CommandError, match="--reset"):
        seed(beneficiaries=SMALL)
    assert Beneficiary.objects.count() == SMALL


def test_reset_replaces_the_demo_data_and_keeps_accounts_named_in_the_audit_log(seeded):
    referent = demo_user("referent")
    record(Action.LOGIN, user=referent)  # the audit log is append-only: this user cannot be deleted
    colleague_ids = set(User.objects.filter(email__startswith="referent.mrs-nord").values_list("id", flat=True))

    seed(beneficiaries=25, reset=True)

    assert Beneficiary.objects.count() == 25
    assert Household.objects.count() == Household.objects.filter(beneficiaries__isnull=False).distinct().count()
    assert demo_user("referent").pk == referent.pk
    assert demo_user("referent").is_active
    assert not colleague_ids & set(User.objects.values_list("id", flat=True)), "unaudited accounts are recreated"
    assert User.objects.filter(email__startswith="referent.mrs-nord").exists()


def test_the_same_seed_gives_the_same_people(db):
    seed(beneficiaries=SMALL)
    first = list(Beneficiary.objects.order_by("id").values_list("last_name", "first_name", "birth_date"))
    seed(beneficiaries=SMALL, reset=True)
    second = list(Beneficiary.objects.order_by("id").values_list("last_name", "first_name", "birth_date"))
    assert first == second


def test_the_demo_accounts_document_lists_every_named_account():
    assert partners_demo.accounts_markdown() in DOCS.read_text(encoding="utf-8")
    assert partners_demo.DEMO_PASSWORD in DOCS.read_text(encoding="utf-8")
