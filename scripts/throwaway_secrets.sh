#!/usr/bin/env bash
# Prints `export` lines with throwaway production secrets, generated now and never stored:
#   eval "$(scripts/throwaway_secrets.sh)"
# For checks and smoke runs only; a real deployment provides its own secrets.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
"$PY" - <<'PYTHON'
import secrets
import shlex

from cryptography.fernet import Fernet

values = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "NIR_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "NIR_HASH_KEY": secrets.token_urlsafe(48),
}
for name, value in values.items():
    print(f"export {name}={shlex.quote(value)}")
PYTHON
