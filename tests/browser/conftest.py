import os

import pytest
from axe_playwright_python.sync_playwright import Axe

# Playwright's sync API runs an event loop in the test thread; the ORM must be allowed there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, a test database in a file (WAL, as the settings open it) rather than in memory: each thread then
    has its own connection, as in production — the test, the live server's request threads, and a task run in the
    background like a worker (test_imports.py). An in-memory database is one connection shared by all threads,
    whose transactions would interleave."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("browser-db") / "test.sqlite3")


@pytest.fixture(scope="session")
def axe():
    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Runs axe-core on the page and fails on any serious or critical violation."""

    def check(page, where=""):
        results = axe.run(page)
        violations = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
        details = "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in violations
        )
        assert not violations, f"Violations axe graves sur {where or page.url} :\n{details}"

    return check


@pytest.fixture
def login(live_server):
    def do_login(page, user, password):
        page.goto(f"{live_server.url}/connexion/")
        page.get_by_label("Adresse e-mail").fill(user.email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()

    return do_login
