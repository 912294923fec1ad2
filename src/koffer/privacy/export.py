"""The audit log as CSV for Excel: semicolon-separated, UTF-8 with BOM, streamed in chunks
so that a million events never sit in memory at once."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC

from django.utils import timezone

from koffer.formats import csv_text
from koffer.privacy import labels
from koffer.privacy.selectors import BERLIN, AuditQuery, AuditRow

BOM = "\ufeff"
# Readable columns for people, technical ones (codes, ids, raw JSON) beside them for tools.
HEADER = [
    "Zeit",
    "Zeit (UTC, ISO 8601)",
    "Wer",
    "Wer (Kennung)",
    "Aktion",
    "Aktion (Code)",
    "Objekttyp",
    "Objekttyp (Code)",
    "Objekt",
    "Objekt (Kennung)",
    "Objekt (Bezeichnung beim Eintrag)",
    "Typ der Person",
    "Typ der Person (Code)",
    "Betroffene Person",
    "Person (Kennung)",
    "Änderungen",
    "Änderungen (JSON)",
    "Grund",
    "Adresse",
    "Nr. in der Kette",
]


def row_cells(row: AuditRow) -> list[str]:
    e = row.event
    cells = [
        row.actor_label,
        str(e.actor_id or ""),
        labels.action_label(e.action),
        e.action,
        labels.type_label(e.object_type),
        e.object_type,
        row.object_reference,
        e.object_id,
        e.object_label,
        labels.type_label(e.subject_type),
        e.subject_type,
        row.subject_label,
        e.subject_id,
        row.changes_readable,
        json.dumps(e.changes, ensure_ascii=False, sort_keys=True) if e.changes else "",
        e.reason,
        e.client_ip,
    ]
    at = timezone.localtime(e.at, BERLIN).strftime("%d.%m.%Y %H:%M:%S")
    at_utc = e.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return [at, at_utc, *(csv_text(c) for c in cells), str(e.seq)]


def _lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def csv_chunks(query: AuditQuery) -> Iterator[bytes]:
    """BOM and header first, then one encoded block per database chunk."""
    yield (BOM + _lines([HEADER])).encode("utf-8")
    for batch in query.batches():
        yield _lines([row_cells(row) for row in batch]).encode("utf-8")
