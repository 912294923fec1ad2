"""koffer.tenancy.prepared: within the block a repeated statement is prepared on the
PostgreSQL server (the serial letter's job), outside it the connection binds on the
client as before."""

from __future__ import annotations

import pytest
from django.db import connection

from koffer.tenancy.models import Mandant
from koffer.tenancy.prepared import prepared


def _prepared_on_server() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        row = cursor.fetchone()
    return int(row[0])


def _run_three_times(tenant: Mandant) -> None:
    for _ in range(3):
        assert Mandant.objects.filter(pk=tenant.pk, slug=tenant.slug).count() == 1


@pytest.mark.not_citus(
    "prepared() lässt Citus, wie es ist: dort bindet die Verbindung weiter beim Client"
)
def test_repeated_statements_are_prepared_within_the_block_only(tenant: Mandant) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    before = _prepared_on_server()
    _run_three_times(tenant)
    assert _prepared_on_server() == before  # bound on the client: nothing prepared
    with prepared():
        _run_three_times(tenant)
        within = _prepared_on_server()
    assert within > before
    _run_three_times(tenant)
    Mandant.objects.filter(slug=tenant.slug).exclude(pk=tenant.pk).exists()
    assert _prepared_on_server() == within  # as before the block again


def test_the_block_runs_its_statements_on_any_database(tenant: Mandant) -> None:
    with prepared():
        _run_three_times(tenant)
    _run_three_times(tenant)
