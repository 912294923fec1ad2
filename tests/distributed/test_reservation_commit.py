"""A reservation and its withdrawal on Citus: which nodes each transaction writes, seen in
the commands the coordinator issues (``citus.log_remote_commands``).

The live feed of availability changes is a table of the coordinator (LOCAL_TABLES): no
write of it reaches a worker, so a reservation's transaction needs no two-phase commit for
it (as a reference table it was written on every node, 2PC every time). What is left:
the provider's hold and audit event and the youth office's audit event (and its Gesuch's
lock) — one worker's work when the two Mandanten's shards lie on one worker, 2PC only
when they lie on two."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.db import connection

from koffer.placements.belegung import services as belegung_services
from koffer.placements.models import Reservierung

pytestmark = pytest.mark.usefixtures("citus_transactional")

T = TypeVar("T")


def _remote(run: Callable[[], T]) -> tuple[T, list[str]]:
    """``run``'s result and the commands the coordinator sent to the workers meanwhile."""
    notes: list[str] = []

    def heard(diagnostic: Any) -> None:
        notes.append(str(diagnostic.message_primary))

    raw = connection.connection
    raw.add_notice_handler(heard)
    with connection.cursor() as cursor:
        cursor.execute("SET citus.log_remote_commands = on")
    try:
        return run(), notes
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET citus.log_remote_commands = off")
        raw.remove_notice_handler(heard)


def _worker_of(tenant_id: Any) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
                WHERE p.shardid = get_shard_id_for_distribution_column('audit_head', %s)""",
            [tenant_id],
        )
        return int(cursor.fetchone()[0])


def _writes_to_workers(notes: list[str], table: str) -> list[str]:
    return [n for n in notes if n.startswith("issuing") and f"{table}_" in n]


@pytest.fixture
def world() -> Iterator[Any]:
    from tests.placements.belegung.test_reservation_properties import World

    yield World()


def test_reserve_and_withdraw_write_no_node_but_the_mandanten_workers(world: Any) -> None:
    hold, reserved = _remote(
        lambda: belegung_services.reserve(
            actor=world.caseworker, gesuch=world.gesuche[0], angebot=world.angebote[0]
        )
    )
    done, withdrawn = _remote(
        lambda: belegung_services.withdraw(
            actor=world.caseworker, tenant=world.amt, reservierung_id=hold.pk, reason="Test"
        )
    )
    assert done.status == Reservierung.Status.ZURUECKGEZOGEN
    one_worker = _worker_of(world.traeger.pk) == _worker_of(world.amt.pk)
    for notes in (reserved, withdrawn):
        assert _writes_to_workers(notes, "placements_verfuegbarkeit") == [], notes
        prepared = [n for n in notes if "PREPARE TRANSACTION" in n]
        # Two-phase commit only when the two Mandanten's shards lie on two workers.
        assert bool(prepared) == (not one_worker), notes
    # The feed got both changes, on the coordinator.
    from koffer.placements.models import Verfuegbarkeit

    assert Verfuegbarkeit.objects.filter(angebot_id=world.angebote[0].pk).count() >= 2
