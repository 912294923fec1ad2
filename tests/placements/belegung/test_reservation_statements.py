"""What a reservation and its withdrawal send to the database (issue 20: on Citus each
statement is a round trip to a worker, 0.41 ms against 0.15 ms). Each row is read once:
the Gesuch by its lock, the Angebot's open holds once for expiry and the "already
requested" check, the hold to withdraw once with its place and Angebot; no savepoint
around the hold's INSERT; the decision is one conditional UPDATE."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from koffer.placements.belegung import services as belegung_services
from koffer.placements.errors import Conflict, NotFound
from koffer.placements.models import Reservierung
from tests.placements.belegung.test_reservation_properties import World

pytestmark = pytest.mark.django_db

TABLE = re.compile(r'^\s*(?:SELECT .*? FROM|INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.S)
# Statements of one reserve and one withdraw inside the test's transaction (so the
# section's transaction is a SAVEPOINT and its RELEASE), per engine. SQLite: no row locks
# and no lock_timeout, but an audit event is three statements there instead of two.
RESERVE = {"postgresql": 14, "sqlite": 14}
WITHDRAW = {"postgresql": 11, "sqlite": 11}


def _tables(captured: CaptureQueriesContext) -> Counter[str]:
    found = (TABLE.match(q["sql"]) for q in captured.captured_queries)
    return Counter(m.group(1) for m in found if m)


def test_reserve_reads_each_row_once() -> None:
    world = World()
    with CaptureQueriesContext(connection) as captured:
        hold = belegung_services.reserve(
            actor=world.caseworker, gesuch=world.gesuche[0], angebot=world.angebote[0]
        )
    tables = _tables(captured)
    sql = [q["sql"] for q in captured.captured_queries]
    assert tables["placements_platzgesuch"] == 1, sql  # its lock reads it
    assert tables["placements_reservierung"] == 2, sql  # the open holds, the INSERT
    assert sum(s.startswith("SAVEPOINT") for s in sql) == 1, sql  # the section's own
    assert len(sql) == RESERVE[connection.vendor], "\n".join(sql)
    assert hold.status == Reservierung.Status.OFFEN


def test_withdraw_reads_the_hold_once_and_decides_in_one_update() -> None:
    world = World()
    hold = belegung_services.reserve(
        actor=world.caseworker, gesuch=world.gesuche[0], angebot=world.angebote[0]
    )
    with CaptureQueriesContext(connection) as captured:
        done = belegung_services.withdraw(
            actor=world.caseworker, tenant=world.amt, reservierung_id=hold.pk, reason="Test"
        )
    tables = _tables(captured)
    sql = [q["sql"] for q in captured.captured_queries]
    assert tables["placements_reservierung"] == 2, sql  # read with its place, the UPDATE
    assert tables["placements_platzgesuch"] == 0, sql
    assert len(sql) == WITHDRAW[connection.vendor], "\n".join(sql)
    assert done.status == Reservierung.Status.ZURUECKGEZOGEN
    hold.refresh_from_db()
    assert (hold.status, hold.reason, hold.decided_by) == (
        Reservierung.Status.ZURUECKGEZOGEN,
        "Test",
        world.caseworker,
    )


def test_a_decided_or_run_out_hold_is_not_decided_again() -> None:
    """The one conditional UPDATE changes nothing then, and the reason is told."""
    world = World()
    first = belegung_services.reserve(
        actor=world.caseworker, gesuch=world.gesuche[0], angebot=world.angebote[0]
    )
    belegung_services.withdraw(
        actor=world.caseworker, tenant=world.amt, reservierung_id=first.pk, reason="Test"
    )
    with pytest.raises(Conflict) as again:
        belegung_services.decline(
            actor=world.provider, tenant=world.traeger, reservierung_id=first.pk, reason="Nein"
        )
    assert again.value.code == "already_decided"
    second = belegung_services.reserve(
        actor=world.caseworker, gesuch=world.gesuche[1], angebot=world.angebote[0]
    )
    later = second.expires_at + timedelta(minutes=1)
    with pytest.raises(Conflict) as late:
        belegung_services.withdraw(
            actor=world.caseworker,
            tenant=world.amt,
            reservierung_id=second.pk,
            reason="Test",
            now=later,
        )
    assert late.value.code == "expired"
    second.refresh_from_db()
    assert second.status == Reservierung.Status.OFFEN and second.reason == ""


def test_a_youth_office_withdraws_only_its_own_request() -> None:
    world = World()
    hold = belegung_services.reserve(
        actor=world.caseworker, gesuch=world.gesuche[0], angebot=world.angebote[0]
    )
    with pytest.raises(NotFound):  # the provider is not the requester
        belegung_services.withdraw(
            actor=world.provider, tenant=world.traeger, reservierung_id=hold.pk, reason="Test"
        )
    with pytest.raises(NotFound):  # the youth office does not decide for the provider
        belegung_services.decline(
            actor=world.caseworker, tenant=world.amt, reservierung_id=hold.pk, reason="Nein"
        )
    hold.refresh_from_db()
    assert hold.status == Reservierung.Status.OFFEN


def test_a_withdrawal_naming_the_provider_reads_its_hold_there() -> None:
    """Naming the provider (as the youth office's pages do) finds the hold on its shard;
    another Mandant named finds nothing, and a provider naming another is refused."""
    world = World()
    hold = belegung_services.reserve(
        actor=world.caseworker, gesuch=world.gesuche[0], angebot=world.angebote[0]
    )
    with pytest.raises(NotFound):
        belegung_services.withdraw(
            actor=world.caseworker,
            tenant=world.amt,
            reservierung_id=hold.pk,
            reason="Test",
            anbieter_id=world.amt.pk,
        )
    with pytest.raises(NotFound):
        belegung_services.decline(
            actor=world.provider,
            tenant=world.traeger,
            reservierung_id=hold.pk,
            reason="Nein",
            anbieter_id=world.amt.pk,
        )
    with CaptureQueriesContext(connection) as captured:
        done = belegung_services.withdraw(
            actor=world.caseworker,
            tenant=world.amt,
            reservierung_id=hold.pk,
            reason="Test",
            anbieter_id=world.traeger.pk,
        )
    assert done.status == Reservierung.Status.ZURUECKGEZOGEN
    first = captured.captured_queries[0]["sql"]
    assert world.traeger.pk.hex in first.replace("-", ""), first  # by the provider's Mandant
    assert len(captured.captured_queries) == WITHDRAW[connection.vendor]
