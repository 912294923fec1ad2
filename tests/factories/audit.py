"""Raw access to the audit chain past its guard, as an attacker with database access could:
the tests that show the chain's verification finds every such edit use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from koffer.tenancy.citus.schema import citus_installed


@contextmanager
def unguarded() -> Iterator[Any]:
    """A cursor with ``audit_event``'s append-only trigger switched off. Use it inside the
    test's transaction: a dropped (SQLite) or disabled trigger comes back with the rollback
    at the latest. On Citus the trigger sits on every shard, and Citus passes a trigger
    change on to them only with ``citus.enable_unsafe_triggers`` (for this transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_update")
            yield cursor
            return
        if citus_installed(connection):
            cursor.execute("SET LOCAL citus.enable_unsafe_triggers TO on")
        cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update")
        yield cursor
        cursor.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update")


def tenant_param(tenant_id: Any) -> Any:
    """A Mandant's id as a raw statement's parameter (SQLite keeps UUIDs as hex text)."""
    return tenant_id.hex if connection.vendor == "sqlite" else tenant_id
