"""Model instances from plain SQL, built as the ORM builds them.

For the few reads that run on every request (the signed-in user, the start page's jobs):
compiling their ORM query cost several times what executing it did (make bench
ONLY=core_start_page). The caller writes the statement with :func:`columns` and turns
the rows into instances with :func:`instances`, which applies the same converters the
ORM's compiler would (the backend's, then the field's) and calls ``Model.from_db``; fields
left out are deferred, as with ``.only()``.

Plain SQL names no tenant by itself: a query on a tenant-owned table must have the
tenant condition in its WHERE clause.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]


def columns(model: type[models.Model], field_names: Sequence[str], connection: Any) -> str:
    """The quoted column list for ``field_names`` (attribute or field names)."""
    qn = connection.ops.quote_name
    meta = model._meta
    return ", ".join(qn(meta.get_field(name).column) for name in field_names)  # type: ignore[union-attr]


def instances(
    model: type[M],
    field_names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    connection: BaseDatabaseWrapper,
) -> list[M]:
    """One instance per row whose columns are ``field_names``, in that order."""
    attnames, order, steps = _plan(model, tuple(field_names), connection.alias, connection.vendor)
    found = []
    for row in rows:
        values = list(row)
        for index, converters, expression in steps:
            value = values[index]
            for convert in converters:
                value = convert(value, expression, connection)
            values[index] = value
        if order is not None:
            values = [values[i] for i in order]
        found.append(model.from_db(connection.alias, attnames, values))
    return found


@functools.lru_cache(maxsize=64)
def _plan(
    model: type[models.Model], field_names: tuple[str, ...], alias: str, vendor: str
) -> tuple[list[str], list[int] | None, list[tuple[int, list[Converter], Any]]]:
    """Attribute names in model order, the row positions in that order (None: as they
    come) and the converters per row position."""
    from django.db import connections

    connection = connections[alias]
    meta = model._meta
    attnames: list[str] = []
    steps: list[tuple[int, list[Converter], Any]] = []
    for index, name in enumerate(field_names):
        field = meta.get_field(name)
        attnames.append(field.attname)  # type: ignore[union-attr]
        column = field.get_col(meta.db_table)  # type: ignore[union-attr]
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if converters:
            steps.append((index, converters, column))
    # from_db takes the values in the order of the model's concrete fields.
    rank = {f.attname: i for i, f in enumerate(meta.concrete_fields)}
    order = sorted(range(len(attnames)), key=lambda i: rank[attnames[i]])
    if order == list(range(len(attnames))):
        return attnames, None, steps
    return [attnames[i] for i in order], order, steps
