"""Template settings and versions as the database holds them: an amount for four eyes only
with four eyes, and a published version is never changed (UPDATE refused by a trigger;
a letter made with version 3 must render the same in ten years)."""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

MESSAGE = "outbox_vorlagenversion ist unveränderlich: bitte eine neue Version veröffentlichen"
SQLITE = [
    f"""CREATE TRIGGER outbox_vorlagenversion_no_update BEFORE UPDATE ON outbox_vorlagenversion
       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS outbox_vorlagenversion_no_update"]
POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION outbox_vorlagenversion_frozen() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '{MESSAGE}'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER outbox_vorlagenversion_no_update BEFORE UPDATE ON outbox_vorlagenversion
       FOR EACH ROW EXECUTE FUNCTION outbox_vorlagenversion_frozen()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS outbox_vorlagenversion_no_update ON outbox_vorlagenversion",
    "DROP FUNCTION IF EXISTS outbox_vorlagenversion_frozen()",
]


def _run(schema_editor: BaseDatabaseSchemaEditor, statements: dict[str, list[str]]) -> None:
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRES})


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE})


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="vorlage",
            constraint=models.CheckConstraint(
                condition=models.Q(("vier_augen_ab__isnull", True))
                | models.Q(("vier_augen", True), ("vier_augen_ab__gte", 0)),
                name="outbox_vorlage_vier_augen_ab",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
