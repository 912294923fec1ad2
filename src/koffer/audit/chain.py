"""Canonical form and hashing of audit events, shared by writing and verifying."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

HASHED_FIELDS = (
    "tenant_id",
    "seq",
    "prev_hash",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "subject_type",
    "subject_id",
    "changes",
    "reason",
    "client_ip",
)


def normalise(value: Any) -> Any:
    """Round-trip through JSON so that what is stored is exactly what was hashed."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def event_hash(fields: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON (sorted keys, no whitespace) of the hashed fields."""
    doc = {}
    for name in HASHED_FIELDS:
        value = fields[name]
        if name == "at":
            value = _utc_iso(value)
        elif name in ("tenant_id", "actor_id") and value is not None:
            value = str(value)
        doc[name] = value
    payload = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _utc_iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
