from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.http import HttpRequest
from django.test import Client, RequestFactory, SimpleTestCase
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.records.models import Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import dbtemplate, factories
from tests.factories import records as record_factories
from tests.seaweed import blob_backend, s3_blob_url, s3_server  # noqa: F401 - fixtures

# Property tests run beside other suites on a shared 2-core machine: a slow draw there says
# nothing about the property, so Hypothesis's speed health check is off (the examples and
# their number stay the same).
hypothesis_settings.register_profile("koffer", suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("koffer")

# Every test runs on a pinned clock, so that data built from "today" means the same thing
# on every day the suite runs. `make test-dates` moves the clock with KOFFER_TEST_TODAY to
# month ends, a leap day and a year end; a test written for one calendar date names it
# with @pytest.mark.today(...) and stays there.
TEST_TODAY_ENV = "KOFFER_TEST_TODAY"
DEFAULT_TODAY = date(2026, 11, 25)
BERLIN = ZoneInfo("Europe/Berlin")
TESTS = Path(__file__).resolve().parent


def test_today() -> date:
    """The date the pinned clock shows (KOFFER_TEST_TODAY, or the default)."""
    value = os.environ.get(TEST_TODAY_ENV, "")
    return date.fromisoformat(value) if value else DEFAULT_TODAY


test_today.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


# What gives a test the test database: pytest-django refuses every connection to a test that
# has none of these fixtures and no `django_db` mark ("Database access not allowed"), unless
# a fixture of ours unblocks it with `django_db_blocker` (every test has that fixture through
# pytest-django's own autouse fixture, which keeps it blocked).
DATABASE_FIXTURES = frozenset(
    {
        "_django_db_helper",
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "django_db_setup",
        "live_server",
    }
)
BLOCKER = "django_db_blocker"
# These folders choose their database engine themselves (Citus, the scale tests).
ENGINE_FOLDERS = ("distributed", "scale")


def engine_independent(item: pytest.Item) -> bool:
    """True for a test that cannot reach the test database: no `django_db` mark, none of
    DATABASE_FIXTURES among its fixtures (directly or through others), not a Django
    TestCase. pytest-django refuses such a test every connection, so it runs the same on
    SQLite and on PostgreSQL: pure functions, PDFs and typst, parsers, OCR, and the koffer
    processes started with tests.subprocesses.koffer_env, which keep their own SQLite
    files (the `own_database` tests)."""
    if item.get_closest_marker("django_db"):
        return False
    if DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return False
    info = getattr(item, "_fixtureinfo", None)
    if info is None or BLOCKER in info.argnames:
        return False
    for definitions in info.name2fixturedefs.values():
        for definition in definitions:
            ours = definition.func.__module__.split(".")[0] != "pytest_django"
            if ours and BLOCKER in definition.argnames:
                return False
    cls = getattr(item, "cls", None)
    if cls is not None and issubclass(cls, SimpleTestCase):
        return False
    path = Path(item.path)
    return path.is_relative_to(TESTS) and path.relative_to(TESTS).parts[0] not in ENGINE_FOLDERS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` first, the rest in their order: xdist hands out tests in this
    order, so a long test no longer starts last and keeps one worker busy alone at the end.
    Tests that cannot reach the test database (engine_independent: a third of the suite,
    with the OCR runs and the dispatch processes) run the same on every engine: the
    PostgreSQL run leaves them to the SQLite run instead of running the same thing twice.
    Tests marked `not_citus` check what only a database that is not distributed does; the
    Citus run (`make test-distributed`) skips them with their reason."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
    url = os.environ.get("KOFFER_DATABASE_URL", "")
    if url.startswith(("postgres", "citus")):
        once = pytest.mark.skip(reason="ohne Datenbank: läuft im SQLite-Lauf")
        for item in items:
            if engine_independent(item):
                item.add_marker(once)
    if url.startswith("citus"):
        for item in items:
            if marker := item.get_closest_marker("not_citus"):
                item.add_marker(pytest.mark.skip(reason=f"nicht auf Citus: {marker.args[0]}"))


@pytest.fixture(autouse=True)
def pinned_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """10:00 in Berlin on the test's day, ticking from there: code that waits for time to
    pass (timeouts, expiry in seconds) still sees it pass. Tests that talk to a real koffer
    process (`real_clock`, and every browser test) keep the real clock, which that process shares."""
    node = request.node
    if node.get_closest_marker("real_clock") or node.get_closest_marker("browser"):
        yield
        return
    marker = request.node.get_closest_marker("today")
    day = date.fromisoformat(marker.args[0]) if marker else test_today()
    with time_machine.travel(datetime.combine(day, time(10, 0), tzinfo=BERLIN), tick=True):
        yield


@pytest.fixture(scope="session")
def _migrate_from_template() -> Iterator[None]:
    """The test database's migration copies a kept template where it can (tests/dbtemplate.py)."""
    from django.core.management.commands import migrate

    with pytest.MonkeyPatch.context() as patch:
        handle = dbtemplate.migrate_from_template(migrate.Command.handle)
        patch.setattr(migrate.Command, "handle", handle)
        yield


@pytest.fixture(scope="session")
def django_db_setup(_migrate_from_template: None, django_db_setup: None) -> None:
    """pytest-django's test databases, set up while the template patch is in place (the
    patch is requested first, so it is active before pytest-django's fixture runs)."""


@pytest.fixture
def tenant(db: None) -> Mandant:
    return factories.mandant("Landkreis Prüfstadt")


@pytest.fixture
def other_tenant(db: None) -> Mandant:
    return factories.mandant("Landkreis Anderswo")


@pytest.fixture
def caseworker(tenant: Mandant) -> User:
    return factories.user(tenant, role="sachbearbeitung")


# E-Akte basics (tests/records and the Posteingang's steps): a Leistungsakten plan unit,
# a team and its caseworker.
@pytest.fixture
def plan(tenant: Mandant) -> Aktenplaneinheit:
    return record_factories.leistungsplan(tenant)


@pytest.fixture
def team(tenant: Mandant) -> Organisationseinheit:
    return factories.unit(tenant, "Leistungsteam 1")


@pytest.fixture
def other_team(tenant: Mandant) -> Organisationseinheit:
    return factories.unit(tenant, "Leistungsteam 2")


@pytest.fixture
def team_caseworker(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(tenant, role="sachbearbeitung", unit_=team)


@pytest.fixture
def admin_user(tenant: Mandant) -> User:
    return factories.user(tenant, role="mandant_admin")


@pytest.fixture
def dpo(tenant: Mandant) -> User:
    return factories.user(tenant, role="datenschutz")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def query_count(client: Client, url: str) -> int:
    """How many queries a GET of ``url`` costs (it must answer 200)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def start_request(user: User, tenant: Mandant) -> HttpRequest:
    """A request as the start page's task providers see it (user, Mandant, access), built
    without queries afterwards, so that a test can count a provider's own."""
    request = RequestFactory().get("/")
    request.user = user
    request.tenant = tenant  # type: ignore[attr-defined]
    request.access = Access.for_user(user.pk, tenant.pk)  # type: ignore[attr-defined]
    return request


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    return signed_in(admin_user)
