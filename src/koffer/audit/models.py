"""The append-only, hash-chained audit log.

One chain per Mandant: every event carries its sequence number, the hash of its
predecessor and an HMAC-SHA256 over a canonical JSON of itself, under the key named by
``key_id`` (kept outside the database, see ``koffer.audit.keys``; events from before
keys have none and a plain SHA-256). The database refuses UPDATE and DELETE on the table
(triggers, see migration 0002); ``audit_verify`` detects raw edits that bypass the
triggers, and, thanks to the key and to signed anchors, rewritten chains as well.
"""

from __future__ import annotations

import uuid

from django.db import models
from uuid6 import uuid7

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    tenant_id = models.UUIDField(db_index=False)
    seq = models.BigIntegerField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    at = models.DateTimeField()
    actor_id = models.UUIDField(null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    subject_type = models.CharField(max_length=80, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    client_ip = models.CharField(max_length=45, blank=True)
    # NULL: written before keys existed (plain SHA-256). Nullable so that adding the
    # column is an ALTER TABLE ADD COLUMN, not a rewrite of the append-only table.
    key_id = models.CharField(max_length=32, null=True, blank=True)

    class Meta:
        db_table = "audit_event"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "seq"], name="audit_event_tenant_seq_uniq"
            ),
        ]
        indexes = [
            # "Everything about this object / person, newest first": seq last, so the
            # index delivers the rows already in order (no sort, no backwards walk).
            models.Index(
                fields=["tenant_id", "object_type", "object_id", "seq"], name="audit_obj_seq_idx"
            ),
            models.Index(
                fields=["tenant_id", "subject_type", "subject_id", "seq"], name="audit_subj_seq_idx"
            ),
            models.Index(fields=["tenant_id", "actor_id", "at"], name="audit_actor_idx"),
            models.Index(fields=["tenant_id", "at"], name="audit_at_idx"),
        ]
        ordering = ["tenant_id", "seq"]

    def __str__(self) -> str:
        return f"{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditHead(models.Model):
    """The chain's head per Mandant: locked while appending, so sequence numbers never fork."""

    tenant_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # The key that seals the next event; NULL until the first one (then the newest key).
    # Rotating the key sets it on every head, so a chain never goes back to an older key.
    key_id = models.CharField(max_length=32, null=True, blank=True)

    class Meta:
        db_table = "audit_head"

    def __str__(self) -> str:
        return f"{self.tenant_id} bei {self.seq}"


class Schluesselabdruck(models.Model):
    """The fingerprint of a secret every machine of the installation must hold alike (the
    secret key, each audit key file): the first machine that meets it records it, every
    other compares (``koffer.audit.schluesselabgleich``). Installation-wide, as the
    secrets are: no Mandant's row."""

    name = models.CharField(max_length=300, primary_key=True)
    abdruck = models.CharField(max_length=64)
    rechner = models.CharField(max_length=100)
    eingetragen_am = models.DateTimeField()

    class Meta:
        db_table = "audit_schluesselabdruck"

    def __str__(self) -> str:
        return f"{self.name} ({self.rechner})"


class Geheimnis(models.Model):
    """A secret every web and worker process of the installation needs alike (a
    FIT-Connect destination's private keys, the portal's SAML key pair), kept in the
    database encrypted with a key derived from the secret key the machines already agree
    on (``koffer.audit.geheimnisse``): whoever reads the database without the secret key
    learns nothing of it. Installation-wide like :class:`Schluesselabdruck`; the name says
    whose it is (``fitconnect/<Mandant>/<destination>``)."""

    name = models.CharField(max_length=300, primary_key=True)
    inhalt = models.BinaryField()
    rechner = models.CharField(max_length=100)
    geaendert_am = models.DateTimeField()

    class Meta:
        db_table = "audit_geheimnis"

    def __str__(self) -> str:
        return self.name
