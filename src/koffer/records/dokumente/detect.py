"""Ingest step 1, detect: what a file is, by its bytes (never by its name)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from koffer.records.dokumente import inspection
from koffer.records.dokumente.limits import inspection_bounds, refusals
from koffer.records.errors import DocumentRejected

# --- File types --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    code: str
    mime: str
    label: str  # German, for result lines
    extensions: tuple[str, ...]  # the first is the canonical one
    office: bool = False


_TYPES = [
    FileType("pdf", "application/pdf", "ein PDF-Dokument", ("pdf",)),
    FileType("png", "image/png", "ein PNG-Bild", ("png",)),
    FileType("jpeg", "image/jpeg", "ein JPEG-Bild", ("jpg", "jpeg", "jpe", "jfif")),
    FileType("tiff", "image/tiff", "ein TIFF-Bild", ("tif", "tiff")),
    FileType("text", "text/plain", "eine Textdatei", ("txt", "text", "csv", "tsv", "log", "md")),
    FileType("doc", "application/msword", "ein Word-Dokument", ("doc",), office=True),
    FileType("xls", "application/vnd.ms-excel", "eine Excel-Tabelle", ("xls",), office=True),
    FileType(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ein Word-Dokument",
        ("docx",),
        office=True,
    ),
    FileType(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "eine Excel-Tabelle",
        ("xlsx",),
        office=True,
    ),
    FileType(
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "eine PowerPoint-Präsentation",
        ("pptx",),
        office=True,
    ),
    FileType(
        "odt",
        "application/vnd.oasis.opendocument.text",
        "ein OpenDocument-Text",
        ("odt",),
        office=True,
    ),
    FileType(
        "ods",
        "application/vnd.oasis.opendocument.spreadsheet",
        "eine OpenDocument-Tabelle",
        ("ods",),
        office=True,
    ),
    FileType(
        "odp",
        "application/vnd.oasis.opendocument.presentation",
        "eine OpenDocument-Präsentation",
        ("odp",),
        office=True,
    ),
]
TYPES: dict[str, FileType] = {t.code: t for t in _TYPES}
ACCEPTED_EXTENSIONS: tuple[str, ...] = tuple(f".{e}" for t in _TYPES for e in t.extensions)

UNSUPPORTED_MESSAGE = (
    "Dieser Dateityp wird nicht angenommen. Erlaubt sind PDF, Bilder (PNG, JPEG, TIFF), "
    "Textdateien und Office-Dokumente (Word, Excel, PowerPoint, OpenDocument)."
)

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF_MIMES = {t.mime: t.code for t in _TYPES if t.code in {"odt", "ods", "odp"}}
_OOXML_PARTS = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}


def detect_type(data: bytes) -> FileType:
    """What the bytes are, judged by their content alone (the name may lie).
    Raises DocumentRejected for anything not accepted."""
    head = data[:1024]
    if b"%PDF-" in head:
        return TYPES["pdf"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return TYPES["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return TYPES["jpeg"]
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TYPES["tiff"]
    if head.startswith(_OLE2):
        return _detect_ole(data)
    if head.startswith(b"PK\x03\x04"):
        return _detect_zip(data)
    if head.startswith((b"MZ", b"\x7fELF", b"#!")):
        raise DocumentRejected("unsupported_type", "Programme und Skripte werden nicht angenommen.")
    if _looks_like_text(data):
        return TYPES["text"]
    raise DocumentRejected("unsupported_type", UNSUPPORTED_MESSAGE)


def _detect_ole(data: bytes) -> FileType:
    """Old binary Office files: the stream names in the directory tell Word from Excel."""
    if "WordDocument".encode("utf-16-le") in data:
        return TYPES["doc"]
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return TYPES["xls"]
    raise DocumentRejected("unsupported_type", UNSUPPORTED_MESSAGE)


def _detect_zip(data: bytes) -> FileType:
    # Before any member is read: a member may inflate to gigabytes.
    with refusals():
        inspection.inspect_contained("zip", data, inspection_bounds(None))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mime = member.read(200).decode("ascii", "replace").strip()
                if mime in _ODF_MIMES:
                    return TYPES[_ODF_MIMES[mime]]
            for part, code in _OOXML_PARTS.items():
                if part in names:
                    return TYPES[code]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError) as exc:
        raise DocumentRejected(
            "corrupt_file", "Die Datei ist beschädigt: Ihr ZIP-Inhalt ist nicht lesbar."
        ) from exc
    raise DocumentRejected(
        "unsupported_type",
        "ZIP-Archive werden nicht angenommen. Bitte entpacken Sie das Archiv und laden Sie "
        "die einzelnen Dateien hoch.",
    )


def _looks_like_text(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with byte order mark
    sample = data[:65536]
    if b"\x00" in sample:
        return False
    text = decode_text(sample)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\x1b")
    return controls <= len(text) // 100


def decode_text(data: bytes) -> str:
    """Plain text: UTF-16 by its byte order mark, else UTF-8, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
