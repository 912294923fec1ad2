from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from koffer.audit import services as audit
from koffer.audit.models import AuditEvent, AuditHead
from koffer.audit.verification import verify_tenant
from koffer.tenancy.models import Mandant
from tests.factories.audit import tenant_param, unguarded


def _events(tenant: Mandant, n: int) -> None:
    for i in range(n):
        audit.record(
            actor=None,
            tenant_id=tenant.pk,
            action="test.write",
            obj=("probe", i),
            changes={"i": i, "ä": "ü"},
        )


def test_events_form_a_chain(tenant: Mandant) -> None:
    _events(tenant, 5)
    events = list(AuditEvent.objects.filter(tenant_id=tenant.pk).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    for prev, cur in itertools.pairwise(events):
        assert cur.prev_hash == prev.hash
    assert verify_tenant(tenant.pk).ok


def test_chains_are_per_tenant(tenant: Mandant, other_tenant: Mandant) -> None:
    _events(tenant, 3)
    _events(other_tenant, 2)
    first = AuditEvent.objects.filter(tenant_id=other_tenant.pk).order_by("seq").first()
    assert first is not None and first.seq == 1


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event"],
)
def test_database_refuses_update_and_delete(tenant: Mandant, statement: str, settings) -> None:  # type: ignore[no-untyped-def]
    if statement.startswith("TRUNCATE") and connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    settings.KOFFER_AUDIT_MAINTENANCE = (
        False  # the test settings allow flushing; normal work does not
    )
    _events(tenant, 1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # on Citus the shards' triggers run in the workers' sessions: the switch must
            # reach them too (a SET LOCAL is passed on only when asked to)
            cursor.execute("SET LOCAL citus.propagate_set_commands = 'local'")
            cursor.execute("SET LOCAL koffer.audit_maintenance = 'off'")
        cursor.execute(statement)
    assert AuditEvent.objects.filter(tenant_id=tenant.pk).exclude(action="x").exists()


def test_plain_sqlite_client_cannot_delete(tenant: Mandant) -> None:
    """A client without koffer's function (sqlite3 on the command line) is refused too."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    import sqlite3

    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_event_no_delete'")
        trigger_sql = cursor.fetchone()[0]
    raw = sqlite3.connect(":memory:")
    raw.execute("CREATE TABLE audit_event (id INTEGER)")
    raw.execute("INSERT INTO audit_event VALUES (1)")
    raw.execute(trigger_sql)
    with pytest.raises(sqlite3.OperationalError, match="koffer_audit_maintenance"):
        raw.execute("DELETE FROM audit_event")


def _bypass_trigger_and_edit(seq: int, tenant: Mandant) -> None:
    """What an attacker with raw database access could do: drop the guard, edit a row."""
    with unguarded() as cursor:
        cursor.execute(
            "UPDATE audit_event SET reason = 'manipuliert' WHERE seq = %s AND tenant_id = %s",
            [seq, tenant_param(tenant.pk)],
        )


def test_audit_verify_names_first_broken_sequence_number(tenant: Mandant) -> None:
    _events(tenant, 10)
    call_command("audit_verify", tenant=tenant.pk)
    target = AuditEvent.objects.filter(tenant_id=tenant.pk).order_by("seq")[5].seq
    _bypass_trigger_and_edit(target, tenant)
    with pytest.raises(CommandError, match=f"Folgenummer {target}"):
        call_command("audit_verify", tenant=tenant.pk)


def test_diff_keeps_only_changed_fields() -> None:
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {
        "b": {"old": 2, "new": 3},
        "c": {"old": None, "new": 4},
    }


def test_a_batch_writes_one_statement_an_event_and_the_chain_verifies(
    tenant: Mandant, django_assert_max_num_queries: Any
) -> None:
    _events(tenant, 2)
    before = AuditHead.objects.get(tenant_id=tenant.pk).seq
    # 10 events: 10 INSERTs, the head read once, counted and advanced once.
    with transaction.atomic(), django_assert_max_num_queries(13), audit.batched(tenant.pk):
        _events(tenant, 10)
    assert AuditHead.objects.get(tenant_id=tenant.pk).seq == before + 10
    _events(tenant, 1)  # goes on from the head the batch advanced
    seqs = list(
        AuditEvent.objects.filter(tenant_id=tenant.pk).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, before + 12))
    assert verify_tenant(tenant.pk).ok


def test_a_savepoint_rolled_back_in_a_batch_takes_its_events_and_the_head_along(
    tenant: Mandant,
) -> None:
    before = AuditEvent.objects.filter(tenant_id=tenant.pk).count()
    with transaction.atomic(), audit.batched(tenant.pk):
        _events(tenant, 2)
        with pytest.raises(ValueError), audit.savepoint():
            _events(tenant, 3)
            raise ValueError("this letter cannot be made")
        _events(tenant, 2)
    events = list(AuditEvent.objects.filter(tenant_id=tenant.pk).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, before + 5))
    assert AuditHead.objects.get(tenant_id=tenant.pk).seq == before + 4
    assert verify_tenant(tenant.pk).ok


def test_events_lost_to_another_rollback_fail_the_batch_instead_of_leaving_a_gap(
    tenant: Mandant,
) -> None:
    before = AuditEvent.objects.filter(tenant_id=tenant.pk).count()
    with pytest.raises(RuntimeError, match="gap"), transaction.atomic(), audit.batched(tenant.pk):
        _events(tenant, 1)
        with pytest.raises(ValueError), transaction.atomic():  # not audit.savepoint()
            _events(tenant, 1)
            raise ValueError
        _events(tenant, 1)
    assert AuditEvent.objects.filter(tenant_id=tenant.pk).count() == before
    _events(tenant, 1)
    assert verify_tenant(tenant.pk).ok


def test_a_bundle_inserts_its_events_in_one_statement_in_the_order_recorded(
    tenant: Mandant, django_assert_num_queries: Any
) -> None:
    _events(tenant, 2)
    before = AuditHead.objects.get(tenant_id=tenant.pk).seq
    # 25 events: the head read once, one INSERT (then counted and advanced once).
    with (
        transaction.atomic(),
        audit.batched(tenant.pk),
        django_assert_num_queries(2),
        audit.gebuendelt(tenant.pk),
    ):
        _events(tenant, 25)
    events = list(AuditEvent.objects.filter(tenant_id=tenant.pk, seq__gt=before).order_by("seq"))
    assert [e.object_id for e in events] == [str(i) for i in range(25)]
    assert [e.seq for e in events] == list(range(before + 1, before + 26))
    assert AuditHead.objects.get(tenant_id=tenant.pk).seq == before + 25
    assert verify_tenant(tenant.pk).ok


def test_a_bundle_flushes_before_an_event_in_a_savepoint_which_rolls_back_alone(
    tenant: Mandant,
) -> None:
    before = AuditEvent.objects.filter(tenant_id=tenant.pk).count()
    with transaction.atomic(), audit.batched(tenant.pk), audit.gebuendelt(tenant.pk):
        _events(tenant, 2)
        with pytest.raises(ValueError), audit.savepoint():
            _events(tenant, 3)  # inserted at once, after the two bundled ones
            raise ValueError("this letter cannot be made")
        _events(tenant, 2)
    assert AuditEvent.objects.filter(tenant_id=tenant.pk).count() == before + 4
    assert verify_tenant(tenant.pk).ok


def test_a_bundle_left_by_an_error_fails_the_batch_instead_of_leaving_a_gap(
    tenant: Mandant,
) -> None:
    before = AuditEvent.objects.filter(tenant_id=tenant.pk).count()
    with pytest.raises(RuntimeError, match="gap"), transaction.atomic(), audit.batched(tenant.pk):
        _events(tenant, 1)
        with pytest.raises(ValueError), audit.gebuendelt(tenant.pk):
            _events(tenant, 2)
            raise ValueError
        _events(tenant, 1)
    assert AuditEvent.objects.filter(tenant_id=tenant.pk).count() == before
    _events(tenant, 1)
    assert verify_tenant(tenant.pk).ok


def test_a_bundle_needs_a_batch_of_its_mandant(tenant: Mandant, other_tenant: Mandant) -> None:
    with (
        pytest.raises(RuntimeError),
        transaction.atomic(),
        audit.batched(other_tenant.pk),
        audit.gebuendelt(tenant.pk),
    ):
        pass
