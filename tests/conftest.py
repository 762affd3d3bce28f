import os

import factory.random
import pytest
from django.conf import settings
from django.core.files.storage import storages

from accompaniment.permissions import share_file  # noqa: F401  (re-exported for tests)
from partners.enums import OrganisationType, Role, SectorKind
from tests.factories import (
    BeneficiaryFactory,
    OrganisationFactory,
    SectorFactory,
    TeamFactory,
    UserFactory,
    commune,
)


def _missing_service(item):
    if item.get_closest_marker("postgresql") and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        return "PostgreSQL (DATABASE_URL=postgres://…)"
    if item.get_closest_marker("redis") and not os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        return "a Redis broker (CELERY_BROKER_URL=redis://…)"
    return None


def pytest_runtest_setup(item):
    """Tests marked `postgresql` or `redis` run where the service is configured; elsewhere they are
    skipped, except in CI (CI=true), where a missing service is a failure, never a silent skip."""
    missing = _missing_service(item)
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{item.nodeid} needs {missing}, which CI must provide", pytrace=False)
        pytest.skip(f"needs {missing}")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's Chromium (its own browser download is not possible here)."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True)
def private_storage(tmp_path):
    """Nominative files written by a test (exports, uploads) go to its own temporary folder, never to var/.
    File fields hold the private storage instance itself: its location is moved for the test."""
    storage = storages["private"]
    saved = storage.__dict__.copy()
    storage._location = str(tmp_path / "private")
    for cached in ("base_location", "location"):
        storage.__dict__.pop(cached, None)
    yield tmp_path / "private"
    storage.__dict__.clear()
    storage.__dict__.update(saved)


@pytest.fixture(autouse=True)
def _reproducible_fake_data(request):
    """Faker and factory_boy draw from a generator seeded by the test's id: a test gets the same names and
    dates on every run, so a failure can be replayed (a test that needs a name sets it explicitly)."""
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def marseille_sud(db):
    """A social-action district (primary sector) with Marseille 8e and 9e."""
    return SectorFactory(
        code="CAS-MRS-SUD",
        name="Circonscription Marseille Sud",
        kind=SectorKind.SOCIAL_ACTION_DISTRICT,
        communes=[commune("13208"), commune("13209")],
    )


@pytest.fixture
def aix(db):
    return SectorFactory(
        code="CAS-AIX",
        name="Circonscription Aix-en-Provence",
        kind=SectorKind.SOCIAL_ACTION_DISTRICT,
        communes=[commune("13001")],
    )


@pytest.fixture
def departement(db, marseille_sud, aix):
    return OrganisationFactory(
        code="CD13",
        name="Département des Bouches-du-Rhône",
        type=OrganisationType.DEPARTEMENT,
        sectors=[marseille_sud, aix],
    )


@pytest.fixture
def referent(db, departement):
    """The referent persona: a Département insertion worker in a team."""
    user = UserFactory(organisation=departement, roles=[Role.REFERENT], first_name="Rachida", last_name="Référente")
    TeamFactory(organisation=departement, name="Insertion Marseille Sud", members=[user])
    return user


@pytest.fixture
def other_organisation_user(db, aix):
    """A colleague of another organisation (a France Travail counsellor of another area)."""
    agency = OrganisationFactory(code="FT-AIX", type=OrganisationType.FRANCE_TRAVAIL, name="France Travail Aix")
    return UserFactory(organisation=agency, roles=[Role.REFERENT], first_name="Olivier", last_name="Autre")


@pytest.fixture
def stranger(db):
    """A user with no role at all."""
    return UserFactory(first_name="Sam", last_name="Inconnu", roles=[])


@pytest.fixture
def followed_file(db, referent):
    """A file in Marseille 8e, created by the referent."""
    return BeneficiaryFactory(created_by=referent, first_name="Awa", last_name="Diallo")


@pytest.fixture
def default_rules(transactional_db):
    """For transactional tests: the deadline rules of the data migration (a previous transactional test's
    flush deleted them)."""
    import importlib

    from django.apps import apps

    from accompaniment.models import DeadlineRule

    if not DeadlineRule.objects.exists():
        importlib.import_module("accompaniment.migrations.0010_deadlines_default_rules").create_default_rules(
            apps, None
        )


@pytest.fixture
def queue():
    """A broker queue of this test only: its worker takes no task of another test."""
    from tests.celery_support import new_queue

    return new_queue()


@pytest.fixture
def workers(transactional_db, tmp_path):
    """Starts real Celery workers on a queue (`workers(queue)`), stopped at the end of the test; they log to
    `tmp_path / "workers.log"`."""
    from tests.celery_support import Worker

    started = []

    def start(queue):
        worker = Worker(queue, tmp_path / "workers.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
