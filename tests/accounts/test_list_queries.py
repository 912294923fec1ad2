"""The administration's lists (users, organisation, units in the API, jobs, the audit log)
cost the same number of queries for few rows as for many: an N+1 fails here. The ceilings
pin the counts measured on SQLite when this was written; raise one only with a reason in
the commit message."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.test import Client, override_settings

from koffer.jobs import registry
from koffer.jobs import services as jobs
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import query_count, signed_in

pytestmark = pytest.mark.django_db


def _users(tenant: Mandant, n: int) -> None:
    team = factories.unit(tenant)
    for _ in range(n):
        factories.add_role(factories.user(tenant, unit_=team), tenant, "teamleitung", team)


def _units(tenant: Mandant, n: int) -> None:
    parent = factories.unit(tenant)
    for _ in range(n):
        factories.unit(tenant, parent=parent)


def _jobs(tenant: Mandant, n: int) -> None:
    kind = registry.offered()[0].code
    for i in range(n):
        jobs.start_job(actor=None, tenant=tenant, kind=kind, title=f"Auftrag {i}")


# url -> (what adds rows, pinned ceiling)
LISTS: dict[str, tuple[Callable[[Mandant, int], None], int]] = {
    "/verwaltung/benutzer/": (_users, 8),
    "/verwaltung/organisation/": (_units, 8),
    "/api/v1/units": (_units, 6),
    "/auftraege/": (_jobs, 6),
    "/api/v1/jobs": (_jobs, 6),
    # Every write above is an audit event, so the users' growth fills the log too. The
    # log names each event's object: one query per kind of object shown, not per row.
    "/datenschutz/protokoll/": (_users, 17),
    "/api/v1/audit/events": (_users, 17),
}


@pytest.fixture
def admin(tenant: Mandant) -> Iterator[Client]:
    """A Mandant admin who is also the data-protection officer (the audit log)."""
    user = factories.user(tenant, role="mandant_admin")
    factories.add_role(user, tenant, "datenschutz")
    with override_settings(KOFFER_REQUIRE_OTP=False):
        yield signed_in(user)


@pytest.mark.parametrize("url", sorted(LISTS))
def test_list_costs_no_query_per_row(url: str, tenant: Mandant, admin: Client) -> None:
    grow, ceiling = LISTS[url]
    grow(tenant, 1)
    admin.get(url)  # warm: session, caches
    few = query_count(admin, url)
    grow(tenant, 5)
    many = query_count(admin, url)
    assert many <= few, f"{url}: {few} queries with few rows, {many} with more"
    assert many <= ceiling, f"{url}: {many} queries, pinned at {ceiling}"
