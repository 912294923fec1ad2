"""Tests of koffer on a real Citus cluster (`make test-distributed`, scripts/citus.py).

Tests that need the cluster take the fixture ``citus``: elsewhere (SQLite, plain
PostgreSQL) they are skipped; the table classification runs everywhere."""

from __future__ import annotations

import pytest
from django.db import connection

from koffer.tenancy.citus.schema import citus_installed


@pytest.fixture
def citus(db: None) -> None:
    if connection.vendor != "postgresql" or not citus_installed(connection):
        pytest.skip("braucht Citus (make test-distributed)")


@pytest.fixture
def citus_transactional(transactional_db: None) -> None:
    if connection.vendor != "postgresql" or not citus_installed(connection):
        pytest.skip("braucht Citus (make test-distributed)")
