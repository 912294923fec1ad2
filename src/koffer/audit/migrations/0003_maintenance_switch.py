"""Let a maintenance session empty the audit table, and nobody else.

Deleting audit rows is never part of normal work (retention of the audit log is a job for
later, with its own chain segment). Test databases must be flushed between tests, though:
PostgreSQL sessions that set ``koffer.audit_maintenance=on`` and SQLite connections where
koffer registered ``koffer_audit_maintenance()`` returning 1 may DELETE/TRUNCATE. UPDATE
stays refused for everyone. A plain SQLite client lacks the function, so its DELETE fails.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE = [
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
       WHEN koffer_audit_maintenance() = 0
       BEGIN SELECT RAISE(ABORT, 'audit_event ist unveränderlich (append-only)'); END""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP IN ('DELETE', 'TRUNCATE')
            AND coalesce(current_setting('koffer.audit_maintenance', true), '') = 'on' THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'audit_event ist unveränderlich (append-only)';
       END;
       $$ LANGUAGE plpgsql""",
]


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
