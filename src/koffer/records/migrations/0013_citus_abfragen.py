"""The search index forgets a deleted Dokument by Mandant and id (was id alone).

On Citus the trigger runs on the Dokument's shard and its DELETE then goes to the one
co-located shard of the index, instead of to every shard. PostgreSQL only (SQLite's
index is kept by the search service)."""

from django.db import migrations

FORGET_BY_TENANT = """
CREATE OR REPLACE FUNCTION records_search_forget_dokument() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM records_search_entry WHERE tenant_id = OLD.tenant_id AND dokument_id = OLD.id;
  RETURN OLD;
END
$$
"""

FORGET_BY_ID = """
CREATE OR REPLACE FUNCTION records_search_forget_dokument() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM records_search_entry WHERE dokument_id = OLD.id;
  RETURN OLD;
END
$$
"""


def _postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0012_vorgang_ergebnis"),
    ]

    operations = [
        migrations.RunPython(_postgresql(FORGET_BY_TENANT), _postgresql(FORGET_BY_ID)),
    ]
