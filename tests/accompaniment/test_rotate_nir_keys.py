from cryptography.fernet import Fernet
from django.core.management import call_command

from accompaniment import nir as nir_lib
from accompaniment.models import Beneficiary
from tests.factories import BeneficiaryFactory

STEM = "1750213201055"


def test_rotation_reencrypts_with_the_new_key_and_rehashes_with_the_new_hash_key(db, settings):
    old_key = settings.NIR_ENCRYPTION_KEYS[0]
    file = BeneficiaryFactory(nir=STEM)
    old_token = file.nir_encrypted

    new_key = Fernet.generate_key().decode()
    settings.NIR_ENCRYPTION_KEYS = [new_key, old_key]
    settings.NIR_HASH_PREVIOUS_KEY = settings.NIR_HASH_KEY
    settings.NIR_HASH_KEY = "new-hash-key-for-the-test"
    assert nir_lib.stem_hash(STEM) != file.nir_hash
    assert file.nir_hash in nir_lib.candidate_hashes(STEM)  # still matches during the rotation

    call_command("rotate_nir_keys")

    file.refresh_from_db()
    assert file.nir_encrypted != old_token
    assert file.nir_hash == nir_lib.stem_hash(STEM)
    settings.NIR_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    assert nir_lib.decrypt(Beneficiary.objects.get(pk=file.pk).nir_encrypted) == STEM
