"""The NIR (social-security number): validated, encrypted at rest, hashed for matching, never shown.

Encryption uses its own keys (NIR_ENCRYPTION_KEYS, Fernet; the first encrypts, all decrypt, so keys can be
rotated) and the matching hash is an HMAC-SHA256 of the 13-digit stem under NIR_HASH_KEY, so that a CAF flux
(13 digits, no key) and a 15-digit NIR typed by hand match the same person.
"""

import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError

_NIR_RE = re.compile(r"^[12378]\d{2}(0[1-9]|1[0-2]|[2-9]\d)(\d{2}|2A|2B)\d{3}\d{3}(\d{2})?$")


def normalise(value):
    return re.sub(r"[\s.-]", "", value or "").upper()


def stem(value):
    """The 13-character stem of a NIR given with or without its key."""
    return normalise(value)[:13]


def key_of(stem13):
    digits = stem13.replace("2A", "19").replace("2B", "18")
    return 97 - (int(digits) % 97)


def validate(value):
    """Raises ValidationError (French) unless `value` is a well-formed 13- or 15-character NIR whose key,
    when given, is right. Returns the normalised value."""
    nir = normalise(value)
    if len(nir) not in (13, 15) or not _NIR_RE.match(nir):
        raise ValidationError(
            "Le NIR doit comporter 13 caractères, ou 15 avec la clé (ex. 1 84 12 13 055 123 45).",
            code="nir_format",
        )
    if len(nir) == 15 and int(nir[13:]) != key_of(nir[:13]):
        raise ValidationError("La clé du NIR ne correspond pas au numéro saisi.", code="nir_key")
    return nir


def _fernet():
    return MultiFernet([Fernet(key.encode()) for key in settings.NIR_ENCRYPTION_KEYS])


def encrypt(value):
    return _fernet().encrypt(normalise(value).encode()).decode()


def decrypt(token):
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:  # pragma: no cover - only with a lost key
        raise ValueError("NIR illisible avec les clés configurées.") from error


def rotate(token):
    """Re-encrypts with the current primary key."""
    return _fernet().rotate(token.encode()).decode()


def stem_hash(value, key=None):
    key = key or settings.NIR_HASH_KEY
    return hmac.new(key.encode(), stem(value).encode(), hashlib.sha256).hexdigest()


def candidate_hashes(value):
    """The hashes under which a NIR may be stored (current key, and the previous one during a rotation)."""
    hashes = [stem_hash(value)]
    if settings.NIR_HASH_PREVIOUS_KEY:
        hashes.append(stem_hash(value, settings.NIR_HASH_PREVIOUS_KEY))
    return hashes
