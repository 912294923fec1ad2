from __future__ import annotations

import pytest

from koffer.tenancy.models import Mandant, Organisationseinheit
from koffer.tenancy.scoping import UnscopedQuery
from tests import factories


def test_unscoped_query_fails_loudly(tenant: Mandant) -> None:
    with pytest.raises(UnscopedQuery):
        list(Organisationseinheit.objects.all())
    with pytest.raises(UnscopedQuery):
        Organisationseinheit.objects.filter(name="x").count()


def test_scoped_queries_see_only_their_tenant(tenant: Mandant, other_tenant: Mandant) -> None:
    factories.unit(tenant, "Jugendamt")
    factories.unit(other_tenant, "Jugendamt")
    names = list(Organisationseinheit.objects.for_tenant(tenant).values_list("name", flat=True))
    assert "Jugendamt" in names
    assert Organisationseinheit.objects.for_tenant(tenant).filter(name="Jugendamt").count() == 1


def test_unit_tree_paths(tenant: Mandant) -> None:
    amt = factories.unit(tenant, "Jugendamt")
    team = factories.unit(tenant, "ASD Nord", parent=amt)
    assert team.path.startswith(amt.path)
    assert team.depth == amt.depth + 1
    assert list(amt.children.all()) == [team]


def test_unit_ids_are_uuid7(tenant: Mandant) -> None:
    unit = factories.unit(tenant)
    assert unit.pk.version == 7
