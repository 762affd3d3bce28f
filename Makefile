# Parcours — the two commands of the README are `make demo` and `make test`.
#
# Every target works from a fresh clone: it creates .venv with the machine's python3, installs uv in it,
# installs the locked dependencies with uv (never letting uv download an interpreter) and the front-end
# assets with `npm ci`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON_FOR_VENV ?= python3
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
MANAGE := $(PY) manage.py
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

.PHONY: help install demo test lint pytest pytest-browser check-deploy lock

help:
	@echo "make demo    install, migrate, load demo data once, start the app (http://127.0.0.1:8000) + Celery worker and beat"
	@echo "make test    install, quality gate (ruff, ruff format, djlint, makemigrations --check, check --deploy), all tests"
	@echo "make install create .venv and install the locked Python dependencies and the front-end assets"
	@echo "make lint    the quality gate only"
	@echo "make lock    regenerate requirements.lock from pyproject.toml"

$(PY):
	$(PYTHON_FOR_VENV) -m venv $(VENV)

$(UV): | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Re-run when the lock changes (uv is quick, but this keeps `make test` quiet on a warm tree).
$(VENV)/.requirements-installed: requirements.lock | $(UV)
	$(UV) pip install --quiet --python $(PY) -r requirements.lock
	touch $@

# `npm ci` writes node_modules/.package-lock.json; rebuild when the lock file is newer.
node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.requirements-installed node_modules/.package-lock.json

demo: install
	$(MANAGE) migrate --noinput
	@state="$$($(MANAGE) shell -c "from accompaniment import demo; print('present' if demo.existing_demo_data() else 'absent')")"; \
	case "$$state" in \
		*present) echo "Données de démonstration déjà présentes (seed_demo --reset pour les recréer).";; \
		*absent) $(MANAGE) seed_demo --beneficiaries 300;; \
		*) echo "Impossible de savoir si les données de démonstration sont chargées : $$state" >&2; exit 1;; \
	esac
	scripts/demo.sh

test: install lint pytest pytest-browser

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --check
	$(VENV)/bin/djlint templates --lint
	$(MANAGE) makemigrations --check --dry-run
	$(MAKE) --no-print-directory check-deploy

# `check --deploy` with production settings and throwaway secrets, for this command only.
check-deploy: install
	eval "$$(scripts/throwaway_secrets.sh)"; \
	PARCOURS_ENV=production DJANGO_ALLOWED_HOSTS=parcours.example.org \
		$(MANAGE) check --deploy --fail-level WARNING

pytest: install
	$(VENV)/bin/pytest tests --ignore=tests/browser

# Browser tests run in their own process (DJANGO_ALLOW_ASYNC_UNSAFE applies to the whole process).
# Exit code 5 ("no tests collected") is accepted only while tests/browser holds no test module.
pytest-browser: install
	status=0; DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest tests/browser || status=$$?; \
	if [ "$$status" -eq 5 ] && ! compgen -G "tests/browser/test_*.py" >/dev/null; then \
		echo "tests/browser : aucun test pour l'instant."; status=0; \
	fi; \
	exit $$status

lock: | $(UV)
	$(UV) pip compile pyproject.toml --extra dev -o requirements.lock --python $(PY)
