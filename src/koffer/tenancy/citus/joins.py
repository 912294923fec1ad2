"""Joins that stay inside one Mandant's shards on Citus.

Django joins two tables by the foreign key's column alone (``b.id = a.b_id``). On Citus a
join of two distributed tables must also match the distribution column, or it needs a
repartition (refused by default) and is never routed to one shard. With ``install()``
every ORM join between two distributed tables carries ``AND b.tenant_id = a.tenant_id``
as well, through the hook Django offers for extra join conditions
(``ForeignObject.get_extra_restriction``, also used by generic relations). Keys across
Mandanten (``CROSS_TENANT_FOREIGN_KEYS``) keep their plain join.

Installed by the Citus backend only; SQLite and plain PostgreSQL join as before.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.models.fields.related import ForeignObject
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND, WhereNode

from koffer.tenancy.citus import CROSS_TENANT_FOREIGN_KEYS, DISTRIBUTION_COLUMN

_original: Any = ForeignObject.get_extra_restriction


@cache
def tenant_field(model: Any) -> Any:
    for field in model._meta.concrete_fields:
        if field.column == DISTRIBUTION_COLUMN:
            return field
    return None


@cache
def _pair(field: Any) -> tuple[Any, Any] | None:
    """The tenant fields of both ends of ``field`` when the join must match them."""
    if not field.concrete or getattr(field, "many_to_many", False):
        return None
    if (field.model._meta.db_table, field.column) in CROSS_TENANT_FOREIGN_KEYS:
        return None
    own, other = tenant_field(field.model), tenant_field(field.related_model)
    if own is None or other is None or field.column == DISTRIBUTION_COLUMN:
        return None
    return own, other


def get_extra_restriction(self: Any, alias: str | None, related_alias: str | None) -> Any:
    extra = _original(self, alias, related_alias)
    pair = _pair(self) if alias and related_alias else None
    if pair is None:
        return extra
    own, other = pair
    same_tenant: Any = Exact(other.get_col(alias), own.get_col(related_alias))
    return WhereNode([extra, same_tenant] if extra else [same_tenant], connector=AND)


def install() -> None:
    ForeignObject.get_extra_restriction = get_extra_restriction  # type: ignore[method-assign]
