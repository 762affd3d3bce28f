"""Malformed flux: a file that cannot be read whole is refused and writes nothing; a malformed household is
rejected alone, with a reason naming the household, the element and what is wrong; every other one is imported."""

import datetime
import logging

import pytest

from accompaniment.enums import ImportStatus
from accompaniment.models import Beneficiary, Household, HouseholdMember, ImportRejection, RightsStateChange
from tests.factories import BeneficiaryFactory

from .flux import flux, household, person, valid_nir


def _nothing_written():
    return not any(
        model.objects.exists()
        for model in (Household, HouseholdMember, Beneficiary, RightsStateChange, ImportRejection)
    )


def _refused(data_import):
    assert data_import.status == ImportStatus.REFUSED
    assert data_import.summary == "created=0 updated=0 unchanged=0 rejected=0"
    assert _nothing_written()
    return data_import.message


# Files refused whole ------------------------------------------------------------------------------------------------
def test_a_truncated_file_is_refused_and_writes_nothing(run_flux):
    content = flux(household("1"), household("2"), household("3"))
    message = _refused(run_flux(content[: len(content) * 2 // 3]))
    assert "incomplet" in message and "tronqué" in message and "ligne" in message


def test_a_file_cut_in_the_middle_of_a_multibyte_character_is_refused(run_flux):
    content = flux(household(persons=[person(first="Élodie")]), encoding="UTF-8")
    cut = content[: content.index("Élodie".encode()) + 1]
    assert "incomplet" in _refused(run_flux(cut))


def test_a_file_that_is_not_xml_is_refused(run_flux):
    message = _refused(run_flux(b"MATRICULE;NOM;PRENOM\n0001234;MARTIN;Claire\n"))
    assert "n'est pas un document XML" in message


def test_a_pdf_given_as_flux_is_refused(run_flux):
    assert "n'est pas un document XML" in _refused(run_flux(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"))


def test_an_empty_file_is_refused(run_flux):
    assert "vide" in _refused(run_flux(b""))


def test_xml_that_is_not_well_formed_is_refused_with_its_line(run_flux):
    content = flux(household("1"), household("2")).replace(b"<NOM>MARTIN</NOM>", b"<NOM>MARTIN & FILS</NOM>", 1)
    message = _refused(run_flux(content))
    assert "n'est pas un XML bien formé" in message and "ligne 4" in message


def test_a_document_with_another_root_is_refused(run_flux):
    content = b'<?xml version="1.0" encoding="UTF-8"?><Flux><InfosFoyerRSA/></Flux>'
    message = _refused(run_flux(content))
    assert "<Flux>" in message and "<Racine>" in message


def test_bytes_invalid_in_the_declared_windows_1252_encoding_refuse_the_file(run_flux):
    content = flux(household("1"), household("2")).replace(b"<PRENOM>Claire", b"<PRENOM>Cl\x81aire", 1)
    message = _refused(run_flux(content))
    assert "octet invalide" in message and "windows-1252" in message and "0x81" in message and "ligne 4" in message


def test_latin_bytes_in_a_file_declared_utf8_refuse_the_file(run_flux):
    content = flux(household(persons=[person(first="Élodie")]), encoding="UTF-8")
    message = _refused(run_flux(content.replace("É".encode(), b"\xc9")))
    assert "octet invalide" in message and "UTF-8" in message


def test_an_unknown_declared_encoding_refuses_the_file(run_flux):
    content = flux(household()).replace(b'encoding="windows-1252"', b'encoding="klingon-8"')
    assert "klingon-8" in _refused(run_flux(content))


def test_a_doctype_with_entities_is_refused(run_flux):
    content = (
        b'<?xml version="1.0"?><!DOCTYPE Racine [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b"<Racine><IdentificationFlux><TYPEFLUX>M</TYPEFLUX></IdentificationFlux></Racine>"
    )
    assert "DOCTYPE" in _refused(run_flux(content))


def test_a_flux_without_a_valid_reference_date_is_refused(run_flux):
    message = _refused(run_flux(flux(household(), reference="2026-13-01")))
    assert "DTREF" in message and "2026-13-01" in message


def test_an_unknown_flux_type_is_refused(run_flux):
    assert "TYPEFLUX" in _refused(run_flux(flux(household(), flux_type="X")))


def test_a_refused_file_is_still_registered_with_its_reason(run_flux):
    data_import = run_flux(b"pas du XML")
    assert data_import.pk and data_import.checksum and data_import.finished_at
    assert data_import.stored_file  # kept (in private storage) until it expires, to show the sender


# Households rejected one by one -------------------------------------------------------------------------------
def _import_with_one_bad(run_flux, bad):
    data_import = run_flux(flux(household("0000001"), bad, household("0000003", persons=[person(nir="2880413055999")])))
    assert data_import.status == ImportStatus.DONE
    assert data_import.summary == "created=2 updated=0 unchanged=0 rejected=1"
    assert set(Household.objects.values_list("matricule", flat=True)) == {"0000001", "0000003"}
    return ImportRejection.objects.get(data_import=data_import)


def test_an_invalid_date_rejects_its_household_only_naming_household_element_and_value(run_flux):
    rejection = _import_with_one_bad(run_flux, household("0000002", persons=[person(birth="1988-02-30")]))

    assert rejection.position == 2
    assert rejection.identifier == "CAF 131 n° 0000002"
    assert rejection.element == "DTNAI"
    assert rejection.reason.startswith("Foyer CAF 131 n° 0000002 (2e foyer du fichier) : ")
    assert "personne n° 1 (demandeur), élément DTNAI : « 1988-02-30 » n'est pas une date valide" in rejection.reason


def test_an_unknown_rights_state_rejects_its_household(run_flux):
    rejection = _import_with_one_bad(run_flux, household("0000002", state="9"))
    assert "ETATDOSRSA" in rejection.element
    assert "état du droit « 9 » inconnu (codes 0 à 6 attendus)" in rejection.reason


def test_a_household_with_no_person_is_rejected(run_flux):
    rejection = _import_with_one_bad(run_flux, household("0000002", persons=[]))
    assert rejection.element == "Personne"
    assert "aucune personne (élément Personne absent) : le foyer ne peut pas être appliqué" in rejection.reason


def test_an_ambiguous_name_and_birth_date_match_rejects_the_household_until_the_duplicates_are_merged(
    run_flux, referent
):
    twins = [
        BeneficiaryFactory(
            created_by=referent,
            first_name="Claire",
            last_name="Martin",
            birth_date=datetime.date(1988, 4, 12),
            caf_number="0000002",
        )
        for _ in range(2)
    ]
    rejection = _import_with_one_bad(run_flux, household("0000002", persons=[person(nir="2880413055444")]))

    assert rejection.element == "Personne/Identification"
    assert "correspond par son nom et sa date de naissance à plusieurs dossiers" in rejection.reason
    assert f"n° {twins[0].pk}, n° {twins[1].pk}" in rejection.reason
    assert "fusionnez ou corrigez les dossiers en double" in rejection.reason
    for file in twins:  # neither was given the household, nor the NIR
        file.refresh_from_db()
        assert file.household_id is None and not file.nir_hash
    assert Beneficiary.objects.count() == 4  # the two hand-made files, and the files of the two valid households


def test_a_household_that_cannot_be_identified_is_rejected(run_flux):
    rejection = _import_with_one_bad(run_flux, household("", persons=[person(nir="2880413055777")]))
    assert rejection.identifier == ""
    assert "Foyer non identifié (2e foyer du fichier)" in rejection.reason
    assert "MATRICULE absent ou vide : le foyer ne peut pas être identifié" in rejection.reason


def test_a_person_without_a_name_rejects_the_household(run_flux):
    rejection = _import_with_one_bad(run_flux, household("0000002", persons=[person(first=None)]))
    assert "élément Identification/PRENOM : absent ou vide" in rejection.reason


def test_the_same_household_twice_in_one_file_keeps_the_first_and_rejects_the_second(run_flux):
    first = household("0000001", persons=[person(first="Claire")])
    second = household("0000001", persons=[person(first="Clara")])

    data_import = run_flux(flux(first, household("0000002", persons=[person(nir="2880413055999")]), second))

    assert data_import.summary == "created=2 updated=0 unchanged=0 rejected=1"
    assert HouseholdMember.objects.get(household__matricule="0000001").first_name == "Claire"
    rejection = ImportRejection.objects.get()
    assert rejection.position == 3
    assert "figure plusieurs fois dans le fichier" in rejection.reason and "le 1er foyer du fichier" in rejection.reason


def test_the_same_household_twice_in_different_chunks_is_caught_too(run_flux, monkeypatch):
    monkeypatch.setattr("accompaniment.exchange.caf_flux.CHUNK_SIZE", 1)

    data_import = run_flux(flux(household("0000001"), household("0000001", persons=[person(first="Clara")])))

    assert data_import.summary == "created=1 updated=0 unchanged=0 rejected=1"
    assert HouseholdMember.objects.get().first_name == "Claire"


def test_an_older_flux_after_a_newer_one_does_not_overwrite_the_newer_state(run_flux):
    run_flux(flux(household(state="5", closure=("PCG", "2026-10-31")), created="2026-11-02", reference="2026-10-31"))

    data_import = run_flux(flux(household(state="2"), created="2026-10-02", reference="2026-09-30"))

    assert data_import.status == ImportStatus.DONE
    assert data_import.summary == "created=0 updated=0 unchanged=1 rejected=0"
    assert data_import.outdated == 1
    assert data_import.warnings == [
        "1 foyer(s) avaient déjà reçu un flux plus récent que celui-ci (référence du 30/09/2026) : leur état n'a pas "
        "été modifié."
    ]
    household_ = Household.objects.get()
    assert household_.rights_state == "5" and household_.flux_reference_date == datetime.date(2026, 10, 31)
    assert list(RightsStateChange.objects.values_list("state", flat=True)) == ["5"]
    assert not Beneficiary.objects.exists()


def test_a_nir_of_the_wrong_length_rejects_the_household_and_never_appears_anywhere(run_flux, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    sentinel = "28706132080421"  # 14 digits: one too many
    data_import = run_flux(flux(household("0000002", persons=[person(nir=sentinel)])))

    rejection = ImportRejection.objects.get(data_import=data_import)
    assert "le NIR n'est pas valide" in rejection.reason
    captured = capsys.readouterr()
    for text in (rejection.reason, rejection.element, rejection.identifier, caplog.text, captured.out, captured.err):
        assert sentinel not in text and sentinel[:13] not in text


def test_a_nir_with_a_wrong_key_is_rejected_without_being_quoted(run_flux):
    nir = valid_nir("2870613208042")
    wrong = nir[:-2] + f"{(int(nir[-2:]) + 1) % 97:02d}"
    data_import = run_flux(flux(household(persons=[person(nir=wrong)])))
    reason = ImportRejection.objects.get(data_import=data_import).reason
    assert "NIR" in reason and wrong not in reason and wrong[:13] not in reason


def test_a_count_that_does_not_match_the_transmission_totals_is_a_warning(run_flux):
    data_import = run_flux(flux(household("1"), household("2", persons=[person(nir="2880413055999")]), total=3))
    assert data_import.status == ImportStatus.DONE and data_import.created == 2
    assert data_import.warnings == [
        "Le fichier annonce 3 foyers (TransmissionFlux/NBTOTDOSRSATRANSM) mais en contient 2 : vérifiez auprès de "
        "l'émetteur qu'il est complet."
    ]


@pytest.mark.parametrize(
    "bad",
    [
        household("0000002", persons=[person(sex="9")]),
        household("0000002", persons=[person(role="XYZ")]),
        household("0000002", persons=[person(subject="peut-être")]),
        household("0000002", requested="01/09/2026"),
    ],
    ids=["sex", "role", "rights-and-duties-flag", "request-date"],
)
def test_other_malformed_values_reject_their_household_only(run_flux, bad):
    rejection = _import_with_one_bad(run_flux, bad)
    assert rejection.reason.startswith("Foyer CAF 131 n° 0000002 (2e foyer du fichier) : ")
