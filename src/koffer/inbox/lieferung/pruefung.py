"""The check of one delivered file, step by step: declared at all, delivered at all, the
hash the Lieferschein names, a type koffer takes for scans (PDF, TIFF), readable and not
encrypted, and the declared number of pages. The file is opened only in the bounded
inspection child of the E-Akte (``records.dokumente.services.inspect_scan``), so a
decompression bomb or a corrupt file is refused there with its reason.

Each step answers a :class:`Finding`; nothing is written here (``services`` does).
"""

from __future__ import annotations

from dataclasses import dataclass

from koffer.blobs.store import BlobNotFound, get_store
from koffer.errors import DomainError
from koffer.inbox.models import Stapeldatei
from koffer.records.dokumente import services as documents

State = Stapeldatei.State


@dataclass(frozen=True)
class Finding:
    state: str
    pages: int | None = None
    kind: str = ""
    problem: tuple[str, str] | None = None  # code, German message


def quarantine(code: str, message: str, *, kind: str = "", pages: int | None = None) -> Finding:
    return Finding(State.QUARANTAENE, pages=pages, kind=kind, problem=(code, message))


def check(datei: Stapeldatei) -> Finding:
    """What one file of a batch comes to."""
    if datei.state == State.FEHLT:
        return Finding(
            State.FEHLT,
            problem=(
                "file_missing",
                f"Die Datei „{datei.name}“ steht im Lieferschein, wurde aber nicht geliefert.",
            ),
        )
    if not datei.declared:
        return quarantine(
            "file_not_declared",
            f"Die Datei „{datei.name}“ wurde geliefert, steht aber nicht im Lieferschein.",
        )
    if datei.sha256 != datei.declared_sha256:
        return quarantine(
            "hash_mismatch",
            f"Die Prüfsumme (SHA-256) der Datei „{datei.name}“ stimmt nicht mit dem "
            "Lieferschein überein: Die Datei wurde bei der Übertragung verändert oder ist "
            "eine andere.",
        )
    return _inspect(datei)


def _inspect(datei: Stapeldatei) -> Finding:
    try:
        with get_store().open(datei.sha256) as stream:
            data = stream.read()
    except BlobNotFound:
        return quarantine("blob_missing", f"Die Datei „{datei.name}“ fehlt im Dokumentenspeicher.")
    try:
        content = documents.inspect_scan(tenant_id=datei.tenant_id, data=data)
    except DomainError as exc:
        return quarantine(exc.code, f"„{datei.name}“: {exc.message}")
    kind, pages = content.ftype.code, content.page_count
    if content.decrypted:
        return quarantine(
            "encrypted_pdf",
            f"„{datei.name}“ ist verschlüsselt (mit Nutzungsbeschränkungen). Gescannte "
            "Dateien müssen unverschlüsselt geliefert werden.",
            kind=kind,
            pages=pages,
        )
    # A FIT-Connect submission declares no pages (``None``); a Lieferschein always does.
    if datei.declared_pages is not None and pages != datei.declared_pages:
        return quarantine(
            "page_count_mismatch",
            f"„{datei.name}“ hat {pages} Seiten, der Lieferschein nennt {datei.declared_pages}.",
            kind=kind,
            pages=pages,
        )
    return Finding(State.GEPRUEFT, pages=pages, kind=kind)
