"""Seal the chain with a key kept outside the database (see ``koffer.audit.keys``).

Both columns are nullable so that adding them is ALTER TABLE ADD COLUMN on both
databases: a NOT NULL column would make Django rebuild the SQLite table, and with it
drop the append-only triggers. Events already written keep their plain SHA-256
(``key_id`` NULL); a signed anchor of every existing head, written here, vouches for
them up to that point and no further (``koffer.audit.anchors``).
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def anchor_existing_heads(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from koffer.audit import anchors, keys

    keys.current_key_id()  # the first key, made now rather than by the first write
    heads = apps.get_model("audit", "AuditHead").objects.using(schema_editor.connection.alias)
    for head in heads.filter(seq__gt=0).order_by("tenant_id"):
        anchors.write(
            tenant_id=head.tenant_id, seq=head.seq, hash=head.hash, kind=anchors.TRANSITION
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_subject_object_seq_indexes")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
        migrations.AddField(
            model_name="audithead",
            name="key_id",
            field=models.CharField(blank=True, max_length=32, null=True),
        ),
        migrations.RunPython(anchor_existing_heads, migrations.RunPython.noop),
    ]
