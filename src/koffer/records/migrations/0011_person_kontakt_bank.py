"""Person: place of birth, nationality, telephone, e-mail and bank account (IBAN, BIC,
account holder), so that the Formulare prefill them from the Akte (issue 17).

Adding columns rebuilds records_person on SQLite, and the rebuild knows only the indexes
Django made: the search's expression index on the folded family name (migration 0007) is
created again afterwards, and again when the columns are removed (as in 0009)."""

from django.db import migrations, models

import koffer.identifiers
import koffer.kontakt

SQLITE_FOLDED_INDEX = (
    "CREATE INDEX IF NOT EXISTS records_person_folded_idx ON records_person "
    "(tenant_id, koffer_fold(family_name))"
)


def restore_folded_index(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FOLDED_INDEX)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0010_dokument_source_form"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_folded_index),
        migrations.AddField(
            model_name="person",
            name="bic",
            field=models.CharField(
                blank=True,
                max_length=11,
                validators=[koffer.identifiers.validate_bic],
                verbose_name="BIC",
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="email",
            field=models.CharField(
                blank=True,
                max_length=254,
                validators=[koffer.kontakt.validate_email],
                verbose_name="E-Mail",
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="geburtsort",
            field=models.CharField(blank=True, max_length=120, verbose_name="Geburtsort"),
        ),
        migrations.AddField(
            model_name="person",
            name="iban",
            field=models.CharField(
                blank=True,
                max_length=34,
                validators=[koffer.identifiers.validate_iban],
                verbose_name="IBAN",
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="kontoinhaber",
            field=models.CharField(blank=True, max_length=200, verbose_name="Kontoinhaber/in"),
        ),
        migrations.AddField(
            model_name="person",
            name="staatsangehoerigkeit",
            field=models.CharField(blank=True, max_length=80, verbose_name="Staatsangehörigkeit"),
        ),
        migrations.AddField(
            model_name="person",
            name="telefon",
            field=models.CharField(
                blank=True,
                max_length=25,
                validators=[koffer.kontakt.validate_telefon],
                verbose_name="Telefon",
            ),
        ),
        migrations.RunPython(restore_folded_index, migrations.RunPython.noop),
    ]
