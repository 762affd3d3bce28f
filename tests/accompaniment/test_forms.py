import datetime

import pytest
from django.utils import timezone

from accompaniment import nir as nir_lib
from accompaniment.forms import AssignForm, BeneficiaryForm, FileShareForm
from partners.enums import Role, SectorKind
from partners.models import Commune
from tests.factories import BeneficiaryFactory, SectorFactory, UserFactory

STEM = "1841213055123"
VALID_NIR = f"{STEM}{nir_lib.key_of(STEM):02d}"


def nir_with_wrong_key(nir):
    return nir[:13] + f"{(int(nir[13:]) + 1) % 97:02d}"


def form_data(**overrides):
    data = {
        "last_name": "Martin",
        "first_name": "Léa",
        "birth_date": "15/06/1987",
        "sex": "F",
        "caf_number": "7654321",
        "postal_code": "13008",
        "city": "Marseille",
        "commune": "13208",
        "rights_state": "2",
        "rights_opened_on": "01/10/2026",
        "rights_and_duties": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def author(referent):
    return referent


def test_a_complete_form_is_valid_and_reads_dates_typed_as_dd_mm_yyyy(author):
    form = BeneficiaryForm(form_data(), user=author)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["birth_date"] == datetime.date(1987, 6, 15)
    assert form.cleaned_data["commune"] == Commune.objects.get(insee_code="13208")


def test_dates_are_shown_as_dd_mm_yyyy_in_the_edit_form(followed_file, author):
    followed_file.birth_date = datetime.date(1990, 2, 3)
    html = str(BeneficiaryForm(instance=followed_file, user=author)["birth_date"])
    assert 'value="03/02/1990"' in html


def test_a_birth_date_in_the_future_is_refused(author):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    form = BeneficiaryForm(form_data(birth_date=tomorrow.strftime("%d/%m/%Y")), user=author)
    assert not form.is_valid()
    assert form.errors["birth_date"] == ["La date de naissance doit être dans le passé."]


def test_a_birth_date_that_is_not_a_date_is_refused_with_a_french_message(author):
    form = BeneficiaryForm(form_data(birth_date="31/02/1990"), user=author)
    assert not form.is_valid()
    assert "birth_date" in form.errors


def test_a_15_digit_nir_with_a_bad_key_is_refused(author):
    form = BeneficiaryForm(form_data(nir=nir_with_wrong_key(VALID_NIR)), user=author)
    assert not form.is_valid()
    assert form.errors["nir"] == ["La clé du NIR ne correspond pas au numéro saisi."]


def test_a_nir_of_the_wrong_length_is_refused(author):
    form = BeneficiaryForm(form_data(nir="18412130551"), user=author)
    assert not form.is_valid()
    assert "13 caractères" in form.errors["nir"][0]


def test_a_13_character_nir_without_key_is_accepted(author):
    form = BeneficiaryForm(form_data(nir=STEM), user=author)
    assert form.is_valid(), form.errors


def test_a_nir_already_on_a_file_the_user_cannot_see_is_refused_without_saying_which(author):
    hidden = BeneficiaryFactory(nir=STEM, first_name="Cachée", last_name="Ailleurs")
    assert not hidden.__class__.objects.for_user(author).filter(pk=hidden.pk).exists()
    form = BeneficiaryForm(form_data(nir=VALID_NIR), user=author)
    assert not form.is_valid()
    assert form.errors["nir"] == ["Un dossier existe déjà pour ce NIR."]
    assert "Ailleurs" not in str(form.errors)


def test_the_nir_field_never_renders_what_was_typed(author):
    form = BeneficiaryForm(form_data(nir=nir_with_wrong_key(VALID_NIR), last_name=""), user=author)
    assert not form.is_valid()
    assert VALID_NIR[:13] not in str(form["nir"])


def test_same_name_and_birth_date_asks_for_a_confirmation_whatever_the_case(author, followed_file):
    data = form_data(
        last_name=followed_file.last_name.upper(),
        first_name=followed_file.first_name.lower(),
        birth_date=followed_file.birth_date.strftime("%d/%m/%Y"),
    )
    form = BeneficiaryForm(data, user=author)
    assert not form.is_valid()
    assert "mêmes nom, prénom et date de naissance" in form.errors["confirm_other_person"][0]
    assert form.asks_duplicate_confirmation
    assert form.visible_duplicate == followed_file  # the author may see it: the page links to it

    confirmed = BeneficiaryForm({**data, "confirm_other_person": "on"}, user=author)
    assert confirmed.is_valid(), confirmed.errors


def test_a_namesake_the_user_cannot_see_is_announced_without_a_link(author):
    BeneficiaryFactory(first_name="Léa", last_name="Martin", birth_date=datetime.date(1987, 6, 15))
    form = BeneficiaryForm(form_data(), user=author)
    assert not form.is_valid()
    assert "confirm_other_person" in form.errors
    assert form.visible_duplicate is None


def test_the_household_caf_number_is_not_a_duplicate(author, followed_file):
    form = BeneficiaryForm(form_data(caf_number=followed_file.caf_number, first_name="Moussa"), user=author)
    assert form.is_valid(), form.errors


def test_editing_a_file_does_not_ask_again_about_namesakes_when_the_identity_is_unchanged(author, followed_file):
    BeneficiaryFactory(
        first_name=followed_file.first_name, last_name=followed_file.last_name, birth_date=followed_file.birth_date
    )
    data = form_data(
        last_name=followed_file.last_name,
        first_name=followed_file.first_name,
        birth_date=followed_file.birth_date.strftime("%d/%m/%Y"),
        phone="0611223344",
    )
    form = BeneficiaryForm(data, instance=followed_file, user=author)
    assert form.is_valid(), form.errors


def test_the_edit_form_says_a_blank_nir_keeps_the_one_on_record(author):
    file = BeneficiaryFactory(nir=VALID_NIR, created_by=author)
    form = BeneficiaryForm(instance=file, user=author)
    assert form.fields["nir"].help_text == "Laisser vide pour conserver le NIR enregistré."
    assert 'value="' not in str(form["nir"])


def test_marseille_as_a_whole_is_not_offered_only_its_arrondissements(author):
    codes = set(BeneficiaryForm(user=author).fields["commune"].queryset.values_list("insee_code", flat=True))
    assert "13055" not in codes
    assert {"13201", "13216", "13001"} <= codes
    assert not any(code[:2] != "13" for code in codes)


def test_invalid_fields_get_bootstrap_error_classes_and_aria_links(author):
    form = BeneficiaryForm(form_data(last_name=""), user=author)
    form.is_valid()
    html = str(form["last_name"])
    assert "is-invalid" in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_last_name_error"' in html


# Share form -------------------------------------------------------------------------------------------
def share_data(**overrides):
    data = {
        "reason": "Suivi conjoint",
        "ends_on": (timezone.localdate() + datetime.timedelta(days=30)).strftime("%d/%m/%Y"),
    }
    data.update(overrides)
    return data


def test_a_share_goes_to_a_user_given_by_email_or_to_an_organisation_not_both(departement, referent):
    colleague = UserFactory(organisation=departement, roles=[Role.REFERENT], email="collegue@parcours.test")
    form = FileShareForm(share_data(user_email="COLLEGUE@parcours.test"))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["user_email"] == colleague

    assert FileShareForm(share_data(organisation=departement.pk)).is_valid()
    neither = FileShareForm(share_data())
    assert not neither.is_valid()
    assert "l'un des deux" in neither.non_field_errors()[0]
    both = FileShareForm(share_data(user_email="collegue@parcours.test", organisation=departement.pk))
    assert not both.is_valid()


def test_a_share_ends_in_the_future_and_within_a_year(departement):
    today = timezone.localdate()
    past = FileShareForm(share_data(organisation=departement.pk, ends_on=today.strftime("%d/%m/%Y")))
    assert past.errors["ends_on"] == ["La fin du partage doit être dans le futur."]
    too_long = today + datetime.timedelta(days=366)
    late = FileShareForm(share_data(organisation=departement.pk, ends_on=too_long.strftime("%d/%m/%Y")))
    assert late.errors["ends_on"] == ["Un partage dure au plus un an."]


def test_a_share_with_a_user_who_may_not_read_files_is_refused(departement):
    UserFactory(organisation=departement, roles=[Role.COPIL], email="copil@parcours.test")
    form = FileShareForm(share_data(user_email="copil@parcours.test"))
    assert form.errors["user_email"] == ["Cet utilisateur n'a pas accès aux dossiers nominatifs."]
    unknown = FileShareForm(share_data(user_email="personne@parcours.test"))
    assert unknown.errors["user_email"] == ["Aucun utilisateur actif n'a cette adresse e-mail."]


# Assign form ------------------------------------------------------------------------------------------
def test_the_assign_form_wants_a_commune_of_the_departement_or_a_primary_sector(marseille_sud):
    choices = [(marseille_sud.pk, marseille_sud.name)]
    assert AssignForm({"commune": "13208"}, sector_choices=choices).is_valid()
    assert AssignForm({"sector": str(marseille_sud.pk)}, sector_choices=choices).is_valid()
    empty = AssignForm({}, sector_choices=choices)
    assert empty.non_field_errors() == ["Indiquez une commune ou une circonscription."]
    outside = AssignForm({"commune": "75056"}, sector_choices=choices)
    assert outside.errors["commune"] == ["Ce code INSEE n'est pas une commune du Département."]


def test_the_assign_form_refuses_a_sector_that_is_not_primary(marseille_sud):
    ft_area = SectorFactory(code="FT-ZONE", kind=SectorKind.FRANCE_TRAVAIL_AREA)
    form = AssignForm({"sector": str(ft_area.pk)}, sector_choices=[(ft_area.pk, ft_area.name)])
    assert form.errors["sector"] == ["Choisissez une circonscription de la liste."]
