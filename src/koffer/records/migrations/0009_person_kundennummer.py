"""Person.kundennummer: the Jobcenter's customer number (``123D456789``), indexed with
the tenant so that the Posteingang finds a person by it in one lookup.

On SQLite, adding a NOT NULL column rebuilds the table, and the rebuild knows only the
indexes Django made: the search's expression index on the folded family name (migration
0007) is created again afterwards, and again when the column is removed."""

from django.db import migrations, models

import koffer.identifiers

SQLITE_FOLDED_INDEX = (
    "CREATE INDEX IF NOT EXISTS records_person_folded_idx ON records_person "
    "(tenant_id, koffer_fold(family_name))"
)


def restore_folded_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FOLDED_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0008_counter_to_tenancy"),
        ("tenancy", "0004_counter"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_folded_index),
        migrations.AddField(
            model_name="person",
            name="kundennummer",
            field=models.CharField(
                blank=True,
                max_length=10,
                validators=[koffer.identifiers.validate_kundennummer],
                verbose_name="Kundennummer",
            ),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["tenant", "kundennummer"], name="person_kundennummer_idx"),
        ),
        migrations.RunPython(restore_folded_index, migrations.RunPython.noop),
    ]
