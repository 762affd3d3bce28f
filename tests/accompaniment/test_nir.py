import pytest
from django.core.exceptions import ValidationError

from accompaniment import nir


def test_a_15_digit_nir_with_a_wrong_key_is_refused():
    with pytest.raises(ValidationError, match="clé"):
        nir.validate("184121305512399")


def test_a_15_digit_nir_with_the_right_key_is_accepted():
    key = nir.key_of("1841213055123")
    assert nir.validate(f"1 84 12 13 055 123 {key:02d}") == f"1841213055123{key:02d}"


def test_a_corsican_nir_key_uses_the_substituted_department():
    stem = "184022A012345"
    assert nir.validate(f"{stem}{nir.key_of(stem):02d}")


def test_the_13_digit_stem_and_the_full_nir_have_the_same_matching_hash(settings):
    key = nir.key_of("2900513208007")
    assert nir.stem_hash("2900513208007") == nir.stem_hash(f"2900513208007{key:02d}")


def test_the_nir_is_encrypted_and_decrypts_back():
    token = nir.encrypt("2900513208007")
    assert "2900513208007" not in token
    assert nir.decrypt(token) == "2900513208007"
