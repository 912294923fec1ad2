"""Person.kundennummer: the Jobcenter's customer number (``123D456789``), indexed with
the tenant so that the Posteingang finds a person by it in one lookup."""

from django.db import migrations, models

import koffer.identifiers


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0008_counter_to_tenancy"),
        ("tenancy", "0004_counter"),
    ]

    operations = [
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
    ]
