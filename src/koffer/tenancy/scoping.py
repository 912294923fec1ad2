"""Tenant scoping for every tenant-owned table.

``Model.objects.for_tenant(t)`` is the normal way in. A queryset that was never scoped
raises :class:`UnscopedQuery` when it touches the database, so a forgotten filter fails
loudly in tests instead of leaking another Mandant's rows. Code that truly works across
tenants (verification, system jobs) says so with ``.unscoped()``.
"""

from __future__ import annotations

import uuid
from typing import Any, Self

from django.conf import settings
from django.db import models
from uuid6 import uuid7

TENANT_KEYS = frozenset({"tenant", "tenant_id", "tenant__in", "tenant_id__in", "tenant__pk"})


def db_uuid(value: uuid.UUID) -> Any:
    """A UUID as a raw SQL parameter: hex text on SQLite, native uuid on PostgreSQL."""
    from django.db import connection

    return value if connection.features.has_native_uuid_field else value.hex


class UnscopedQuery(RuntimeError):
    """A tenant-owned table was queried without naming the tenant."""


class TenantQuerySet(models.QuerySet):
    _tenant_scoped: bool = False
    # (path, prefetch) of rows in another Mandant, loaded by id after the rows
    # (koffer.tenancy.across).
    _across: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]
        clone._tenant_scoped = self._tenant_scoped
        clone._across = self._across
        return clone

    def fetch_across(self, path: str, *, prefetch: tuple[str, ...] = ()) -> Self:
        """Load the row at ``path`` that lives in another Mandant by id and Mandant after
        the rows, one query for all of them, instead of joining it (``select_related``):
        see koffer.tenancy.across."""
        qs = self._clone()
        qs._across = (*self._across, (path, prefetch))
        return qs

    def for_tenant(self, tenant: Any) -> Self:
        tenant_id = tenant if isinstance(tenant, uuid.UUID) else tenant.pk
        qs = self.filter(tenant_id=tenant_id)
        qs._tenant_scoped = True
        return qs

    def unscoped(self) -> Self:
        """Deliberately cross-tenant: system work only, never on behalf of a user."""
        qs = self._clone()
        qs._tenant_scoped = True
        return qs

    def _filter_or_exclude(self, negate: bool, args: Any, kwargs: Any) -> Self:
        qs = super()._filter_or_exclude(negate, args, kwargs)  # type: ignore[misc]
        if not negate and TENANT_KEYS.intersection(kwargs):
            qs._tenant_scoped = True
        return qs

    def _check_scope(self) -> None:
        if not self._tenant_scoped and getattr(settings, "KOFFER_STRICT_TENANCY", False):
            raise UnscopedQuery(
                f"{self.model.__name__} wurde ohne Mandant abgefragt: for_tenant() fehlt"
            )

    def _fetch_all(self) -> None:
        fetching = self._result_cache is None
        if fetching:
            self._check_scope()
        super()._fetch_all()
        if fetching and self._across and self._iterable_class is models.query.ModelIterable:
            from koffer.tenancy.across import fetch_across

            for path, prefetch in self._across:
                fetch_across(self._result_cache or [], path, prefetch=prefetch)

    def count(self) -> int:
        self._check_scope()
        return super().count()

    def exists(self) -> bool:
        self._check_scope()
        return super().exists()

    def iterator(self, chunk_size: int | None = None) -> Any:
        self._check_scope()
        return super().iterator(chunk_size=chunk_size)

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._check_scope()
        return super().update(**kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> TenantQuerySet:
        qs = super().get_queryset()
        # Related managers (parent.children) are reached through an already scoped object.
        if hasattr(self, "instance"):
            qs._tenant_scoped = True
        return qs


class TenantOwned(models.Model):
    """Base of every tenant-owned table: UUIDv7 key (offline laptops create records that
    sync later without collisions) and the owning Mandant."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    tenant = models.ForeignKey("tenancy.Mandant", on_delete=models.PROTECT, related_name="+")

    objects = TenantManager()

    class Meta:
        # The base manager stays Django's plain one: following a foreign key from an
        # object that was itself loaded in scope (membership.unit) needs no second check.
        abstract = True
