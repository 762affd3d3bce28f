"""The commands of SPEC §8, the generator, the benchmark's measuring child, expiry, the Celery task, the file card."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from accompaniment.enums import ImportKind, ImportStatus
from accompaniment.exchange.caf_flux import check_document, iter_households, read_household
from accompaniment.exchange.generator import generate_flux
from accompaniment.exchange.registry import import_receive, purge_expired_imports
from accompaniment.models import Beneficiary, DataImport, FranceTravailRegistration, Household
from accompaniment.tasks import run_data_import
from audit.models import AuditLog, Channel
from tests.factories import BeneficiaryFactory, UserFactory

from .conftest import SAMPLES
from .extract import extract, row
from .flux import flux, household


def _call(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_import_caf_flux_prints_one_summary_line_per_file(db):
    out, _err, error = _call("import_caf_flux", str(SAMPLES / "RSABEI.xml"), str(SAMPLES / "MSABEI.xml"))
    assert error is None
    assert out.splitlines() == ["created=1 updated=0 unchanged=0 rejected=0"] * 2


def test_import_caf_flux_again_says_nothing_changed(db):
    _call("import_caf_flux", str(SAMPLES / "RSABEI.xml"))
    out, err, error = _call("import_caf_flux", str(SAMPLES / "RSABEI.xml"))
    assert error is None
    assert out.splitlines() == ["created=0 updated=0 unchanged=1 rejected=0"]
    assert "déjà été importé" in err and "rien n'a changé" in err


def test_import_caf_flux_with_rejections_still_exits_zero(db, tmp_path):
    path = tmp_path / "flux.xml"
    path.write_bytes(flux(household("1"), household("2", persons=[])))
    out, _err, error = _call("import_caf_flux", str(path))
    assert error is None
    assert out.splitlines() == ["created=1 updated=0 unchanged=0 rejected=1"]


def test_import_caf_flux_fails_on_an_unreadable_file_and_writes_nothing_of_it(db, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(flux(household())[:300])

    out, err, error = _call("import_caf_flux", str(SAMPLES / "RSABEI.xml"), str(broken))

    assert error is not None and "illisible" in str(error)
    assert out.splitlines() == ["created=1 updated=0 unchanged=0 rejected=0"]  # the readable one was imported
    assert "broken.xml : Le fichier est incomplet" in err
    assert Household.objects.count() == 1


def test_import_caf_flux_on_a_missing_path_fails(db):
    _, err, error = _call("import_caf_flux", "/nonexistent/flux.xml")
    assert error is not None and "introuvable" in err


def test_import_caf_flux_records_the_agent_given(db, departement):
    officer = UserFactory(organisation=departement, roles=["orientation_officer"], email="odile@parcours.test")
    _call("import_caf_flux", str(SAMPLES / "MSABEI.xml"), "--user", "Odile@parcours.test")
    data_import = DataImport.objects.get()
    assert data_import.imported_by == officer
    entry = AuditLog.objects.get(object_type="accompaniment.dataimport")
    assert (entry.user, entry.channel) == (officer, Channel.COMMAND)


def test_import_france_travail_prints_its_summary_and_the_rows_to_review(db, tmp_path):
    BeneficiaryFactory(first_name="Claire", last_name="Martin", birth_date=datetime.date(1988, 4, 12))
    path = tmp_path / "extrait.csv"
    path.write_text(extract(row(), row(identifiant_unique_de="11111111-2222-3333-4444-555555555555", nom="X")))

    out, err, error = _call("import_france_travail", str(path))

    assert error is None
    assert out.splitlines() == ["created=1 updated=0 unchanged=0 rejected=0"]
    assert "1 ligne(s) à rapprocher" in err
    assert FranceTravailRegistration.objects.count() == 1


def test_import_france_travail_fails_on_a_missing_column(db, tmp_path):
    path = tmp_path / "extrait.csv"
    path.write_text("identifiant_unique_de;nom;prenom\nx;y;z\n")
    out, err, error = _call("import_france_travail", str(path))
    assert error is not None and out == ""
    assert "Il manque les colonnes" in err


# The generator ----------------------------------------------------------------------------------------------
def test_the_generator_writes_valid_flux_the_import_accepts_whole(tmp_path, run_flux):
    path = tmp_path / "generated.xml"
    stats = generate_flux(path, households=120, seed=7, created_on=datetime.date(2026, 11, 2))

    with path.open("rb") as stream:
        info = check_document(stream)
    assert (info.households, info.flux_type, info.encoding, info.plain) == (120, "M", "cp1252", True)
    data_import = run_flux(path)
    assert data_import.summary == "created=120 updated=0 unchanged=0 rejected=0"
    assert data_import.warnings == []
    assert Beneficiary.objects.count() == stats.subject_adults
    assert Household.objects.filter(commune__isnull=False).count() > 100  # real communes of the Département
    assert Household.objects.exclude(rights_state="2").exists()


def test_the_generator_is_deterministic_and_its_ranges_do_not_meet(tmp_path):
    first, again, other = (tmp_path / name for name in ("a.xml", "b.xml", "c.xml"))
    generate_flux(first, households=30, seed=3, created_on=datetime.date(2026, 11, 2))
    generate_flux(again, households=30, seed=3, created_on=datetime.date(2026, 11, 2))
    generate_flux(other, households=30, seed=3, start=30, created_on=datetime.date(2026, 11, 2))
    assert first.read_bytes() == again.read_bytes()

    def keys(path):
        with path.open("rb") as stream:
            records = [read_household(element, n)[0] for n, element in iter_households(stream, "cp1252", plain=True)]
        return {r.matricule for r in records}, {p.nir for r in records for p in r.persons if p.nir}

    (matricules_a, nirs_a), (matricules_c, nirs_c) = keys(first), keys(other)
    assert not matricules_a & matricules_c and not nirs_a & nirs_c


def test_a_generated_daily_flux_has_partial_households_that_import_without_rejection(tmp_path, run_flux):
    path = tmp_path / "daily.xml"
    generate_flux(path, households=80, seed=1, start=0, created_on=datetime.date(2026, 10, 2))
    run_flux(path)
    daily = tmp_path / "daily-next.xml"
    stats = generate_flux(
        daily,
        households=80,
        seed=1,
        start=0,
        daily=True,
        anchor=datetime.date(2026, 10, 2),
        created_on=datetime.date(2026, 10, 3),
    )
    assert stats.partial_households > 10

    data_import = run_flux(daily)

    assert data_import.flux_type == "I" and data_import.rejected == 0 and data_import.created == 0
    assert data_import.updated + data_import.unchanged == 80


def test_generate_caf_flux_command(tmp_path, db):
    path = tmp_path / "out.xml"
    out, _, error = _call("generate_caf_flux", "--households", "12", "--output", str(path), "--seed", "4", "--daily")
    assert error is None and "12 foyers" in out and "foyers partiels" in out
    assert b"<TYPEFLUX>I</TYPEFLUX>" in path.read_bytes()


def test_the_benchmark_child_measures_one_import(tmp_path, db):
    path = tmp_path / "bench.xml"
    generate_flux(path, households=15, seed=9, start=0)
    out, _, error = _call("bench_caf_import", "--child", str(path))
    assert error is None
    result = json.loads(out.strip().splitlines()[-1])
    assert result["summary"] == "created=15 updated=0 unchanged=0 rejected=0"
    assert result["seconds"] > 0 and result["peak_mb"] > 0 and result["growth_mb"] >= 0


def test_the_benchmark_refuses_production_settings(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("bench_caf_import", "--households", "10")


# Expiry, task, file card ------------------------------------------------------------------------------------
def test_stored_copies_are_deleted_when_they_expire_and_the_registry_stays(db, private_storage, settings):
    with freeze_time("2026-01-10"):
        data_import = import_receive(source=io.BytesIO(b"<Racine/>"), file_name="old.xml", kind=ImportKind.CAF)
    name = data_import.stored_file.name
    assert private_storage.exists(name)

    assert purge_expired_imports(today=datetime.date(2026, 1, 10) + datetime.timedelta(days=90)) == 0
    assert purge_expired_imports(today=datetime.date(2026, 1, 10) + datetime.timedelta(days=91)) == 1

    data_import.refresh_from_db()
    assert not data_import.stored_file and not private_storage.exists(name)
    assert data_import.checksum  # the registry keeps what was received


def test_the_celery_task_runs_an_import_given_its_id(db, departement):
    officer = UserFactory(organisation=departement, roles=["orientation_officer"])
    data_import = import_receive(
        source=(SAMPLES / "MSABEI.xml").open("rb"), file_name="MSABEI.xml", kind=ImportKind.CAF, by=officer
    )

    run_data_import.apply(args=[data_import.pk])
    run_data_import.apply(args=[data_import.pk])  # delivered twice: the second run finds it taken

    data_import.refresh_from_db()
    assert data_import.status == ImportStatus.DONE and data_import.created == 1
    entry = AuditLog.objects.get(object_type="accompaniment.dataimport")
    assert (entry.user, entry.channel) == (officer, Channel.TASK)


def test_the_file_page_shows_the_france_travail_card_in_one_query(client, referent, followed_file, run_extract):
    followed_file.first_name, followed_file.last_name = "Claire", "Martin"
    followed_file.birth_date = datetime.date(1988, 4, 12)
    followed_file.save()
    client.force_login(referent)
    url = reverse("accompaniment:detail", kwargs={"pk": followed_file.pk})
    client.get(url)
    with CaptureQueriesContext(connection) as without:
        page = client.get(url).content.decode()
    assert "Aucun extrait France Travail" in page

    run_extract(extract(row()))
    with CaptureQueriesContext(connection) as with_registration:
        page = client.get(url).content.decode()

    assert "Accompagnement global" in page and "Paul DURAND" in page and "Logement" in page
    assert len(with_registration) == len(without)
