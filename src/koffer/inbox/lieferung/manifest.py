"""The Lieferschein (transfer note) of a batch: read, checked, kept verbatim.

The fields are documented in :mod:`koffer.inbox` and in the API description. Every
refusal names the field in German, so the provider can fix the note and deliver again.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from koffer.inbox.errors import InboxError

MAX_MANIFEST_BYTES = 1024 * 1024
MAX_FILES = 2000
QUALITY_RESULTS = ("bestanden", "nicht_bestanden")
# What a batch holds: incoming post (the default), or paper files scanned in bulk, each
# file starting with its Deckblatt (``inbox.rueckscan``), or returned mail only (letters
# of koffer the Post brought back, ``inbox.rueckpost``).
ARTEN = ("post", "rueckscan", "rueckpost")
_BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class DeclaredFile:
    name: str
    pages: int
    sha256: str
    rueckpost: bool = False  # the file holds returned mail (Rückläufer)


@dataclass(frozen=True)
class Lieferschein:
    batch_id: str
    scan_date: date
    operator: str
    scanner: str
    quality: dict[str, Any]
    files: list[DeclaredFile]
    art: str = "post"

    @property
    def quality_passed(self) -> bool:
        return self.quality.get("ergebnis") == "bestanden"


def refused(message: str) -> InboxError:
    return InboxError("invalid_manifest", f"Der Lieferschein ist ungültig: {message}")


def check_file_name(name: str) -> str:
    """A file name as it stands in the batch: a plain name, never a path."""
    if (
        not name
        or len(name) > 255
        or name.startswith(".")
        or any(c in name for c in "/\\\x00")
        or any(ord(c) < 32 for c in name)
    ):
        raise InboxError(
            "invalid_file_name",
            f"Der Dateiname „{name[:80]}“ ist nicht erlaubt: erwartet wird ein einfacher "
            "Name ohne Pfad, der nicht mit einem Punkt beginnt (höchstens 255 Zeichen).",
        )
    return name


def _text(data: dict[str, Any], key: str, limit: int = 200) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise refused(f"„{key}“ fehlt oder ist kein Text (1 bis {limit} Zeichen).")
    return value.strip()


def _file(entry: Any, number: int) -> DeclaredFile:
    if not isinstance(entry, dict):
        raise refused(f"Eintrag {number} in „dateien“ ist kein Objekt.")
    name = entry.get("name")
    if not isinstance(name, str):
        raise refused(f"Eintrag {number} in „dateien“ hat keinen „name“.")
    check_file_name(name)
    pages = entry.get("seiten")
    if not isinstance(pages, int) or isinstance(pages, bool) or pages < 1:
        raise refused(f"„seiten“ von „{name}“ muss eine ganze Zahl ab 1 sein.")
    sha256 = entry.get("sha256")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256.lower()):
        raise refused(f"„sha256“ von „{name}“ muss 64 Hex-Zeichen haben.")
    rueckpost = entry.get("rueckpost", False)
    if not isinstance(rueckpost, bool):
        raise refused(f"„rueckpost“ von „{name}“ muss true oder false sein.")
    return DeclaredFile(name=name, pages=pages, sha256=sha256.lower(), rueckpost=rueckpost)


def parse(raw: bytes) -> Lieferschein:
    """The Lieferschein in ``raw`` (UTF-8 JSON), checked field by field."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise refused("Er ist größer als 1 MB.")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise refused("Er ist kein JSON in UTF-8.") from exc
    if not isinstance(data, dict):
        raise refused("Erwartet wird ein JSON-Objekt.")
    if data.get("version", 1) != 1:
        raise refused("Nur „version“: 1 wird verstanden.")
    batch_id = data.get("stapel_id")
    if not isinstance(batch_id, str) or not _BATCH_ID.fullmatch(batch_id):
        raise refused(
            "„stapel_id“ muss 1 bis 100 Zeichen aus Buchstaben, Ziffern, Punkt, Binde- und "
            "Unterstrich haben."
        )
    try:
        scan_date = date.fromisoformat(str(data.get("scan_datum", "")))
    except ValueError as exc:
        raise refused("„scan_datum“ muss ein Datum wie 2026-11-25 sein.") from exc
    quality = data.get("qualitaetspruefung")
    if not isinstance(quality, dict) or quality.get("ergebnis") not in QUALITY_RESULTS:
        raise refused(
            "„qualitaetspruefung“ muss ein Objekt mit „ergebnis“ „bestanden“ oder "
            "„nicht_bestanden“ sein."
        )
    entries = data.get("dateien")
    if not isinstance(entries, list) or not entries or len(entries) > MAX_FILES:
        raise refused(f"„dateien“ muss 1 bis {MAX_FILES} Einträge haben.")
    files = [_file(entry, n) for n, entry in enumerate(entries, start=1)]
    art = data.get("art", "post")
    if art not in ARTEN:
        raise refused(
            "„art“ muss „post“ oder „rueckscan“ sein, bei Rückläufern „rueckpost“ "
            "(ohne Angabe: „post“)."
        )
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise refused("Ein Dateiname steht mehrfach in „dateien“.")
    return Lieferschein(
        batch_id=batch_id,
        scan_date=scan_date,
        operator=_text(data, "operator"),
        scanner=_text(data, "scanner"),
        quality=quality,
        files=files,
        art=art,
    )
