"""France Travail extract: matching by id, else by exactly one name + birth date; the rest to the review queue."""

import datetime
import uuid

import pytest

from accompaniment.enums import FranceTravailBarrier, ImportKind, ImportStatus, ReviewReason, ReviewStatus
from accompaniment.exchange.france_travail import COLUMNS, review_row_dismiss, review_row_link
from accompaniment.models import (
    Beneficiary,
    FranceTravailRegistration,
    FranceTravailReviewRow,
    ImportRejection,
)
from tests.factories import BeneficiaryFactory, UserFactory, commune

from .extract import EXAMPLE, extract, row

UID = uuid.UUID(EXAMPLE["identifiant_unique_de"])
BIRTH = datetime.date(1988, 4, 12)


@pytest.fixture
def claire(db):
    return BeneficiaryFactory(first_name="Claire", last_name="Martin", birth_date=BIRTH)


@pytest.fixture
def officer(departement):
    return UserFactory(organisation=departement, roles=["orientation_officer"])


def test_a_row_matches_the_only_file_with_its_name_and_birth_date_which_gets_the_id(run_extract, claire):
    data_import = run_extract(extract(row()))

    assert data_import.kind == ImportKind.FRANCE_TRAVAIL and data_import.status == ImportStatus.DONE
    assert data_import.summary == "created=1 updated=0 unchanged=0 rejected=0"
    claire.refresh_from_db()
    assert claire.france_travail_uid == UID
    registration = claire.france_travail_registration
    assert (registration.registered_on, registration.category) == (datetime.date(2025, 11, 20), "1")
    assert (registration.registration_reason_code, registration.registration_reason) == (
        "14",
        "FIN DE CDD OU DE CONTRAT AIDE",
    )
    assert registration.modality == "GLOBAL"
    assert (registration.counsellor_name, registration.counsellor_email) == ("Paul DURAND", "paul.durand@example.org")
    assert (registration.agency, registration.safir_code) == ("TOULON MAYOL", "83021")
    assert registration.follow_up_started_on == datetime.date(2026, 1, 5)
    assert registration.follow_up_planned_end_on == datetime.date(2026, 12, 31)
    assert registration.last_interview_on == datetime.date(2026, 9, 14)
    assert registration.occupations == [{"code": "K1302", "label": "Assistant / Assistante de vie aux familles"}]
    assert registration.barriers == [
        FranceTravailBarrier.HOUSING,
        FranceTravailBarrier.MOBILITY,
        FranceTravailBarrier.FAMILY,
    ]
    assert registration.receives_rsa is True
    assert registration.source_import == data_import


def test_a_row_matches_by_its_id_once_known_even_when_the_name_changed(run_extract, claire):
    run_extract(extract(row()))

    data_import = run_extract(extract(row(nom="MARTIN-DUPONT", modalite_accompagnement="RENFORCE")))

    assert data_import.summary == "created=0 updated=1 unchanged=0 rejected=0"
    assert FranceTravailRegistration.objects.get().modality == "RENFORCE"


def test_importing_the_same_rows_again_reports_them_unchanged(run_extract, claire):
    run_extract(extract(row()))
    data_import = run_extract(extract(row()) + "\r\n")  # another file, the same rows
    assert data_import.summary == "created=0 updated=0 unchanged=1 rejected=0"


def test_an_ambiguous_name_and_birth_date_match_goes_to_the_review_queue(run_extract, claire):
    twin = BeneficiaryFactory(first_name="CLAIRE", last_name="Martin", birth_date=BIRTH)

    data_import = run_extract(extract(row()))

    assert data_import.summary == "created=0 updated=0 unchanged=0 rejected=0"
    assert data_import.queued == 1
    queued = FranceTravailReviewRow.objects.get()
    assert (queued.reason, queued.candidates, queued.status) == (ReviewReason.AMBIGUOUS, 2, ReviewStatus.OPEN)
    assert queued.get_reason_display() == "Plusieurs dossiers correspondent"
    assert (queued.france_travail_uid, queued.last_name, queued.birth_date) == (UID, "MARTIN", BIRTH)
    assert (queued.postal_code, queued.city, queued.agency) == ("83000", "TOULON", "TOULON MAYOL")
    # Nothing is guessed: neither file gets the id.
    assert not Beneficiary.objects.filter(france_travail_uid__isnull=False).exists()
    assert {claire.pk, twin.pk} == set(Beneficiary.objects.values_list("pk", flat=True))


def test_a_row_matching_no_file_goes_to_the_review_queue(run_extract):
    data_import = run_extract(extract(row()))
    assert data_import.queued == 1
    assert FranceTravailReviewRow.objects.get().reason == ReviewReason.NO_MATCH


def test_a_row_whose_only_match_has_another_id_goes_to_the_review_queue(run_extract, claire):
    claire.france_travail_uid = uuid.uuid4()
    claire.save()
    run_extract(extract(row()))
    assert FranceTravailReviewRow.objects.get().reason == ReviewReason.ALREADY_LINKED


def test_a_row_still_open_is_refreshed_not_queued_twice_and_a_dismissed_one_is_not_queued_again(run_extract, officer):
    run_extract(extract(row()))
    run_extract(extract(row(modalite_accompagnement="SUIVI")))
    open_row = FranceTravailReviewRow.objects.get()
    assert open_row.facts["modality"] == "SUIVI"

    review_row_dismiss(row=open_row, by=officer, comment="Ne relève pas du Département")
    data_import = run_extract(extract(row(modalite_accompagnement="GUIDE")))

    assert data_import.queued == 0 and data_import.unchanged == 1
    assert FranceTravailReviewRow.objects.count() == 1


def test_a_csv_with_a_missing_column_is_refused_naming_it_and_writes_nothing(run_extract, claire):
    columns = [c for c in COLUMNS if c != "date_naissance"]

    data_import = run_extract(extract(row(), columns=columns))

    assert data_import.status == ImportStatus.REFUSED
    assert data_import.message.startswith("Il manque la colonne date_naissance dans l'en-tête du fichier")
    assert not FranceTravailRegistration.objects.exists() and not FranceTravailReviewRow.objects.exists()
    assert not ImportRejection.objects.exists()
    claire.refresh_from_db()
    assert claire.france_travail_uid is None


def test_several_missing_columns_are_all_named(run_extract):
    columns = [c for c in COLUMNS if c not in ("dif_sante", "brsa")]
    message = run_extract(extract(row(), columns=columns)).message
    assert message.startswith("Il manque les colonnes dif_sante, brsa dans l'en-tête du fichier")


def test_a_windows_1252_extract_is_detected_and_read(run_extract):
    BeneficiaryFactory(first_name="Hélène", last_name="Lefèvre", birth_date=BIRTH)

    data_import = run_extract(extract(row(nom="LEFÈVRE", prenom="HÉLÈNE")), encoding="cp1252")

    assert data_import.created == 1
    assert Beneficiary.objects.get().france_travail_uid == UID


def test_a_utf8_extract_with_a_byte_order_mark_is_read(run_extract):
    BeneficiaryFactory(first_name="Hélène", last_name="Lefèvre", birth_date=BIRTH)
    data_import = run_extract(extract(row(nom="LEFÈVRE", prenom="HÉLÈNE")), encoding="utf-8-sig")
    assert data_import.created == 1


def test_bytes_valid_neither_in_utf8_nor_in_windows_1252_refuse_the_extract(run_extract):
    content = extract(row(), row(identifiant_unique_de=str(uuid.uuid4()))).encode("cp1252")
    content = content.replace(b"CLAIRE", b"CL\x81IRE", 2)

    data_import = run_extract(content)

    assert data_import.status == ImportStatus.REFUSED
    assert "ligne 2" in data_import.message and "ni en UTF-8 ni en windows-1252" in data_import.message
    assert not FranceTravailReviewRow.objects.exists()


def test_an_empty_or_header_less_file_is_refused(run_extract):
    assert "vide" in run_extract(b"").message
    assert "en-tête" in run_extract("bonjour\nmonde\n").message


def test_a_malformed_row_is_rejected_with_its_reason_and_the_others_imported(run_extract, claire):
    other = BeneficiaryFactory(first_name="Paul", last_name="Durand", birth_date=datetime.date(1979, 1, 2))
    bad = row(identifiant_unique_de=str(uuid.uuid4()), nom="DURAND", prenom="PAUL", date_naissance="02/01/1979")
    short = ";".join(["x"] * 5)

    data_import = run_extract(extract(row(), bad) + short + "\r\n")

    assert data_import.summary == "created=1 updated=0 unchanged=0 rejected=2"
    reasons = list(ImportRejection.objects.order_by("position").values_list("position", "element", "reason"))
    assert reasons[0] == (
        3,
        "date_naissance",
        "Ligne 3 : date_naissance « 02/01/1979 » n'est pas une date (AAAA-MM-JJ attendu).",
    )
    assert reasons[1][0] == 4 and "5 valeurs au lieu des 44 colonnes" in reasons[1][2]
    other.refresh_from_db()
    assert other.france_travail_uid is None


def test_null_values_are_empty_and_unknown_codes_reject_the_row(run_extract, claire):
    data_import = run_extract(
        extract(
            row(categorie_inscription="NULL", modalite_accompagnement="NULL", referent_mail="NULL"),
            row(identifiant_unique_de=str(uuid.uuid4()), categorie_inscription="9"),
            row(identifiant_unique_de="pas-un-uuid"),
        )
    )
    assert data_import.summary == "created=1 updated=0 unchanged=0 rejected=2"
    registration = FranceTravailRegistration.objects.get()
    assert (registration.category, registration.modality, registration.counsellor_email) == ("", "", "")
    reasons = " ".join(ImportRejection.objects.values_list("reason", flat=True))
    assert "categorie_inscription « 9 » inconnue (1 à 5)" in reasons
    assert "identifiant_unique_de « pas-un-uuid » n'est pas un identifiant unique" in reasons


def test_the_same_id_twice_in_one_extract_keeps_the_first_row(run_extract, claire):
    data_import = run_extract(extract(row(), row(modalite_accompagnement="SUIVI")))
    assert data_import.summary == "created=1 updated=0 unchanged=0 rejected=1"
    assert FranceTravailRegistration.objects.get().modality == "GLOBAL"


# The review queue's services ----------------------------------------------------------------------------------
def test_an_officer_links_a_queued_row_the_file_gets_the_id_and_the_facts(run_extract, claire, officer):
    BeneficiaryFactory(first_name="Claire", last_name="Martin", birth_date=BIRTH)
    run_extract(extract(row()))
    queued = FranceTravailReviewRow.objects.get()

    review_row_link(row=queued, beneficiary=claire, by=officer, comment="Même adresse")

    queued.refresh_from_db()
    claire.refresh_from_db()
    assert (queued.status, queued.beneficiary, queued.decided_by) == (ReviewStatus.LINKED, claire, officer)
    assert queued.decided_at is not None and queued.comment == "Même adresse"
    assert claire.france_travail_uid == UID
    assert claire.france_travail_registration.modality == "GLOBAL"
    # Then the next extract matches it by its id.
    assert run_extract(extract(row())).summary == "created=0 updated=0 unchanged=1 rejected=0"


def test_a_row_cannot_be_linked_to_a_file_with_another_id_nor_decided_twice(run_extract, claire, officer):
    claire.france_travail_uid = uuid.uuid4()
    claire.save()
    run_extract(extract(row()))
    queued = FranceTravailReviewRow.objects.get()

    with pytest.raises(Exception, match="déjà un autre identifiant France Travail"):
        review_row_link(row=queued, beneficiary=claire, by=officer)

    review_row_dismiss(row=queued, by=officer)
    with pytest.raises(Exception, match="déjà été traitée"):
        review_row_link(row=queued, beneficiary=BeneficiaryFactory(), by=officer)


def test_an_open_row_is_closed_when_a_later_extract_matches_its_person_for_sure(run_extract):
    run_extract(extract(row()))
    claire = BeneficiaryFactory(first_name="Claire", last_name="Martin", birth_date=BIRTH)

    data_import = run_extract(extract(row(), row(identifiant_unique_de=str(uuid.uuid4()), nom="AUTRE")))

    assert data_import.created == 1
    closed = FranceTravailReviewRow.objects.get(france_travail_uid=UID)
    assert (closed.status, closed.beneficiary, closed.decided_by) == (ReviewStatus.LINKED, claire, None)
    assert "un seul dossier correspondant" in closed.comment


def test_review_rows_are_placed_by_the_commune_of_their_postal_code(run_extract, marseille_sud):
    run_extract(extract(row(adresse_ligne6="13008 MARSEILLE")))
    queued = FranceTravailReviewRow.objects.get()
    assert (queued.commune, queued.sector) == (commune("13208"), marseille_sud)
