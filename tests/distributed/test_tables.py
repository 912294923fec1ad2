"""Every table has its place on Citus: distributed by tenant_id (co-located), a reference
table, or one of Django's local tables; keys of distributed tables include tenant_id."""

from __future__ import annotations

from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from koffer.tenancy.citus import CROSS_TENANT_FOREIGN_KEYS, DISTRIBUTION_COLUMN, LOCAL_TABLES
from koffer.tenancy.citus.schema import DISTRIBUTED, REFERENCE, table_kind

# Tables without tenant_id, copied to every node. A new table lands here only by a
# decision: it is a catalogue all Mandanten share (or Django's), never a Mandant's data.
REFERENCE_TABLES = frozenset(
    {
        "auth_permission",
        "auth_group_permissions",
        "auth_group",
        "django_content_type",
        "django_session",
        "otp_totp_totpdevice",
        "django_tasks_database_dbtaskresult",
        "tenancy_mandant",
        "accounts_user_groups",
        "accounts_user_user_permissions",
        "accounts_user",
        "accounts_apitoken_units",
        "accounts_usersession",
        "accounts_loginfailure",
        "jobs_workerheartbeat",
        "audit_schluesselabdruck",  # one fingerprint per key of the installation
        "audit_geheimnis",  # the installation's shared secrets (FIT-Connect, SAML keys)
        "placements_fachbereich",
        "placements_betreuungsform",
        "placements_merkmal",
        "placements_region",
        "placements_einrichtung_formen",
        "placements_einrichtung_merkmale",
        "placements_platzgesuch_merkmale",
        # placements_verfuegbarkeit (the live feed) is a coordinator table: LOCAL_TABLES
    }
)


def _tables() -> dict[str, str]:
    return {
        model._meta.db_table: table_kind(model)
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def test_every_table_is_distributed_or_a_named_reference_table() -> None:
    kinds = _tables()
    unnamed = sorted(
        t for t, kind in kinds.items() if kind == REFERENCE and t not in REFERENCE_TABLES
    )
    assert not unnamed, (
        f"Tabellen ohne tenant_id: {unnamed}. Eine Tabelle eines Mandanten braucht "
        "tenant_id (auf Citus danach verteilt); ein Katalog aller Mandanten gehört in "
        "REFERENCE_TABLES."
    )
    stale = sorted(REFERENCE_TABLES - {t for t, kind in kinds.items() if kind == REFERENCE})
    assert not stale, f"in REFERENCE_TABLES, aber keine Referenztabelle (mehr): {stale}"
    assert {t for t, kind in kinds.items() if kind == DISTRIBUTED} >= {
        "records_akte",
        "audit_event",
        "tenancy_counter",
        "jobs_job",
    }


def test_cross_tenant_keys_name_real_columns() -> None:
    columns = {
        (model._meta.db_table, field.column)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation
    }
    assert columns >= CROSS_TENANT_FOREIGN_KEYS


def _rows(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def test_the_migrations_ran_on_citus(citus: None) -> None:
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert _rows("SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary'")[0][0] == 3


def test_each_table_is_distributed_or_reference_in_the_catalogue(citus: None) -> None:
    placed = {
        str(table): (method, column)
        for table, method, column in _rows(
            "SELECT logicalrelid::regclass::text, partmethod,"
            " column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition"
        )
    }
    wrong = {}
    for table, kind in _tables().items():
        expected = {DISTRIBUTED: ("h", DISTRIBUTION_COLUMN), REFERENCE: ("n", None)}.get(kind)
        if table in LOCAL_TABLES:
            expected = None
        if placed.get(table) != expected:
            wrong[table] = (kind, placed.get(table))
    assert not wrong


def test_distributed_tables_are_colocated(citus: None) -> None:
    groups = _rows("SELECT DISTINCT colocationid FROM pg_dist_partition WHERE partmethod = 'h'")
    assert len(groups) == 1


def test_keys_of_distributed_tables_include_tenant_id(citus: None) -> None:
    distributed = [t for t, kind in _tables().items() if kind == DISTRIBUTED]
    # Primary keys and unique constraints/indexes without tenant_id.
    unique = _rows(
        """SELECT c.relname, i.relname FROM pg_index x
             JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indisunique AND c.relname = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                              AND a.attname = %s AND a.attnum = ANY(x.indkey))""",
        [distributed, DISTRIBUTION_COLUMN],
    )
    assert unique == []
    primary = _rows(
        """SELECT c.relname FROM pg_class c WHERE c.relname = ANY(%s) AND NOT EXISTS
             (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')""",
        [distributed],
    )
    assert primary == []
    # Foreign keys from one distributed table to another carry tenant_id on both sides.
    foreign = _rows(
        """SELECT k.conname FROM pg_constraint k
             JOIN pg_class s ON s.oid = k.conrelid JOIN pg_class t ON t.oid = k.confrelid
            WHERE k.contype = 'f' AND s.relname = ANY(%s) AND t.relname = ANY(%s)
              AND NOT (k.conkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = s.oid
                                      AND attname = %s)
                   AND k.confkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = t.oid
                                       AND attname = %s))""",
        [distributed, distributed, DISTRIBUTION_COLUMN, DISTRIBUTION_COLUMN],
    )
    assert foreign == []
    # Every foreign key of the models between two distributed tables exists on the shards'
    # parent, except the ones across Mandanten.
    expected = {
        (model._meta.db_table, field.column)
        for model in apps.get_models(include_auto_created=True)
        if table_kind(model) == DISTRIBUTED
        for field in model._meta.concrete_fields
        if field.is_relation
        and field.db_constraint
        and table_kind(field.related_model) == DISTRIBUTED
    } - CROSS_TENANT_FOREIGN_KEYS
    present = {
        (str(table), str(column))
        for table, column in _rows(
            """SELECT s.relname, a.attname FROM pg_constraint k
                 JOIN pg_class s ON s.oid = k.conrelid
                 JOIN pg_attribute a ON a.attrelid = s.oid AND a.attnum = k.conkey[2]
                WHERE k.contype = 'f' AND s.relname = ANY(%s)""",
            [distributed],
        )
    }
    assert expected - present == set()


def test_no_table_of_the_schema_stays_local_on_the_coordinator(citus: None) -> None:
    """Tables made by a migration's own SQL (the search index) are placed too."""
    local = _rows(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()
              AND c.relname <> ALL(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_dist_partition d WHERE d.logicalrelid = c.oid)""",
        [list(LOCAL_TABLES)],
    )
    assert local == []
