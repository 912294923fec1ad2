"""Every query of a hot request goes to one Mandant's shards: Citus' EXPLAIN of each
statement shows a single task (a router plan) or a reference table only.

The hot paths of the E-Akte and Platzbörse benchmarks: "meine Akten", the Akte page, the
search and a reservation. Statements that ask across Mandanten by design are named in
ACROSS_MANDANTEN with the reason; the paths that still fan out are xfail (strict, so a fix
shows)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from koffer.accounts.models import User
from koffer.placements.belegung import services as belegung_services
from koffer.records.models import Akte
from tests import factories
from tests.conftest import signed_in

pytestmark = pytest.mark.usefixtures("citus")

TASKS = re.compile(r"Task Count: (\d+)")
# Statements that ask across Mandanten by design, with why (matched by a piece of SQL).
ACROSS_MANDANTEN = {
    "FROM accounts_membership m": "the Mandanten a user may enter: a user belongs to no one Mandant",
}
STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (COSTS OFF) {sql}")
        return "\n".join(str(row[0]) for row in cursor.fetchall())


def _fanning_out(run: Callable[[], Any]) -> list[tuple[str, str]]:
    """The statements ``run`` sends that Citus spreads over more than one shard."""
    with CaptureQueriesContext(connection) as captured:
        run()
    spread = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not STATEMENT.match(sql) or any(piece in sql for piece in ACROSS_MANDANTEN):
            continue
        plan = _plan(sql)
        if any(int(n) > 1 for n in TASKS.findall(plan)):
            spread.append((sql, plan))
    return spread


def _report(spread: list[tuple[str, str]]) -> str:
    return "\n\n".join(f"{sql}\n--\n{plan}" for sql, plan in spread)


@pytest.fixture
def akte_world(tenant: Any, plan: Any, team: Any, team_caseworker: User) -> tuple[User, Akte]:
    from tests.factories import records as record_factories

    # Another Mandant with data, so a statement without tenant_id has shards to visit.
    other = factories.mandant()
    factories.user(other)
    akte = record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team, title="Meier")
    return team_caseworker, akte


def test_my_akten_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    user, _ = akte_world
    client = signed_in(user)
    client.get(reverse("records:akten"))  # the session's first request
    spread = _fanning_out(lambda: client.get(reverse("records:akten")))
    assert not spread, _report(spread)


def test_akte_page_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    user, akte = akte_world
    client = signed_in(user)
    url = reverse("records:akte_detail", args=[akte.pk])
    client.get(url)
    spread = _fanning_out(lambda: client.get(url))
    assert not spread, _report(spread)


def test_saving_an_existing_row_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    """A model's save() sets every column: on Citus not tenant_id (refused there), and the
    row is found by it on its one shard (koffer.tenancy.citus.updates)."""
    _, akte = akte_world
    person = akte.subjekte.get().person

    def save() -> None:
        person.street, person.city = "Weg 1", "Musterstadt"
        person.save()

    spread = _fanning_out(save)
    assert not spread, _report(spread)
    person.refresh_from_db()
    assert (person.street, person.city, person.tenant_id) == (
        "Weg 1",
        "Musterstadt",
        akte.tenant_id,
    )


@pytest.mark.xfail(
    strict=True,
    reason="Citus refuses the search's statement after the request's reference-table reads "
    "in one transaction (local execution on the coordinator: 'cannot switch local execution "
    "status'); next: citus.enable_local_execution off or no reference replica on the coordinator",
)
def test_search_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    user, _ = akte_world
    client = signed_in(user)
    url = reverse("records:suche") + "?q=Meier"
    client.get(url)
    spread = _fanning_out(lambda: client.get(url))
    assert not spread, _report(spread)


@pytest.mark.xfail(
    strict=True,
    reason="placements.locking.critical locks Angebote and Gesuche FOR UPDATE by id alone: "
    "Citus runs FOR UPDATE only with tenant_id in the filter",
)
def test_reservation_is_single_shard() -> None:
    from tests.placements.belegung.test_reservation_properties import World

    world = World()
    gesuch = world.gesuche[0]
    spread = _fanning_out(
        lambda: belegung_services.reserve(
            actor=world.caseworker, gesuch=gesuch, angebot=world.angebote[0]
        )
    )
    assert not spread, _report(spread)
