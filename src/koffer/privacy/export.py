"""The audit log as CSV for Excel: semicolon-separated, UTF-8 with BOM, streamed in chunks
so that a million events never sit in memory at once."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils import timezone

from koffer.privacy import labels
from koffer.privacy.selectors import BERLIN, AuditQuery, AuditRow

BOM = "\ufeff"
HEADER = [
    "Zeit",
    "Wer",
    "Wer (Kennung)",
    "Aktion",
    "Aktion (Code)",
    "Objekttyp",
    "Objekt (Kennung)",
    "Objekt",
    "Typ der Person",
    "Person (Kennung)",
    "Betroffene Person",
    "Änderungen",
    "Grund",
    "Adresse",
    "Nr. in der Kette",
]
# A cell starting like a formula is run by Excel; a leading apostrophe keeps it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def row_cells(row: AuditRow) -> list[str]:
    e = row.event
    cells = [
        e.actor_label,
        str(e.actor_id or ""),
        labels.action_label(e.action),
        e.action,
        labels.type_label(e.object_type),
        e.object_id,
        e.object_label,
        labels.type_label(e.subject_type),
        e.subject_id,
        row.subject_label,
        labels.changes_text(e.changes),
        e.reason,
        e.client_ip,
    ]
    at = timezone.localtime(e.at, BERLIN).strftime("%d.%m.%Y %H:%M:%S")
    return [at, *(_cell(c) for c in cells), str(e.seq)]


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
