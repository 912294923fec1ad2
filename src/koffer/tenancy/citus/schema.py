"""The schema editor that shapes each table for Citus while the migrations run.

Only where the ``citus`` extension is installed; elsewhere it is Django's PostgreSQL editor.

- A table with a ``tenant_id`` column is **distributed** by it (co-located: all of them share
  the default colocation group of uuid columns). Its primary key is ``(tenant_id, id)`` in the
  database while the model keeps its UUID ``id``; every unique constraint gets ``tenant_id``
  in front; a foreign key to another distributed table becomes ``(tenant_id, col) →
  (tenant_id, id)``, so it can only point into the same Mandant.
- Every other table (catalogues, the user table, sessions, the job queue, the Mandanten
  themselves) is a **reference** table, copied to every node; distributed tables may point
  to it. A reference table cannot point into a distributed one: such a foreign key (the
  automatic many-to-many tables between a tenant table and a catalogue) is left out on
  Citus, and ``UNENFORCED_FOREIGN_KEYS`` lists them for the tests.
- ``django_migrations`` stays a local table of the coordinator.

The shape is given when a table is created (``create_model``) and whenever a migration adds
a column, constraint or foreign key later, so a new app's migrations need nothing for Citus.
"""

# django-stubs do not declare the schema editor's private hooks this module overrides.
# mypy: disable-error-code="misc, attr-defined, assignment"
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.backends.postgresql import schema

from koffer.tenancy.citus import CROSS_TENANT_FOREIGN_KEYS, DISTRIBUTION_COLUMN, LOCAL_TABLES

DISTRIBUTED = "distributed"
REFERENCE = "reference"
LOCAL = "local"


def table_kind(model: Any) -> str:
    """How Citus holds the table of ``model`` (a historical model is fine)."""
    if model._meta.db_table in LOCAL_TABLES:
        return LOCAL
    columns = {field.column for field in model._meta.local_concrete_fields}
    return DISTRIBUTED if DISTRIBUTION_COLUMN in columns else REFERENCE


def citus_installed(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        return cursor.fetchone() is not None


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    citus = False

    def __enter__(self) -> DatabaseSchemaEditor:
        super().__enter__()
        self.citus = not self.collect_sql and citus_installed(self.connection)
        if self.citus:
            scope = "LOCAL " if self.atomic_migration else ""
            # DDL after a statement on many shards in one transaction needs sequential mode;
            # the trigger switch lets the append-only and frozen-version triggers onto shards.
            self.execute(f"SET {scope}citus.multi_shard_modify_mode TO 'sequential'")
            self.execute(f"SET {scope}citus.enable_unsafe_triggers TO on")
            # Data migrations walk every Mandant and join on ids alone (the ORM's joins
            # carry no tenant_id): allowed here, where nobody waits for a page.
            self.execute(f"SET {scope}citus.enable_repartition_joins TO on")
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        if self.citus and exc_type is None:
            for sql in self.deferred_sql:
                self.execute(sql, None)
            self.deferred_sql = []
            self._place_plain_tables()
        super().__exit__(exc_type, exc_value, traceback)
        if self.citus and not self.atomic_migration and exc_type is None:
            self.execute("RESET citus.multi_shard_modify_mode")
            self.execute("RESET citus.enable_unsafe_triggers")
            self.execute("RESET citus.enable_repartition_joins")

    def execute(self, sql: Any, params: Any = ()) -> None:
        if isinstance(sql, _ForeignKey):
            sql = self._citus_fk_sql(sql.model, sql.field, sql.suffix)
        if sql is None:  # a foreign key Citus cannot hold (see _citus_fk_sql)
            return
        super().execute(sql, params)

    def _distributed(self, model: Any) -> bool:
        return self.citus and table_kind(model) == DISTRIBUTED

    def create_model(self, model: Any) -> None:
        super().create_model(model)
        if not self.citus:
            return
        kind = table_kind(model)
        table = model._meta.db_table
        if kind == DISTRIBUTED:
            pk = model._meta.pk
            if pk.column != DISTRIBUTION_COLUMN:
                self.execute(
                    f"ALTER TABLE {self.quote_name(table)} ADD CONSTRAINT "
                    f"{self.quote_name(table + '_pkey')} PRIMARY KEY "
                    f"({self.quote_name(DISTRIBUTION_COLUMN)}, {self.quote_name(pk.column)})"
                )
            self._distribute(table)
        elif kind == REFERENCE:
            self.execute("SELECT create_reference_table(%s)", [table])

    def add_field(self, model: Any, field: Any) -> None:
        """Citus adds no column together with a constraint (it needs their names): the
        column first, then its check, unique and foreign key as named constraints."""
        if not self.citus or table_kind(model) == LOCAL:
            super().add_field(model, field)
            return
        self.sql_check_constraint = ""
        self.sql_create_column_inline_fk = None
        try:
            super().add_field(model, field)
        finally:
            del self.sql_check_constraint, self.sql_create_column_inline_fk
        table = model._meta.db_table
        if field.column == DISTRIBUTION_COLUMN and self._placed_as(table) == "n":
            # makemigrations adds a new model's tenant FK after CreateModel: the table
            # was made a reference table without it, now it is distributed.
            self.execute("SELECT undistribute_table(%s)", [table])
            self.execute(
                f"ALTER TABLE {self.quote_name(table)} DROP CONSTRAINT "
                f"{self.quote_name(table + '_pkey')}"
            )
            self.execute(
                f"ALTER TABLE {self.quote_name(table)} ADD CONSTRAINT "
                f"{self.quote_name(table + '_pkey')} PRIMARY KEY "
                f"({self.quote_name(DISTRIBUTION_COLUMN)}, {self.quote_name(model._meta.pk.column)})"
            )
            self._distribute(table)
        check = field.db_parameters(connection=self.connection)["check"]
        if check and field.column:
            name = self._create_index_name(model._meta.db_table, [field.column], "_check")
            self.execute(self._create_check_sql(model, name, check))

    def _iter_column_sql(
        self,
        column_db_type: Any,
        params: Any,
        model: Any,
        field: Any,
        field_db_params: Any,
        include_default: Any,
    ) -> Iterator[str]:
        parts = super()._iter_column_sql(
            column_db_type, params, model, field, field_db_params, include_default
        )
        if not self.citus or table_kind(model) == LOCAL:
            yield from parts
            return
        distributed = table_kind(model) == DISTRIBUTED and field.column != DISTRIBUTION_COLUMN
        for part in parts:
            if part == "PRIMARY KEY" and distributed:
                continue  # (tenant_id, id), added by create_model
            if part == "UNIQUE":  # a named constraint (with tenant_id in front if distributed)
                self.deferred_sql.append(self._create_unique_sql(model, [field]))
                continue
            yield part

    def _with_tenant(self, model: Any, fields: Any, expressions: Any) -> Any:
        if not self._distributed(model) or expressions or not fields:
            return fields
        if any(field.column == DISTRIBUTION_COLUMN for field in fields):
            return fields
        tenant = next(
            f for f in model._meta.local_concrete_fields if f.column == DISTRIBUTION_COLUMN
        )
        return [tenant, *fields]

    def _unique_sql(self, model: Any, fields: Any, *args: Any, **kwargs: Any) -> Any:
        expressions = kwargs.get("expressions")
        fields = self._with_tenant(model, fields, expressions)
        return super()._unique_sql(model, fields, *args, **kwargs)

    def _create_unique_sql(self, model: Any, fields: Any, *args: Any, **kwargs: Any) -> Any:
        expressions = kwargs.get("expressions")
        fields = self._with_tenant(model, fields, expressions)
        return super()._create_unique_sql(model, fields, *args, **kwargs)

    def _create_fk_sql(self, model: Any, field: Any, suffix: str) -> Any:
        if not self.citus:
            return super()._create_fk_sql(model, field, suffix)
        return _ForeignKey(self, model, field, suffix)

    def _place_plain_tables(self) -> None:
        """Tables a migration made in SQL of its own (RunSQL: the search index) are placed
        like the models' tables: with tenant_id distributed, its keys widened by it."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                """SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = %s AND NOT a.attisdropped)
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
                      AND c.relname <> ALL(%s)
                      AND NOT EXISTS (SELECT 1 FROM pg_dist_partition d WHERE d.logicalrelid = c.oid)""",
                [DISTRIBUTION_COLUMN, list(LOCAL_TABLES)],
            )
            plain = list(cursor.fetchall())
        for table, has_tenant in plain:
            if not has_tenant:
                self.execute("SELECT create_reference_table(%s)", [table])
                continue
            with self.connection.cursor() as cursor:
                cursor.execute(
                    """SELECT k.conname, k.contype, array_agg(a.attname ORDER BY i.n)
                         FROM pg_constraint k, unnest(k.conkey) WITH ORDINALITY i(attnum, n),
                              pg_attribute a
                        WHERE k.conrelid = %s::regclass AND k.contype IN ('p', 'u')
                          AND a.attrelid = k.conrelid AND a.attnum = i.attnum
                        GROUP BY k.conname, k.contype""",
                    [table],
                )
                keys = list(cursor.fetchall())
            for name, kind, columns in keys:
                if DISTRIBUTION_COLUMN in columns:
                    continue
                listed = ", ".join(self.quote_name(c) for c in [DISTRIBUTION_COLUMN, *columns])
                self.execute(
                    f"ALTER TABLE {self.quote_name(table)} DROP CONSTRAINT {self.quote_name(name)}"
                )
                self.execute(
                    f"ALTER TABLE {self.quote_name(table)} ADD CONSTRAINT {self.quote_name(name)} "
                    f"{'PRIMARY KEY' if kind == 'p' else 'UNIQUE'} ({listed})"
                )
            self._distribute(table)

    def _distribute(self, table: str) -> None:
        """Distribute by tenant_id, co-located with the distributed tables there are."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT logicalrelid::regclass::text FROM pg_dist_partition"
                " WHERE partmethod = 'h' ORDER BY colocationid LIMIT 1"
            )
            row = cursor.fetchone()
        self.execute(
            "SELECT create_distributed_table(%s, %s, colocate_with => %s)",
            [table, DISTRIBUTION_COLUMN, str(row[0]) if row else "default"],
        )

    def _placed_as(self, table: str) -> str:
        """How the table is held now: "h" distributed, "n" reference, "" local."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT partmethod FROM pg_dist_partition WHERE logicalrelid = %s::regclass",
                [table],
            )
            row = cursor.fetchone()
        return str(row[0]) if row else ""

    def _citus_fk_sql(self, model: Any, field: Any, suffix: str) -> Any:
        """The key as Citus can hold it, decided when it is added (the tables' placement
        may change within a migration: a tenant FK added after CreateModel)."""
        target = field.remote_field.model
        if self._placed_as(target._meta.db_table) != "h":
            return super()._create_fk_sql(model, field, suffix)
        if self._placed_as(model._meta.db_table) != "h":
            return None  # a reference table cannot point into a distributed one
        if (model._meta.db_table, field.column) in CROSS_TENANT_FOREIGN_KEYS:
            return None  # the rows belong to two Mandanten
        to_column = target._meta.get_field(field.remote_field.field_name).column
        tenant = self.quote_name(DISTRIBUTION_COLUMN)
        return (
            f"ALTER TABLE {self.quote_name(model._meta.db_table)} ADD CONSTRAINT "
            f"{self._fk_constraint_name(model, field, suffix)} FOREIGN KEY "
            f"({tenant}, {self.quote_name(field.column)}) REFERENCES "
            f"{self.quote_name(target._meta.db_table)} ({tenant}, {self.quote_name(to_column)})"
            f"{self.connection.ops.deferrable_sql()}"
        )


class _ForeignKey:
    """A foreign key whose Citus form is decided when the migration adds it."""

    def __init__(self, editor: DatabaseSchemaEditor, model: Any, field: Any, suffix: str) -> None:
        self.model, self.field, self.suffix = model, field, suffix
        self.editor = editor

    def references_table(self, table: str) -> bool:
        return table in {self.model._meta.db_table, self.field.remote_field.model._meta.db_table}

    def references_column(self, table: str, column: str) -> bool:
        return self.references_table(table) and column == self.field.column

    def rename_table_references(self, old_table: str, new_table: str) -> None:
        return None

    def rename_column_references(self, table: str, old_column: str, new_column: str) -> None:
        return None

    def __str__(self) -> str:
        return str(self.editor._citus_fk_sql(self.model, self.field, self.suffix) or "")
