"""The database backend: Django's PostgreSQL wrapper with the Citus schema editor, and
joins between distributed tables that match tenant_id (``joins``), saves of existing rows
pinned to their Mandant's shard (``updates``)."""

from __future__ import annotations

from django.db.backends.postgresql import base

from koffer.tenancy.citus import joins, updates
from koffer.tenancy.citus.schema import DatabaseSchemaEditor, citus_installed

joins.install()
updates.install()


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
    _citus: bool | None = None

    @property
    def on_citus(self) -> bool:
        """The ``citus`` extension is present (asked once, then remembered)."""
        if self._citus is None:
            self._citus = citus_installed(self)
        return self._citus
