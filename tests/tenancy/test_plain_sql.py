"""koffer.tenancy.plain_sql builds instances from plain SQL rows as the ORM would."""

from __future__ import annotations

from django.db import connection

from koffer.tenancy import plain_sql
from koffer.tenancy.models import Mandant, Organisationseinheit
from koffer.tenancy.scoping import db_uuid
from tests import factories


def _select(fields: tuple[str, ...], tenant: Mandant) -> list[Organisationseinheit]:
    table = connection.ops.quote_name(Organisationseinheit._meta.db_table)
    sql = (
        f"SELECT {plain_sql.columns(Organisationseinheit, fields, connection)} FROM {table}"
        " WHERE tenant_id = %s ORDER BY path"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [db_uuid(tenant.pk)])
        return plain_sql.instances(Organisationseinheit, fields, cursor.fetchall(), connection)


def test_all_fields_equal_the_orm(tenant: Mandant) -> None:
    factories.unit(tenant, "Jugendamt")
    fields = tuple(f.attname for f in Organisationseinheit._meta.concrete_fields)
    found = _select(fields, tenant)
    expected = list(Organisationseinheit.objects.for_tenant(tenant).order_by("path"))
    assert len(found) == len(expected) == 2
    for got, wanted in zip(found, expected, strict=True):
        for name in fields:
            value, want = getattr(got, name), getattr(wanted, name)
            assert value == want and type(value) is type(want), name


def test_fields_in_any_order_and_the_rest_deferred(tenant: Mandant) -> None:
    amt = factories.unit(tenant, "Jugendamt")
    found = {u.pk: u for u in _select(("name", "tenant_id", "id"), tenant)}
    unit = found[amt.pk]
    assert unit.name == "Jugendamt" and unit.tenant_id == tenant.pk
    assert "path" in unit.get_deferred_fields()
    assert unit.path == amt.path  # loaded on access, like .only()
