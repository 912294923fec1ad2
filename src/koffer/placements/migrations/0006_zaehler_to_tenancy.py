"""The counters (Gesuch, Rechnung, Meldung numbers) move to the one counter table of
koffer.tenancy: copy every row, keys unchanged (``gesuch:<year>``, ``meldung:<year>``,
``rechnung-<year>``; the E-Akte's keys are ``bg`` and ``az:`` and never collide), then drop
the old table."""

from django.db import migrations


def copy_counters(apps, schema_editor):
    old = apps.get_model("placements", "Zaehler")
    new = apps.get_model("tenancy", "Counter")
    new.objects.bulk_create(
        [new(tenant_id=row.tenant_id, key=row.key, value=row.value) for row in old.objects.all()]
    )


def copy_back(apps, schema_editor):
    old = apps.get_model("placements", "Zaehler")
    new = apps.get_model("tenancy", "Counter")
    rows = new.objects.filter(key__regex=r"^(gesuch:|meldung:|rechnung-)")
    old.objects.bulk_create(
        [old(tenant_id=row.tenant_id, key=row.key, value=row.value) for row in rows]
    )
    rows.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("placements", "0005_fachbereich_tax_rounding_kostenzusage"),
        ("tenancy", "0004_counter"),
    ]

    operations = [
        migrations.RunPython(copy_counters, copy_back),
        migrations.DeleteModel(name="Zaehler"),
    ]
