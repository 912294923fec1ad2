"""koffer on Citus: PostgreSQL distributed by ``tenant_id`` (database ENGINE ``koffer.tenancy.citus``).

``KOFFER_DATABASE_URL=citus://user@host:port/db`` selects it. It is Django's PostgreSQL
backend with a schema editor that shapes every table for Citus while the migrations run,
so the same migrations serve SQLite, plain PostgreSQL and Citus (see ``schema``). On a
database without the ``citus`` extension it is plain PostgreSQL.
"""

from __future__ import annotations

from typing import Any

# Tables kept on the coordinator alone: never distributed nor replicated. Django's own, and
# the Platzbörse's live feed of availability changes (no personal data, no tenant_id, read
# only by the search page's live updates, written by every reservation): as a reference
# table each write went to every node, a two-phase commit over all of them in every
# reservation's transaction; on the coordinator it is one local write.
LOCAL_TABLES = frozenset({"django_migrations", "placements_verfuegbarkeit"})
# The distribution column of every tenant-owned table.
DISTRIBUTION_COLUMN = "tenant_id"
# Foreign keys between distributed tables whose two rows belong to different Mandanten (the
# Platzbörse: a provider's hold or placement names the youth office's Gesuch). Citus can
# only enforce a key between distributed tables within one Mandant's shard, so on Citus
# these keys are left out and the services keep them (table, column). Each names the column
# of the same row that holds the Mandant the key points into: reads load the other row by
# both (koffer.tenancy.across), never by a join.
CROSS_TENANT_KEY_MANDANT = {
    ("placements_reservierung", "gesuch_id"): "jugendamt_id",
    ("placements_belegung", "gesuch_id"): "jugendamt_id",
}
CROSS_TENANT_FOREIGN_KEYS = frozenset(CROSS_TENANT_KEY_MANDANT)


def on_citus(connection: Any) -> bool:
    """Whether ``connection`` talks to a Citus cluster: the Citus backend on a database with
    the extension (asked once per connection object); False for SQLite and plain PostgreSQL."""
    return bool(getattr(connection, "on_citus", False))
