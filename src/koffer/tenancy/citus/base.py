"""The database backend: Django's PostgreSQL wrapper with the Citus schema editor, and
joins between distributed tables that match tenant_id (``joins``), saves of existing rows
pinned to their Mandant's shard (``updates``), GROUP BY a distributed table's rows by
every selected column (its key is ``(tenant_id, id)``), a flush that empties only filled tables
(``flush``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.postgresql import base, features, operations

from koffer.tenancy.citus import flush, joins, updates
from koffer.tenancy.citus.joins import tenant_field
from koffer.tenancy.citus.schema import DatabaseSchemaEditor, citus_installed

joins.install()
updates.install()


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model: Any) -> bool:
        """PostgreSQL lets a GROUP BY of the primary key stand for the row's other columns;
        on Citus a distributed table's key is ``(tenant_id, id)`` while Django groups by
        ``id``, so such a model is grouped by every selected column instead."""
        if tenant_field(model) is not None and getattr(self.connection, "on_citus", False):
            return False
        return bool(super().allows_group_by_selected_pks_on_model(model))


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(
        self,
        style: Any,
        tables: Sequence[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        """On Citus: DELETE from the tables that hold rows (``flush``), not TRUNCATE all."""
        if tables and not reset_sequences and getattr(self.connection, "on_citus", False):
            filled = flush.filled_tables(self.connection, tables)
            if filled is not None:
                return flush.delete_sql(self.connection, filled)
        return list(
            super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        )


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
    ops_class = DatabaseOperations
    features_class = DatabaseFeatures
    _citus: bool | None = None

    @property
    def on_citus(self) -> bool:
        """The ``citus`` extension is present (asked once, then remembered)."""
        if self._citus is None:
            self._citus = citus_installed(self)
        return self._citus
