"""On Citus the live feed of availability changes (``placements_verfuegbarkeit``, no
tenant_id) becomes a plain table of the coordinator instead of a reference table: a write
to a reference table goes to every node, so every reservation and withdrawal ran a
two-phase commit over all of them (koffer.tenancy.citus.LOCAL_TABLES says why it may be
local). Nothing happens on SQLite and plain PostgreSQL."""

from django.db import migrations

TABLE = "placements_verfuegbarkeit"


def _citus(schema_editor) -> bool:
    if schema_editor.connection.vendor != "postgresql":
        return False
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        return cursor.fetchone() is not None


def _placed(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT partmethod FROM pg_dist_partition WHERE logicalrelid = %s::regclass", [TABLE]
        )
        row = cursor.fetchone()
    return str(row[0]) if row else ""


def to_coordinator(apps, schema_editor):
    if _citus(schema_editor) and _placed(schema_editor) == "n":
        schema_editor.execute("SELECT undistribute_table(%s)", [TABLE])


def to_every_node(apps, schema_editor):
    if _citus(schema_editor) and _placed(schema_editor) == "":
        schema_editor.execute("SELECT create_reference_table(%s)", [TABLE])


class Migration(migrations.Migration):
    dependencies = [("placements", "0006_zaehler_to_tenancy")]

    operations = [migrations.RunPython(to_coordinator, to_every_node)]
