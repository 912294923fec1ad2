"""The database backend: Django's PostgreSQL wrapper with the Citus schema editor, and
joins between distributed tables that match tenant_id (``joins``)."""

from __future__ import annotations

from django.db.backends.postgresql import base

from koffer.tenancy.citus import joins
from koffer.tenancy.citus.schema import DatabaseSchemaEditor

joins.install()


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
