"""On Citus the live feed of availability changes (``placements_verfuegbarkeit``, no
tenant_id) becomes a plain table of the coordinator instead of a reference table: a write
to a reference table goes to every node, so every reservation and withdrawal ran a
two-phase commit over all of them (koffer.tenancy.citus.LOCAL_TABLES says why it may be
local). Citus' ``undistribute_table`` refuses a table with an identity column (the id), so
the rows are kept aside, the table is made anew (on the coordinator alone, as
``LOCAL_TABLES`` says) and the rows are put back with their ids. Nothing happens on SQLite
and plain PostgreSQL."""

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


COLUMNS = "id, angebot_id, einrichtung_id, betreuungsform_id, at"


def to_coordinator(apps, schema_editor):
    if not (_citus(schema_editor) and _placed(schema_editor) == "n"):
        return
    aside = f"{TABLE}_vorher"
    # Names are the constants above, never input.
    schema_editor.execute(f"CREATE TABLE {aside} AS SELECT {COLUMNS} FROM {TABLE}")  # noqa: S608
    schema_editor.execute(f"DROP TABLE {TABLE}")
    schema_editor.create_model(apps.get_model("placements", "Verfuegbarkeit"))
    schema_editor.execute(
        f"INSERT INTO {TABLE} ({COLUMNS}) OVERRIDING SYSTEM VALUE SELECT {COLUMNS} FROM {aside}"  # noqa: S608
    )
    restart = (
        f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), "  # noqa: S608
        f"(SELECT coalesce(max(id), 0) + 1 FROM {TABLE}), false)"
    )
    schema_editor.execute(restart)
    schema_editor.execute(f"DROP TABLE {aside}")


def to_every_node(apps, schema_editor):
    if _citus(schema_editor) and _placed(schema_editor) == "":
        schema_editor.execute("SELECT create_reference_table(%s)", [TABLE])


class Migration(migrations.Migration):
    dependencies = [("placements", "0006_zaehler_to_tenancy")]

    operations = [migrations.RunPython(to_coordinator, to_every_node)]
