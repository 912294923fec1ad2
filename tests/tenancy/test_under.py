"""``path__under``: the same rows as ``startswith`` on both databases, and on SQLite without
a LIKE (which SQLite compiles again on every run when its pattern is a parameter)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories

pytestmark = pytest.mark.django_db


def test_under_finds_the_unit_and_everything_below_and_nothing_else(tenant: Mandant) -> None:
    team = factories.unit(tenant, "Team A")
    below = factories.unit(tenant, "Team A1", parent=team)
    deeper = factories.unit(tenant, "Team A1a", parent=below)
    sibling = factories.unit(tenant, "Team B")
    units = Organisationseinheit.objects.for_tenant(tenant)
    for path in (team.path, below.path, factories.root_unit(tenant).path):
        under = set(units.filter(path__under=path))
        assert under == set(units.filter(path__startswith=path)), path
    assert set(units.filter(path__under=team.path)) == {team, below, deeper}
    assert sibling not in set(units.filter(path__under=team.path))
    with CaptureQueriesContext(connection) as captured:
        list(units.filter(path__under=team.path))
    sql = captured.captured_queries[-1]["sql"]
    assert ("LIKE" not in sql) == (connection.vendor == "sqlite"), sql
