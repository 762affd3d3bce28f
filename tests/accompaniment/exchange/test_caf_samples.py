"""The two sample files of ../shared/formats/caf-vrsb0801 import as their README describes."""

import datetime

from accompaniment import nir as nir_lib
from accompaniment.enums import FluxType, ImportKind, ImportStatus, MemberRole, RightsState
from accompaniment.models import Beneficiary, Household, HouseholdMember, RightsStateChange

from .conftest import SAMPLES


def test_the_daily_caf_sample_creates_the_household_and_the_spouse_as_a_member_without_a_file(run_flux):
    data_import = run_flux(SAMPLES / "RSABEI.xml")

    assert data_import.status == ImportStatus.DONE
    assert (data_import.kind, data_import.flux_type) == (ImportKind.CAF, FluxType.DAILY)
    assert (data_import.flux_created_on, data_import.reference_date) == (datetime.date(2021, 12, 24),) * 2
    assert data_import.summary == "created=1 updated=0 unchanged=0 rejected=0"
    household = Household.objects.get()
    assert (household.fund_type, household.fund_number, household.matricule) == ("CAF", "521", "034614500000000")
    assert household.rights_requested_on == datetime.date(2018, 8, 6)
    # A daily flux carries what changed: no address, no rights state, nothing invented.
    assert (household.rights_state, household.address, household.commune_id) == ("", "", None)
    spouse = HouseholdMember.objects.get()
    assert spouse.role == MemberRole.SPOUSE
    assert spouse.birth_date == datetime.date(1981, 6, 10)
    assert spouse.rights_and_duties is False
    assert spouse.nir_hash == nir_lib.stem_hash("1810693050030")
    assert spouse.beneficiary is None
    assert not Beneficiary.objects.exists()
    assert not RightsStateChange.objects.exists()


def test_the_msa_sample_imports_a_refused_claim_with_its_history_and_no_file(run_flux):
    data_import = run_flux(SAMPLES / "MSABEI.xml")

    assert data_import.kind == ImportKind.MSA
    assert data_import.summary == "created=1 updated=0 unchanged=0 rejected=0"
    household = Household.objects.get()
    assert (household.fund_type, household.matricule) == ("MSA", "922021077501688")
    assert household.rights_state == RightsState.REFUSED
    # Levallois-Perret (92044) is not a commune of the Département: kept as written, with no commune.
    assert (household.postal_code, household.city, household.commune_id) == ("92300", "LEVALLOIS PERRET", None)
    assert household.address == "25 RUE HENRI BARBUSSE"
    change = RightsStateChange.objects.get()
    assert (change.household, change.state, change.effective_on) == (household, "1", datetime.date(2021, 11, 30))
    assert change.source == "Flux MSA quotidien du 31/12/2021"
    applicant = HouseholdMember.objects.get()
    assert applicant.role == MemberRole.APPLICANT
    assert applicant.nir_hash == nir_lib.stem_hash("2941092025361")  # the 15-character NIR's stem
    # No open right: no file, so nothing is unassigned and no clock starts.
    assert not Beneficiary.objects.exists()


def test_importing_the_samples_again_reports_only_unchanged_households(run_flux):
    first = [run_flux(SAMPLES / name) for name in ("RSABEI.xml", "MSABEI.xml")]
    snapshot = list(Household.objects.order_by("pk").values())

    again = [run_flux(SAMPLES / name) for name in ("RSABEI.xml", "MSABEI.xml")]

    for previous, data_import in zip(first, again, strict=True):
        assert data_import.status == ImportStatus.DUPLICATE
        assert data_import.summary == "created=0 updated=0 unchanged=1 rejected=0"
        assert data_import.duplicate_of == previous
        assert "déjà été importé" in data_import.message and "rien n'a changé" in data_import.message
    assert list(Household.objects.order_by("pk").values()) == snapshot
    assert HouseholdMember.objects.count() == 2 and RightsStateChange.objects.count() == 1


def test_the_same_households_in_another_file_are_applied_and_found_unchanged(run_flux, tmp_path):
    """Not the same bytes (another creation time), the same content: read again, and nothing changes."""
    for name in ("RSABEI.xml", "MSABEI.xml"):
        run_flux(SAMPLES / name)
        copy = (SAMPLES / name).read_bytes().replace(b"<HEUCREAFLUX>", b"<HEUCREAFLUX>0", 1)
        data_import = run_flux(copy)
        assert data_import.status == ImportStatus.DONE
        assert data_import.summary == "created=0 updated=0 unchanged=1 rejected=0"
    assert HouseholdMember.objects.count() == 2 and RightsStateChange.objects.count() == 1
