"""Emptying the database (``manage.py flush``, a transactional test's teardown) on Citus.

Django empties every table with one ``TRUNCATE``. On Citus that truncates every shard of
every distributed table (and every node's copy of every reference table), one after the
other because distributed tables point to reference tables: about a minute for koffer's
~130 tables on two busy cores, also when nearly all of them are empty.

Here the nodes are asked first which tables hold rows (one query: each node looks into its
own shards that have pages at all), and only those are emptied with ``DELETE`` in one
transaction. ``DELETE``, not ``TRUNCATE``: a ``TRUNCATE`` of a table others point to must
take them along (``CASCADE``), and every distributed table points to the Mandanten; the
foreign keys are checked at commit (Django makes them deferrable), when all of those rows
are gone. Sequential mode, because reference tables are changed in the same transaction
as distributed tables that point to them.

A flush that resets sequences, or a node that does not answer, falls back to Django's
``TRUNCATE`` of everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Run on every node: the tables (shards, reference copies, local tables) of this database's
# schema that hold at least one row. A table without pages cannot hold one; only the others
# are looked into (query_to_xml runs the dynamic SELECT inside this one statement; it
# counts to 0 or 1, so there is always a row to read).
_FILLED = """
SELECT coalesce(string_agg(c.relname, ','), '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r' AND n.nspname = current_schema()
   AND CASE WHEN pg_relation_size(c.oid) > 0
            THEN (xpath('/row/x/text()', query_to_xml(format(
                      'SELECT count(*) AS x FROM (SELECT FROM %I.%I LIMIT 1) AS one',
                      n.nspname, c.relname), false, true, '')))[1]::text = '1'
            ELSE false END
"""
_SHARD_SUFFIX = re.compile(r"_\d+$")


def filled_tables(connection: Any, tables: Iterable[str]) -> list[str] | None:
    """Those of ``tables`` that hold rows on any node, or None when a node did not answer."""
    wanted = set(tables)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT success, result FROM run_command_on_all_nodes(%s)", [_FILLED.strip()]
        )
        answers = cursor.fetchall()
    if not answers or not all(success for success, _ in answers):
        return None
    found: set[str] = set()
    for _, result in answers:
        for name in filter(None, str(result).split(",")):
            # A shard is its table's name with "_<shard id>" appended.
            table = name if name in wanted else _SHARD_SUFFIX.sub("", name)
            if table in wanted:
                found.add(table)
    return sorted(found)


def delete_sql(connection: Any, tables: list[str]) -> list[str]:
    """The statements that empty ``tables`` in one transaction (see the module's text)."""
    if not tables:
        return []
    quote = connection.ops.quote_name
    return [
        "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'",
        *(f"DELETE FROM {quote(table)}" for table in tables),  # noqa: S608 - quoted table names
    ]
