"""Applying CAF/MSA households: upserts, files and their dates (SPEC §2 step 1), rights history, territory."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accompaniment import nir as nir_lib
from accompaniment.enums import FileOrigin, ImportStatus, MemberRole, RightsState, Status
from accompaniment.models import Beneficiary, Household, HouseholdMember, RightsStateChange
from audit.models import Action, AuditLog
from tests.factories import BeneficiaryFactory, UserFactory

from .flux import address, flux, household, person


def _couple_with_child(**options):
    return household(
        persons=[
            person(
                role="DEM", last="DIALLO", first="Awa", birth="1985-03-02", nir="2850313055001", idassedic="1253359X"
            ),
            person(
                role="CJT", last="DIALLO", first="Moussa", birth="1983-07-21", nir="1830799350002", sex="1", subject="0"
            ),
            person(role="ENF", last="DIALLO", first="Inès", birth="2015-05-05", nir=None, subject=None),
        ],
        **options,
    )


def test_an_applicant_subject_to_rights_and_duties_on_an_open_right_gets_a_file(run_flux, marseille_sud):
    data_import = run_flux(flux(_couple_with_child(requested="2026-09-14"), created="2026-10-02"))

    assert data_import.summary == "created=1 updated=0 unchanged=0 rejected=0"
    assert data_import.files_created == 1
    file = Beneficiary.objects.get()
    assert (file.first_name, file.last_name, file.birth_date) == ("Awa", "DIALLO", datetime.date(1985, 3, 2))
    assert file.nir_hash == nir_lib.stem_hash("2850313055001")
    assert nir_lib.decrypt(file.nir_encrypted) == "2850313055001"
    assert (file.caf_number, file.france_travail_id, file.origin) == ("0001234", "1253359X", FileOrigin.FLUX)
    assert file.rights_state == RightsState.OPEN_PAYABLE and file.rights_and_duties
    # SPEC §2 step 1: the rights-opening date is DTDEMRSA, the flux date the DTCREAFLUX of this first flux.
    assert file.rights_opened_on == datetime.date(2026, 9, 14)
    assert file.flux_date == datetime.date(2026, 10, 2)
    # Marseille given as 13055 with postal code 13008: the 8th arrondissement, in the Marseille Sud district.
    assert (file.commune_id, file.sector) == ("13208", marseille_sud)
    assert (file.address, file.address_complement, file.postal_code, file.city) == (
        "12 RUE PARADIS",
        "BAT A",
        "13008",
        "MARSEILLE",
    )
    members = {m.role: m for m in HouseholdMember.objects.all()}
    assert set(members) == {MemberRole.APPLICANT, MemberRole.SPOUSE, MemberRole.CHILD}
    assert members[MemberRole.APPLICANT].beneficiary == file
    # The spouse is not subject to rights and duties, the child is a child: members without a file.
    assert members[MemberRole.SPOUSE].beneficiary is None and members[MemberRole.CHILD].beneficiary is None
    assert file.household.members.count() == 3


def test_a_file_whose_commune_has_no_primary_sector_is_unassigned(run_flux, marseille_sud):
    outside = address(insee="92044", postal="92300", city="LEVALLOIS PERRET")
    run_flux(flux(household(address_block=outside)))

    file = Beneficiary.objects.get()
    assert (file.commune, file.sector, file.is_unassigned) == (None, None, True)
    assert file.postal_code == "92300"


def test_a_commune_of_the_departement_without_district_is_unassigned_too(run_flux, marseille_sud):
    run_flux(flux(household(address_block=address(insee="13004", postal="13200", city="ARLES"))))

    file = Beneficiary.objects.get()
    assert file.commune_id == "13004" and file.sector is None


def test_no_file_for_a_closed_right_nor_for_a_person_not_subject_to_rights_and_duties(run_flux):
    run_flux(
        flux(
            household("1", state="5", closure=("PCG", "2026-09-30")),
            household("2", persons=[person(subject="0")]),
            household("3", state="0"),
        )
    )

    assert Household.objects.count() == 3
    assert not Beneficiary.objects.exists()


def test_a_later_flux_that_opens_the_right_creates_the_file_with_that_flux_date(run_flux):
    run_flux(flux(household(state="0", requested="2026-09-20"), created="2026-09-25"))
    assert not Beneficiary.objects.exists()

    data_import = run_flux(flux(household(state="2", requested="2026-09-20"), created="2026-10-02"))

    assert data_import.summary == "created=0 updated=1 unchanged=0 rejected=0"
    file = Beneficiary.objects.get()
    assert (file.rights_opened_on, file.flux_date) == (datetime.date(2026, 9, 20), datetime.date(2026, 10, 2))
    assert list(RightsStateChange.objects.values_list("state", flat=True)) == ["0", "2"]


def test_a_second_flux_updates_the_same_household_persons_and_file(run_flux):
    run_flux(flux(_couple_with_child(), created="2026-10-02"))
    file = Beneficiary.objects.get()
    moved = address(insee="13055", postal="13009", city="MARSEILLE", street="BOULEVARD MICHELET", number="40")

    data_import = run_flux(flux(_couple_with_child(address_block=moved), created="2026-11-02"))

    assert data_import.summary == "created=0 updated=1 unchanged=0 rejected=0"
    assert (Household.objects.count(), HouseholdMember.objects.count(), Beneficiary.objects.count()) == (1, 3, 1)
    file.refresh_from_db()
    assert (file.address, file.commune_id) == ("40 BOULEVARD MICHELET", "13209")
    # Same person, same right: the file keeps its dates.
    assert (file.rights_opened_on, file.flux_date) == (datetime.date(2026, 9, 1), datetime.date(2026, 10, 2))


def test_persons_without_nir_are_matched_by_name_and_birth_date_within_the_household(run_flux):
    run_flux(flux(household(persons=[person(nir=None, last="N'DIAYE", first="Aïssatou")])))

    data_import = run_flux(
        flux(household(persons=[person(nir=None, last="N DIAYE", first="AISSATOU")]), created="2026-11-02")
    )

    assert HouseholdMember.objects.count() == 1 and Beneficiary.objects.count() == 1
    assert data_import.updated == 1  # the spelling of the names changed, not the person


def test_a_file_created_by_hand_with_the_nir_is_matched_not_duplicated(run_flux, referent):
    stem = "2880413055123"
    by_hand = BeneficiaryFactory(created_by=referent, nir=f"{stem}{nir_lib.key_of(stem):02d}", caf_number="")

    data_import = run_flux(flux(household()))

    assert Beneficiary.objects.count() == 1
    by_hand.refresh_from_db()
    assert by_hand.household == Household.objects.get()
    assert by_hand.caf_number == "0001234"
    assert HouseholdMember.objects.get().beneficiary == by_hand
    assert data_import.files_created == 0
    # Its flux date stays its creation date (SPEC §2 step 1: a file created by hand keeps it).
    assert by_hand.flux_date == datetime.date(2026, 9, 5)


def test_a_file_created_by_hand_without_nir_is_matched_by_caf_number_name_and_birth_date(run_flux, referent):
    by_hand = BeneficiaryFactory(
        created_by=referent, first_name="Claire", last_name="Martin", birth_date=datetime.date(1988, 4, 12)
    )
    by_hand.caf_number = "0001234"
    by_hand.save()

    run_flux(flux(household()))

    assert Beneficiary.objects.get() == by_hand
    by_hand.refresh_from_db()
    assert by_hand.nir_hash == nir_lib.stem_hash("2880413055123")


def test_rights_state_changes_are_appended_and_the_households_files_follow(run_flux):
    run_flux(flux(_couple_with_child(), created="2026-10-02"))
    run_flux(
        flux(
            household(
                persons=[person(role="DEM", last="DIALLO", first="Awa", birth="1985-03-02", nir="2850313055001")],
                state="4",
                suspension=("44", "2026-10-20"),
                with_address=False,
            ),
            flux_type="I",
            created="2026-10-21",
        )
    )

    household_ = Household.objects.get()
    assert (household_.rights_state, household_.suspension_reason) == ("4", "44")
    assert household_.suspended_on == datetime.date(2026, 10, 20)
    history = list(RightsStateChange.objects.order_by("effective_on").values_list("state", "effective_on"))
    assert history == [("2", datetime.date(2026, 10, 2)), ("4", datetime.date(2026, 10, 20))]
    assert Beneficiary.objects.get().rights_state == "4"


def test_a_daily_flux_with_only_the_person_who_changed_updates_only_that_person(run_flux):
    run_flux(flux(_couple_with_child()))
    spouse_subject = person(role="CJT", last="DIALLO", first="Moussa", birth="1983-07-21", nir="1830799350002", sex="1")

    data_import = run_flux(flux(household(persons=[spouse_subject], state=None, with_address=False), flux_type="I"))

    assert data_import.summary == "created=0 updated=1 unchanged=0 rejected=0"
    assert HouseholdMember.objects.count() == 3
    # The spouse is now subject to rights and duties on the household's open right: a file of their own.
    spouse_file = Beneficiary.objects.get(first_name="Moussa")
    assert spouse_file.household.address == "12 RUE PARADIS" and spouse_file.address == "12 RUE PARADIS"
    assert Household.objects.get().rights_state == "2"


def test_a_new_request_after_a_closure_makes_the_person_a_new_entrant(run_flux):
    run_flux(flux(household(requested="2025-03-01"), created="2025-03-10"))
    run_flux(flux(household(requested="2025-03-01", state="5", closure=("ECH", "2025-12-31")), created="2026-01-05"))
    file = Beneficiary.objects.get()
    assert file.status.value == "out_of_scope"

    run_flux(flux(household(requested="2026-09-15"), created="2026-10-02"))

    file.refresh_from_db()
    assert (file.rights_opened_on, file.flux_date) == (datetime.date(2026, 9, 15), datetime.date(2026, 10, 2))
    assert file.status.value == "to_orient"


def test_a_right_reopened_on_the_same_request_keeps_its_dates(run_flux):
    run_flux(flux(household(requested="2026-03-01"), created="2026-03-10"))
    run_flux(flux(household(requested="2026-03-01", state="4", suspension=("01", "2026-06-01")), created="2026-06-05"))
    run_flux(flux(household(requested="2026-03-01"), created="2026-08-05"))

    file = Beneficiary.objects.get()
    assert (file.rights_opened_on, file.flux_date) == (datetime.date(2026, 3, 1), datetime.date(2026, 3, 10))


def test_an_arrival_from_another_fund_makes_the_person_a_new_entrant(run_flux):
    run_flux(flux(household(requested="2024-01-10"), created="2024-02-01"))

    run_flux(flux(household(requested="2024-01-10", transferred_in="2026-09-28"), created="2026-10-02"))

    file = Beneficiary.objects.get()
    assert (file.rights_opened_on, file.flux_date) == (datetime.date(2026, 9, 28), datetime.date(2026, 10, 2))


def test_a_household_moving_in_from_another_departement_makes_its_files_new_entrants(run_flux, marseille_sud):
    elsewhere = address(insee="69123", postal="69008", city="LYON")
    run_flux(flux(household(requested="2024-01-10", address_block=elsewhere), created="2024-02-01"))
    file = Beneficiary.objects.get()
    assert file.is_unassigned

    here = address(moved_in="2026-09-20")
    run_flux(flux(household(requested="2024-01-10", address_block=here), created="2026-10-02"))

    file.refresh_from_db()
    assert file.sector == marseille_sud
    assert (file.rights_opened_on, file.flux_date) == (datetime.date(2026, 9, 20), datetime.date(2026, 10, 2))


def test_a_sector_set_by_hand_is_kept_when_the_address_changes(run_flux, marseille_sud, aix):
    run_flux(flux(household()))
    file = Beneficiary.objects.get()
    Beneficiary.objects.filter(pk=file.pk).update(sector=aix, sector_set_by_hand=True)

    run_flux(flux(household(address_block=address(postal="13009")), created="2026-11-02"))

    file.refresh_from_db()
    assert (file.commune_id, file.sector) == ("13209", aix)


def test_a_person_moving_to_another_household_takes_their_file_along(run_flux):
    run_flux(flux(household("0000001")))
    file = Beneficiary.objects.get()

    run_flux(flux(household("0000002"), created="2026-11-02"))

    file.refresh_from_db()
    assert file.household.matricule == "0000002" and file.caf_number == "0000002"
    assert Beneficiary.objects.count() == 1
    old, new = HouseholdMember.objects.order_by("household__matricule")
    assert (old.beneficiary, new.beneficiary) == (None, file)


def test_a_chunk_runs_the_same_lookups_whatever_its_size_and_no_query_per_household(run_flux):
    def statements(count, first):
        households = [
            household(f"{first + n:07d}", persons=[person(nir=f"28804130{first + n:05d}")]) for n in range(count)
        ]
        run_flux(flux(*households))  # created
        with CaptureQueriesContext(connection) as captured:
            data_import = run_flux(flux(*households, created="2026-11-02"))  # then updated: every lookup runs
        assert data_import.unchanged == count
        sql = [query["sql"] for query in captured.captured_queries]
        return [q for q in sql if q.startswith("SELECT")], sql

    few_selects, _ = statements(5, 100)
    many_selects, many = statements(200, 1000)
    assert len(few_selects) == len(many_selects)
    # Writes are bulk statements (batched by the database's parameter limit), never one per household.
    assert len(many) < 40


def test_each_import_is_one_audit_entry_with_its_counts(run_flux, departement):
    officer = UserFactory(organisation=departement, roles=["orientation_officer"])
    before = AuditLog.objects.count()

    data_import = run_flux(flux(household("1"), household("2"), household("3", persons=[])), by=officer)

    entry = AuditLog.objects.get(pk__gt=0, object_type="accompaniment.dataimport")
    assert AuditLog.objects.count() == before + 1
    assert (entry.action, entry.object_id, entry.user, entry.count) == (Action.CREATE, str(data_import.pk), officer, 3)
    assert entry.fields == ["created=2", "rejected=1", "unchanged=0", "updated=0"]
    assert data_import.imported_by == officer


def test_progress_is_reported_and_kept_on_the_import(run_flux, monkeypatch):
    monkeypatch.setattr("accompaniment.exchange.caf_flux.CHUNK_SIZE", 2)
    seen = []

    data_import = run_flux(
        flux(*[household(f"{n:07d}", persons=[person(nir=f"2880413{n:06d}")]) for n in range(5)]),
        progress=lambda done, total: seen.append((done, total)),
    )

    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert (data_import.processed, data_import.total, data_import.progress_percent) == (5, 5, 100)
    assert data_import.status == ImportStatus.DONE and data_import.duration is not None


@pytest.mark.parametrize("plain", [True, False])
def test_both_readings_of_the_households_give_the_same_result(run_flux, plain):
    """A comment makes the document "not plain": households are then read by the pull parser."""
    extra = "<!-- relu -->" if not plain else ""
    content = flux(_couple_with_child().replace("<Personne>", f"{extra}<Personne>", 1), household("0009999"))

    data_import = run_flux(content)

    assert data_import.summary == "created=2 updated=0 unchanged=0 rejected=0"
    assert HouseholdMember.objects.count() == 4


def test_the_stored_copy_is_kept_in_private_storage_with_an_expiry(run_flux, private_storage, settings):
    data_import = run_flux(flux(household()), name="RSABEM-2026-10.xml")

    assert data_import.file_name == "RSABEM-2026-10.xml"
    assert "RSABEM" not in data_import.stored_file.name  # a random name says nothing of the content
    assert private_storage.exists(data_import.stored_file.name)
    assert len(data_import.checksum) == 64 and data_import.size > 0
    received = timezone.localdate(data_import.received_at)
    assert data_import.expires_on == received + datetime.timedelta(days=settings.IMPORT_RETENTION_DAYS)


def test_a_right_closed_by_a_later_flux_puts_the_file_out_of_scope(run_flux):
    run_flux(flux(household(state="2"), created="2026-10-02"))
    assert Beneficiary.objects.get().status == Status.TO_ORIENT

    run_flux(flux(household(state="5", closure=("PCG", "2026-10-31")), created="2026-11-02"))

    assert Beneficiary.objects.get().status == Status.OUT_OF_SCOPE
    assert Beneficiary.objects.refresh_status() == 0  # the import stored the derived status itself
