"""Which tests the PostgreSQL run leaves to the SQLite run (tests/conftest.py
engine_independent): only those pytest-django refuses every database connection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from pytest_django import DjangoDbBlocker

from tests.conftest import engine_independent


@pytest.fixture
def unblocked(django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def tenant_name(tenant: object) -> str:
    return str(tenant)


def test_a_test_without_database_fixtures_is_engine_independent(
    request: pytest.FixtureRequest,
) -> None:
    assert engine_independent(request.node)


def test_and_pytest_django_refuses_it_the_database() -> None:
    with pytest.raises(RuntimeError, match="Database access not allowed"):
        connection.ensure_connection()


def test_the_db_fixture_makes_a_test_engine_dependent(
    request: pytest.FixtureRequest, db: None
) -> None:
    assert not engine_independent(request.node)


def test_so_does_a_fixture_that_needs_the_database(
    request: pytest.FixtureRequest, tenant_name: str
) -> None:
    assert not engine_independent(request.node)


@pytest.mark.django_db
def test_so_does_the_django_db_mark(request: pytest.FixtureRequest) -> None:
    assert not engine_independent(request.node)


def test_so_does_a_fixture_of_ours_that_unblocks_the_database(
    request: pytest.FixtureRequest, unblocked: None
) -> None:
    assert not engine_independent(request.node)
