"""Rows of one Mandant that point at a row of another Mandant, loaded by id.

The Platzbörse's provider rows name the youth office's Gesuch (``CROSS_TENANT_KEY_MANDANT``
in ``koffer.tenancy.citus``). Joining them (``select_related``) or Django's own
``prefetch_related`` works on SQLite and plain PostgreSQL, but on Citus the join is not
co-located (it needs a repartition, refused) and the prefetch (``id IN …`` alone) asks every
shard. ``fetch_across`` loads the other Mandant's rows after the page's rows in one more
query that names their Mandanten too (``tenant_id IN … AND id IN …``), so Citus routes it to
those Mandanten's shards, and puts them into the rows' caches: reading ``row.gesuch`` then
costs nothing. Querysets ask for it with ``TenantQuerySet.fetch_across``; ``split`` sorts a
list of ``select_related`` paths into those that may be joined and those that cross.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import apps

from koffer.tenancy.citus import CROSS_TENANT_KEY_MANDANT


def mandant_of(field: Any) -> str | None:
    """The attribute naming the Mandant that the foreign key ``field`` points into, when
    that is another Mandant than the row's own; None for an ordinary key."""
    return CROSS_TENANT_KEY_MANDANT.get((field.model._meta.db_table, field.column))


def owned(model: Any) -> bool:
    """Whether rows of ``model`` belong to a Mandant (a ``tenant_id`` column: on Citus a
    distributed table, read on one Mandant's shards when the query names it)."""
    return any(field.attname == "tenant_id" for field in model._meta.concrete_fields)


def seen_by_others(model: Any) -> bool:
    """Whether another Mandant may name rows of ``model`` (its audit chain, a read event's
    subject): rows two Mandanten work on (a queryset with ``for_party``: the provider owns
    the Reservierung, Belegung, Rechnung …, the youth office is a party) and the rows a key
    from another Mandant points at (the youth office's Gesuch)."""
    if hasattr(model._default_manager.get_queryset(), "for_party"):
        return True
    return any(
        (other._meta.db_table, field.column) in CROSS_TENANT_KEY_MANDANT
        and field.related_model is model
        for other in apps.get_models()
        for field in other._meta.concrete_fields
    )


def split(model: Any, paths: Iterable[str]) -> tuple[list[str], list[str]]:
    """``select_related`` paths of ``model`` as (joined, across): a path through a key into
    another Mandant is joined up to that key and loaded across from there
    (``"belegung__gesuch"`` → joined ``"belegung"``, across ``"belegung__gesuch"``)."""
    joined: list[str] = []
    across: list[str] = []
    for path in paths:
        current, hops = model, path.split("__")
        for index, hop in enumerate(hops):
            field = current._meta.get_field(hop)
            if mandant_of(field) is not None:
                if index:
                    joined.append("__".join(hops[:index]))
                across.append("__".join(hops[: index + 1]))
                break
            current = field.related_model
        else:
            joined.append(path)
    return joined, across


def _owners(rows: Iterable[Any], hops: Sequence[str]) -> list[Any]:
    """The objects at the end of ``hops`` (already loaded by ``select_related``)."""
    owners = []
    for row in rows:
        obj: Any = row
        for hop in hops:
            obj = getattr(obj, hop)
            if obj is None:
                break
        if obj is not None:
            owners.append(obj)
    return owners


def fetch_across(rows: Iterable[Any], path: str, *, prefetch: Sequence[str] = ()) -> None:
    """Load the row at ``path`` (``"gesuch"``, ``"belegung__gesuch"``: its last hop a key
    into another Mandant, the hops before it selected) of every row in one query, by its id
    and its Mandant. ``prefetch`` goes to that query's ``prefetch_related``
    (``"merkmale"``). Rows whose target is already cached or not found keep Django's own
    loading."""
    *hops, name = path.split("__")
    owners = _owners(rows, hops)
    if not owners:
        return
    field: Any = owners[0]._meta.get_field(name)
    mandant = mandant_of(field)
    if mandant is None:
        raise ValueError(f"{path}: kein Schlüssel in einen anderen Mandanten")
    pending = [
        owner
        for owner in owners
        if getattr(owner, field.attname) is not None and not field.is_cached(owner)
    ]
    if not pending:
        return
    found = {
        target.pk: target
        for target in field.related_model._default_manager.filter(
            tenant_id__in={getattr(owner, mandant) for owner in pending},
            pk__in={getattr(owner, field.attname) for owner in pending},
        ).prefetch_related(*prefetch)
    }
    for owner in pending:
        target = found.get(getattr(owner, field.attname))
        if target is not None:
            field.set_cached_value(owner, target)
