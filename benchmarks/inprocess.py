"""Helpers of the benchmarks that measure pages in-process with Django's test client.

Shared here, not imported from one benchmark into another (see ``served``)."""

from __future__ import annotations

from django.db import connection
from django.test import Client


def queries(client: Client, url: str) -> int:
    """How many SQL statements one GET of ``url`` runs. Counted with a wrapper: Django
    empties its query log when a request starts."""
    executed: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    return len(executed)
