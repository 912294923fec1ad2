"""A model's ``save()`` of an existing row, in the form Citus accepts.

Django saves a row that exists with ``UPDATE … SET`` every column, ``tenant_id`` too,
``WHERE id = …``. Citus refuses to set the distribution column unless the statement is
pinned to one shard by it ("modifying the partition value of rows is not allowed"), and a
filter on ``id`` alone asks every shard. With ``install()`` the save of a model with
``tenant_id`` leaves that column out of the SET and matches it in the WHERE: one shard,
the same row. A row cannot move to another Mandant on Citus anyway (its shard is its
Mandant's).

Installed by the Citus backend only; SQLite and plain PostgreSQL save as before.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from koffer.tenancy.citus import DISTRIBUTION_COLUMN
from koffer.tenancy.citus.joins import tenant_field

_original: Any = Model._do_update


def _do_update(
    self: Model,
    base_qs: Any,
    using: str,
    pk_val: Any,
    values: list[tuple[Any, Any, Any]],
    update_fields: Any,
    forced_update: bool,
) -> bool:
    field = tenant_field(base_qs.model)
    if field is not None:
        values = [value for value in values if value[0].column != DISTRIBUTION_COLUMN]
        base_qs = base_qs.filter(**{field.attname: getattr(self, field.attname)})
    return bool(_original(self, base_qs, using, pk_val, values, update_fields, forced_update))


def install() -> None:
    Model._do_update = _do_update  # type: ignore[method-assign,assignment]
