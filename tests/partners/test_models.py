from partners.models import Commune


def test_marseille_given_as_13055_is_resolved_to_its_arrondissement_from_the_postal_code(db):
    assert Commune.resolve("13055", "13008").insee_code == "13208"
    assert Commune.resolve("13055", "13016").insee_code == "13216"


def test_an_unknown_commune_code_resolves_to_nothing(db):
    assert Commune.resolve("92044", "92300") is None


def test_the_departements_communes_are_loaded_with_marseilles_arrondissements(db):
    assert Commune.objects.filter(departement="13", kind="arrondissement_municipal").count() == 16
    assert Commune.objects.filter(departement="13").count() == 135
