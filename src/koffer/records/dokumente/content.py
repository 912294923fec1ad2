"""Ingest step 3, inspect: what a file holds (pages, text, whether it needs OCR), read in the
bounded inspection child (:mod:`koffer.records.dokumente.inspection`)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from koffer.records.dokumente import inspection
from koffer.records.dokumente.convert import (
    ConversionFailed,
    convert_office_to_pdf,
    office_converter,
)
from koffer.records.dokumente.detect import TYPES, FileType, decode_text, detect_type
from koffer.records.dokumente.limits import SYNC_TEXT_PAGES, inspection_bounds, refusals
from koffer.records.dokumente.naming import name_for_type
from koffer.records.errors import DocumentRejected

logger = logging.getLogger("koffer.records.documents")

# Below this many characters per page a PDF counts as a scan without a text layer.
MIN_CHARS_PER_PAGE = 20
# Text is for search and screen readers; beyond this it stops (a 100 MB log file).
MAX_TEXT_CHARS = 20_000_000

NO_OFFICE_PREVIEW = "Keine Vorschau: LibreOffice ist nicht installiert."
FAILED_OFFICE_PREVIEW = "Keine Vorschau: Die Umwandlung in PDF ist fehlgeschlagen."
NEEDS_OCR_NOTE = (
    "Kein Text gefunden: Text in gescannten Bildern ist noch nicht durchsuchbar; "
    "die Suche findet das Dokument über Titel, Art und Absender."
)
DECRYPTED_NOTE = (
    "Das PDF war mit Nutzungsbeschränkungen verschlüsselt (ohne Kennwort zum Öffnen). "
    "Für Anzeige, Suche und Aktenauszug wurde eine entschlüsselte Kopie angelegt; "
    "das Original bleibt unverändert gespeichert."
)


@dataclass
class Content:
    """What the pipeline learnt about a file before anything is stored."""

    filename: str
    ftype: FileType
    data: bytes
    sha256: str
    text: str = ""
    page_count: int = 0
    text_complete: bool = True
    pdf: bytes | None = None  # PDF rendering of an Office file
    pdf_sha256: str = ""  # its hash, worked out once
    needs_ocr: bool = False
    decrypted: bool = False  # ``pdf`` is the decrypted copy of an owner-password PDF
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PdfFacts:
    page_count: int
    text: str
    text_complete: bool


def text_is_missing(text: str, pages: int) -> bool:
    """A scan without text layer: (almost) no characters on the pages looked at."""
    looked_at = max(1, min(pages, SYNC_TEXT_PAGES))
    return len("".join(text.split())) < MIN_CHARS_PER_PAGE * looked_at / 2


def inspect(
    data: bytes, filename: str, sha256: str, bounds: inspection.Bounds | None = None
) -> Content:
    """Detect the type from the content and learn pages and text within ``bounds`` (PDFs
    and images in a child process); nothing is stored yet."""
    bounds = bounds or inspection_bounds(None)
    ftype = detect_type(data)
    stored_name, notes = name_for_type(filename, ftype)
    content = Content(filename=stored_name, ftype=ftype, data=data, sha256=sha256, notes=notes)
    if ftype.code == "pdf":
        _inspect_pdf_contained(content, data, bounds)
        content.needs_ocr = text_is_missing(content.text, content.page_count)
        if content.decrypted:
            content.notes.append(DECRYPTED_NOTE)
    elif ftype.code in {"png", "jpeg", "tiff"}:
        with refusals():
            facts, _ = inspection.inspect_contained("image", data, bounds)
        content.page_count = int(facts["page_count"])
        content.needs_ocr = True
    elif ftype.code == "text":
        content.text = decode_text(data)[:MAX_TEXT_CHARS]
    elif ftype.office:
        _inspect_office(content, bounds)
    if content.needs_ocr:
        content.notes.append(NEEDS_OCR_NOTE)
    return content


def _inspect_pdf_contained(content: Content, pdf: bytes, bounds: inspection.Bounds) -> None:
    """Pages and text of a PDF, learnt in the bounded child. A PDF that only restricts
    permissions comes back decrypted: that copy is what the viewer, the text and the
    Aktenauszug use, the original stays as delivered."""
    with refusals():
        facts, decrypted = inspection.inspect_contained("pdf", pdf, bounds)
    content.page_count = int(facts["page_count"])
    content.text = "\n\f".join(facts["texts"])[:MAX_TEXT_CHARS]
    content.text_complete = bool(facts["text_complete"])
    if decrypted is not None:
        content.pdf, content.pdf_sha256 = decrypted, hashlib.sha256(decrypted).hexdigest()
        content.decrypted = True


def _inspect_office(content: Content, bounds: inspection.Bounds) -> None:
    binary = office_converter()
    if binary is None:
        content.notes.append(NO_OFFICE_PREVIEW)
        return
    try:
        pdf = convert_office_to_pdf(content.data, content.ftype, binary)
        rendering = Content(filename="", ftype=TYPES["pdf"], data=pdf, sha256="")
        _inspect_pdf_contained(rendering, pdf, bounds)
    except DocumentRejected as exc:
        if exc.code in {
            "too_many_pages",
            "unpacked_too_large",
            "image_too_large",
            "inspection_limit",
        }:
            raise
        logger.warning("office conversion failed: %s", exc)
        content.notes.append(FAILED_OFFICE_PREVIEW)
        return
    except ConversionFailed as exc:
        logger.warning("office conversion failed: %s", exc)
        content.notes.append(FAILED_OFFICE_PREVIEW)
        return
    content.pdf, content.pdf_sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    content.page_count, content.text = rendering.page_count, rendering.text
    content.text_complete = rendering.text_complete
