"""Aktenplan import and export as CSV (semicolon-separated, UTF-8, one row per unit).

Columns: kennzeichen;titel;uebergeordnet;modul;aufbewahrung_jahre;archivwert;zugriff;muster
An import is all-or-nothing: every row is checked first, errors name the line, and only a
clean file is written (in one transaction)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from koffer.audit.services import Actor
from koffer.records import numbering, services
from koffer.records.models import AccessLevel, Aktenplaneinheit, Module
from koffer.tenancy.models import Mandant

COLUMNS = [
    "kennzeichen",
    "titel",
    "uebergeordnet",
    "modul",
    "aufbewahrung_jahre",
    "archivwert",
    "zugriff",
    "muster",
]


@dataclass(frozen=True)
class ImportResult:
    created: int
    skipped: int


class AktenplanImportError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def decode_csv(raw: bytes) -> str:
    """The text of an uploaded CSV file: UTF-8 (with or without BOM), else Windows-1252,
    which is what a spreadsheet on an office PC saves."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def export_csv(nodes: Iterable[Aktenplaneinheit]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    by_id = {}
    rows = list(nodes)
    for node in rows:
        by_id[node.pk] = node.kennzeichen
    for node in rows:
        writer.writerow(
            [
                node.kennzeichen,
                node.title,
                by_id.get(node.parent_id, "") if node.parent_id else "",
                node.module,
                node.retention_years,
                node.archive_value,
                node.default_access,
                node.aktenzeichen_pattern,
            ]
        )
    return out.getvalue()


def _parse(text: str) -> tuple[list[dict[str, str]], list[str]]:
    errors: list[str] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    missing = [c for c in ("kennzeichen", "titel") if c not in (reader.fieldnames or [])]
    if missing:
        return [], [f"Spalten fehlen: {', '.join(missing)} (erwartet: {';'.join(COLUMNS)})"]
    rows = []
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not row.get("kennzeichen") or not row.get("titel"):
            errors.append(f"Zeile {line}: Kennzeichen und Titel sind Pflicht.")
            continue
        if row.get("modul") and row["modul"] not in Module.values:
            errors.append(f"Zeile {line}: unbekanntes Modul „{row['modul']}“.")
        if row.get("aufbewahrung_jahre") and not row["aufbewahrung_jahre"].isdigit():
            errors.append(f"Zeile {line}: Aufbewahrung muss eine ganze Zahl (Jahre) sein.")
        if row.get("archivwert") and row["archivwert"] not in Aktenplaneinheit.ArchiveValue.values:
            errors.append(f"Zeile {line}: Archivwert muss A, B oder V sein.")
        if row.get("zugriff") and row["zugriff"] not in AccessLevel.values:
            errors.append(f"Zeile {line}: Zugriff muss normal oder restricted sein.")
        if row.get("muster"):
            try:
                numbering.validate_pattern(row["muster"])
            except numbering.PatternError as exc:
                errors.append(f"Zeile {line}: {exc}")
        row["_line"] = str(line)
        rows.append(row)
    return rows, errors


def import_csv(*, actor: Actor | None, tenant: Mandant, text: str) -> ImportResult:
    """Create the units of ``text`` that do not exist yet (by Kennzeichen); parents first."""
    rows, errors = _parse(text)
    existing = {n.kennzeichen: n for n in Aktenplaneinheit.objects.for_tenant(tenant)}
    known = set(existing) | {r["kennzeichen"] for r in rows}
    for row in rows:
        parent = row.get("uebergeordnet", "")
        if parent and parent not in known:
            errors.append(f"Zeile {row['_line']}: übergeordnetes Kennzeichen „{parent}“ fehlt.")
    if errors:
        raise AktenplanImportError(errors)
    created = skipped = 0
    pending = [r for r in rows if r["kennzeichen"] not in existing]
    skipped = len(rows) - len(pending)
    with transaction.atomic():
        while pending:
            ready = [
                r for r in pending if not r.get("uebergeordnet") or r["uebergeordnet"] in existing
            ]
            if not ready:
                raise AktenplanImportError(
                    [f"Zeile {r['_line']}: Kreis in den Übergeordneten." for r in pending]
                )
            for row in ready:
                existing[row["kennzeichen"]] = services.create_aktenplaneinheit(
                    actor=actor,
                    tenant=tenant,
                    parent=existing.get(row.get("uebergeordnet", "")),
                    kennzeichen=row["kennzeichen"],
                    title=row["titel"],
                    module=row.get("modul") or Module.ALLGEMEIN,
                    retention_years=int(row.get("aufbewahrung_jahre") or 10),
                    archive_value=row.get("archivwert") or Aktenplaneinheit.ArchiveValue.ASSESS,
                    default_access=row.get("zugriff") or AccessLevel.NORMAL,
                    aktenzeichen_pattern=row.get("muster") or "{kennzeichen}-{jahr}-{lfd:05}",
                )
                created += 1
            pending = [r for r in pending if r not in ready]
    return ImportResult(created=created, skipped=skipped)
