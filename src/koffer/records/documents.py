"""Documents in the E-Akte: the ingest pipeline and every write to a document.

Ingest is a chain of small steps, each testable alone (paperless-ngx style)::

    clean_filename → read_within_limit → sha256 → find_duplicate → detect_type
      → name_for_type → inspect (PDF / image / text / Office with LibreOffice)
      → store blobs → one transaction: rows, search index, audit event

The slow, fallible work (reading, converting, extracting) happens before the
transaction; the transaction only writes rows, so it is short and either everything of
a document is stored or nothing is. Blobs are announced in the blob ledger before they
are written, so a failure or crash before the commit leaves none behind (see
blob_ledger.py). Every file of a multi-file upload gets its own result
line with a German reason; one bad file never stops the others, and none vanishes
silently.

Nothing is rendered at ingest (page images come lazily, see pages.py). Text is
extracted from the first ``SYNC_TEXT_PAGES`` pages at once; longer PDFs get the rest
from a background task after commit, which keeps the upload of a thick PDF fast.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import unicodedata
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, When
from django.utils import timezone
from django_tasks import task

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.blobs.store import get_store
from koffer.records import access as records_access
from koffer.records import blob_ledger, inspection, search
from koffer.records.models import Akte, Dokument, DokumentVersion, Vorgang
from koffer.records.selectors import first_subject
from koffer.records.services import RecordsError, RecordsForbidden
from koffer.tenancy.models import Mandant

logger = logging.getLogger("koffer.records.documents")

# Pages whose text is extracted during the upload itself; the rest follows in a task.
SYNC_TEXT_PAGES = 3
# Below this many characters per page a PDF counts as a scan without a text layer.
MIN_CHARS_PER_PAGE = 20
# Text is for search and screen readers; beyond this it stops (a 100 MB log file).
MAX_TEXT_CHARS = 20_000_000
FALLBACK_NAME = "Dokument"

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


class DocumentRejected(RecordsError):
    """A file that cannot be taken in, with a stable code and a German reason."""


@contextmanager
def refusals() -> Iterator[None]:
    """A refusal of the bounded inspection becomes a DocumentRejected."""
    try:
        yield
    except inspection.Refused as exc:
        raise DocumentRejected(exc.code, exc.message) from exc


def inspection_bounds(
    tenant_id: uuid.UUID | None, *, text_pages: int | None = SYNC_TEXT_PAGES
) -> inspection.Bounds:
    """The limits for inspecting one file: the Mandant's page and frame limits (or the
    settings' defaults), the decompression and process limits from the settings."""
    max_pages = int(settings.KOFFER_MAX_PAGES_PER_FILE)
    max_frames = int(settings.KOFFER_MAX_IMAGE_FRAMES)
    if tenant_id is not None:
        row = (
            Mandant.objects.filter(pk=tenant_id)
            .values("max_pages_per_file", "max_image_frames")
            .first()
        )
        if row is not None:
            max_pages = row["max_pages_per_file"] or max_pages
            max_frames = row["max_image_frames"] or max_frames
    return inspection.Bounds(
        max_pages=max_pages,
        max_frames=max_frames,
        max_unpacked_bytes=int(settings.KOFFER_INSPECT_MAX_UNPACKED_BYTES),
        max_zip_bytes=int(settings.KOFFER_INSPECT_MAX_ZIP_BYTES),
        max_total_unpacked_bytes=int(settings.KOFFER_INSPECT_MAX_PDF_TOTAL_BYTES),
        max_pixels=int(settings.KOFFER_INSPECT_MAX_PIXELS),
        memory_bytes=int(settings.KOFFER_INSPECT_MEMORY_BYTES),
        # Reading all pages' text is a job's work (no request waits), the rest an upload's.
        seconds=int(
            settings.KOFFER_INSPECT_SECONDS
            if text_pages is not None
            else settings.KOFFER_INSPECT_JOB_SECONDS
        ),
        text_pages=text_pages,
    )


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


# --- File names and sizes ----------------------------------------------------------------------


def clean_filename(raw: str) -> str:
    """The base name only, without control or direction-override characters; never used
    as a path (blobs are named by hash), only shown and offered on download."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if not name:
        return FALLBACK_NAME
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 190 - len(ext)]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    return name


def split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or " " in ext or len(ext) > 10:
        return name, ""
    return stem, ext.lower()


def name_for_type(name: str, ftype: FileType) -> tuple[str, list[str]]:
    """The stored file name: the user's, with the extension the content calls for. A name
    whose extension contradicts the content gets a note for the result line."""
    stem, ext = split_extension(name)
    if ext in ftype.extensions:
        return name, []
    fixed = f"{stem}.{ftype.extensions[0]}"
    if not ext:
        return fixed, []
    return fixed, [
        f"Der Inhalt ist {ftype.label}, nicht wie die Endung .{ext} angibt; "
        f"gespeichert als „{fixed}“."
    ]


@dataclass
class IncomingFile:
    """One uploaded file as the client sent it: its claimed name, size and bytes."""

    name: str
    size: int
    stream: IO[bytes]

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> IncomingFile:
        return cls(name=name, size=len(data), stream=io.BytesIO(data))


def max_upload_bytes() -> int:
    return int(settings.KOFFER_MAX_UPLOAD_BYTES)


def format_megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def read_within_limit(file: IncomingFile) -> bytes:
    """The file's bytes, refusing empty files and files over the upload limit before
    reading more than the limit."""
    limit = max_upload_bytes()
    if file.size > limit:
        raise DocumentRejected(
            "too_large",
            f"Die Datei ist größer als die erlaubten {format_megabytes(limit)} "
            f"({format_megabytes(file.size)}).",
        )
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise DocumentRejected(
            "too_large", f"Die Datei ist größer als die erlaubten {format_megabytes(limit)}."
        )
    if not data:
        raise DocumentRejected("empty_file", "Die Datei ist leer (0 Byte).")
    return data


# --- Inspecting content ------------------------------------------------------------------------


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


def office_converter() -> str | None:
    """Path of LibreOffice's ``soffice``, or None when it is not installed."""
    configured = str(getattr(settings, "KOFFER_SOFFICE", "soffice") or "")
    return shutil.which(configured) if configured else None


class ConversionFailed(RuntimeError):
    pass


def convert_office_to_pdf(data: bytes, ftype: FileType, binary: str) -> bytes:
    """The PDF rendering of an Office/ODF file by LibreOffice headless. Each call has its
    own profile folder, so parallel conversions do not clash, and a time limit; the user's
    file name never reaches the file system. Raises ConversionFailed."""
    timeout = int(getattr(settings, "KOFFER_OFFICE_TIMEOUT_SECONDS", 120))
    with tempfile.TemporaryDirectory(prefix="koffer-office-") as tmp:
        folder = Path(tmp)
        source = folder / f"dokument.{ftype.extensions[0]}"
        source.write_bytes(data)
        out = folder / "pdf"
        command = [
            binary,
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nologo",
            "--nodefault",
            f"-env:UserInstallation={(folder / 'profil').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ]
        env = {**os.environ, "HOME": str(folder)}
        process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            # soffice starts child processes: end the whole group.
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ConversionFailed(f"Zeitüberschreitung nach {timeout} s") from exc
        result = out / "dokument.pdf"
        if process.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
            raise ConversionFailed(stderr.decode("utf-8", "replace")[-500:])
        return result.read_bytes()


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


# --- Results -----------------------------------------------------------------------------------


@dataclass
class DocumentMeta:
    """What the user says about a document (the same for every file of one upload)."""

    title: str = ""
    kind: str = "Schreiben"
    direction: str = Dokument.Direction.INCOMING
    sender: str = ""
    received_on: date | None = None
    source: str = Dokument.Source.UPLOAD


@dataclass
class IngestResult:
    """One result line per file: stored, already there, or refused with a reason."""

    filename: str
    outcome: str  # "stored", "duplicate", "rejected"
    code: str
    message: str
    dokument: Dokument | None = None
    version: DokumentVersion | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == "stored"


def _stored_message(content: Content, version_number: int) -> str:
    pages = content.page_count
    what = f"{pages} Seite{'n' if pages != 1 else ''}" if pages else content.ftype.label
    if version_number > 1:
        return f"Als Version {version_number} gespeichert ({what})."
    return f"Gespeichert ({what})."


DUPLICATE_MESSAGE = "Genau diese Datei liegt schon als Dokument in dieser Akte vor."
DUPLICATE_ELSEWHERE_MESSAGE = (
    "Genau diese Datei liegt schon als Dokument in der Akte {aktenzeichen} vor."
)


# --- Services ----------------------------------------------------------------------------------


def _clean_meta(meta: DocumentMeta) -> DocumentMeta:
    if meta.direction not in Dokument.Direction.values:
        raise RecordsError("direction_unknown", "Diese Richtung gibt es nicht.")
    if meta.source not in Dokument.Source.values:
        raise RecordsError("source_unknown", "Diese Herkunft gibt es nicht.")
    kind = (meta.kind or "").strip()[:60] or "Schreiben"
    return DocumentMeta(
        title=(meta.title or "").strip()[:300],
        kind=kind,
        direction=meta.direction,
        sender=(meta.sender or "").strip()[:200],
        received_on=meta.received_on,
        source=meta.source,
    )


def _check_target(akte: Akte, vorgang: Vorgang | None) -> None:
    if akte.status != Akte.Status.OPEN:
        raise RecordsError(
            "akte_not_open", "In einer geschlossenen Akte können keine Dokumente abgelegt werden."
        )
    if vorgang is not None and vorgang.akte_id != akte.pk:
        raise RecordsError("vorgang_foreign", "Der Vorgang gehört zu einer anderen Akte.")


def ingest_files(
    *,
    actor: Any,
    akte: Akte,
    files: Sequence[IncomingFile],
    meta: DocumentMeta | None = None,
    vorgang: Vorgang | None = None,
    upload_key: str = "",
    access: Access | None = None,
) -> list[IngestResult]:
    """Take in several files as new documents of ``akte`` (and ``vorgang``): one result per
    file, in order. Each file is stored completely or not at all; a refused file does not
    stop the others. Raises RecordsError only when the target itself is wrong.

    A file whose bytes are already a document the actor may see (``access``: see
    records.access.of_actor) is reported as already there, with that document; see
    :func:`duplicate_scope`.

    With ``upload_key`` (the client's idempotency key) the request can be repeated after a
    crash or a lost answer: a file this actor already stored under the key is answered
    with the same document, and only the files still missing are stored."""
    meta = _clean_meta(meta or DocumentMeta())
    upload_key = clean_upload_key(upload_key)
    _check_target(akte, vorgang)
    scope = duplicate_scope(actor, akte, access)
    single_title = meta.title if len(files) == 1 else ""
    results = []
    for file in files:
        file_meta = DocumentMeta(**{**meta.__dict__, "title": single_title})
        results.append(
            _guarded(
                lambda f=file, m=file_meta: _ingest_new(
                    actor, akte, vorgang, f, m, upload_key, scope
                ),
                file,
            )
        )
    return results


def ingest_file(
    *,
    actor: Any,
    akte: Akte,
    file: IncomingFile,
    meta: DocumentMeta | None = None,
    vorgang: Vorgang | None = None,
    upload_key: str = "",
    access: Access | None = None,
) -> IngestResult:
    """One file as a new document; see ingest_files."""
    return ingest_files(
        actor=actor,
        akte=akte,
        files=[file],
        meta=meta,
        vorgang=vorgang,
        upload_key=upload_key,
        access=access,
    )[0]


def add_version(
    *,
    actor: Any,
    dokument: Dokument,
    file: IncomingFile,
    note: str = "",
    upload_key: str = "",
    access: Access | None = None,
) -> IngestResult:
    """A new immutable version of ``dokument`` from ``file``; it becomes the current one.
    Refused (with a result line) for cancelled documents and for bytes already a document
    the actor may see (see :func:`duplicate_scope`). A repeated request with the same
    ``upload_key`` answers the version it stored."""
    upload_key = clean_upload_key(upload_key)
    if dokument.status == Dokument.Status.CANCELLED:
        raise RecordsError(
            "dokument_cancelled", "Ein storniertes Dokument bekommt keine neuen Versionen."
        )
    scope = duplicate_scope(actor, dokument.akte, access)
    return _guarded(
        lambda: _ingest_version(actor, dokument, file, note.strip()[:300], upload_key, scope),
        file,
    )


def _guarded(step: Any, file: IncomingFile) -> IngestResult:
    """Run one file's ingest; every failure becomes a visible result line, never a 500."""
    name = clean_filename(file.name)
    try:
        result: IngestResult = step()
        return result
    except RecordsError as exc:
        return IngestResult(filename=name, outcome="rejected", code=exc.code, message=exc.message)
    except Exception:
        logger.exception("document ingest failed for %r", name)
        return IngestResult(
            filename=name,
            outcome="rejected",
            code="processing_failed",
            message="Die Datei konnte nicht verarbeitet werden und wurde nicht gespeichert. "
            "Bitte versuchen Sie es erneut oder wenden Sie sich an den IT-Service.",
        )


def _prepare(
    file: IncomingFile, scope: DuplicateScope
) -> tuple[Content | None, Dokument | None, list[uuid.UUID]]:
    """Read and inspect a file and store its blobs, announced in the blob ledger (the
    caller settles or discards the returned marks); or the existing document when the
    bytes are already there."""
    name = clean_filename(file.name)
    data = read_within_limit(file)
    sha256 = hashlib.sha256(data).hexdigest()
    existing = find_duplicate(scope, sha256)
    if existing is not None:
        return None, existing, []
    content = inspect(data, name, sha256, inspection_bounds(scope.tenant_id))
    blobs = [(sha256, data)]
    if content.pdf is not None:
        blobs.append((content.pdf_sha256, content.pdf))
    return content, None, blob_ledger.store_pending(scope.tenant_id, blobs, get_store())


@dataclass(frozen=True)
class DuplicateScope:
    """Where a file counts as already there: the active documents ``among`` admits;
    one in the target Akte (``akte_id``) is named first."""

    tenant_id: uuid.UUID
    akte_id: uuid.UUID
    among: Q


def duplicate_scope(actor: Any, akte: Akte, access: Access | None) -> DuplicateScope:
    """A person is told about the same bytes only in Akten they may see. Telling them of
    a copy in an Akte hidden from them would confirm that the file exists there, and
    refusing it would keep a second department from filing the same letter; so such a
    file is stored again, as a document of its own (the blob store is content-addressed
    and the blob ledger counts every version that points to a blob, so the bytes are
    not doubled and never removed while a version needs them). The system (imports,
    the demo) sees no department's Akten: it is stopped only within the target Akte."""
    if not isinstance(actor, User) and access is None:
        return DuplicateScope(akte.tenant_id, akte.pk, Q(dokument__akte_id=akte.pk))
    grants = records_access.of_actor(actor, akte.tenant_id, access)
    among = records_access.akten_q(
        grants, records_access.user_id_of(actor), prefix="dokument__akte__"
    )
    return DuplicateScope(akte.tenant_id, akte.pk, among)


def find_duplicate(scope: DuplicateScope, sha256: str) -> Dokument | None:
    """The active document within ``scope`` that has a version with these exact bytes,
    one in the target Akte first."""
    version = (
        DokumentVersion.objects.for_tenant(scope.tenant_id)
        .filter(scope.among, sha256=sha256, dokument__status=Dokument.Status.ACTIVE)
        .select_related("dokument__akte")
        .order_by(Case(When(dokument__akte_id=scope.akte_id, then=0), default=1), "pk")
        .first()
    )
    return version.dokument if version is not None else None


def _duplicate_result(
    file: IncomingFile, existing: Dokument, scope: DuplicateScope
) -> IngestResult:
    return _duplicate_result_named(clean_filename(file.name), existing, scope)


def _duplicate_result_named(
    filename: str, existing: Dokument, scope: DuplicateScope
) -> IngestResult:
    message = (
        DUPLICATE_MESSAGE
        if existing.akte_id == scope.akte_id
        else DUPLICATE_ELSEWHERE_MESSAGE.format(aktenzeichen=existing.akte.aktenzeichen)
    )
    return IngestResult(
        filename=filename,
        outcome="duplicate",
        code="duplicate",
        message=message,
        dokument=existing,
    )


def _ingest_new(
    actor: Any,
    akte: Akte,
    vorgang: Vorgang | None,
    file: IncomingFile,
    meta: DocumentMeta,
    upload_key: str,
    scope: DuplicateScope,
) -> IngestResult:
    file, earlier = _earlier_upload(file, akte.tenant_id, upload_key, actor)
    if earlier is not None and earlier.dokument.akte_id == akte.pk:
        return _replayed(file, earlier)
    content, existing, pending = _prepare(file, scope)
    if existing is not None:
        return _duplicate_result(file, existing, scope)
    assert content is not None
    try:
        result = _write_new(actor, akte, vorgang, content, meta, pending, upload_key, scope)
    except IntegrityError:
        blob_ledger.discard(pending)
        return _replayed_after_race(
            file, akte.tenant_id, upload_key, content.sha256, actor, akte_id=akte.pk
        )
    except BaseException:
        blob_ledger.discard(pending)
        raise
    if not result.ok:
        blob_ledger.discard(pending)  # a parallel upload stored the same bytes meanwhile
    return result


# --- Idempotent uploads --------------------------------------------------------------------------

REPLAYED_MESSAGE = (
    "Bereits gespeichert: Diese Anfrage wurde wiederholt; nichts wurde doppelt abgelegt."
)


def clean_upload_key(raw: str | None) -> str:
    """The client's idempotency key: up to 100 visible ASCII characters (a UUID is usual),
    or "" for none."""
    key = (raw or "").strip()
    if key and (len(key) > 100 or not all(33 <= ord(ch) < 127 for ch in key)):
        raise RecordsError(
            "idempotency_key_invalid",
            "Der Idempotency-Key besteht aus höchstens 100 sichtbaren ASCII-Zeichen "
            "(zum Beispiel einer UUID).",
        )
    return key


def _earlier_upload(
    file: IncomingFile, tenant_id: uuid.UUID, upload_key: str, actor: Any
) -> tuple[IncomingFile, DokumentVersion | None]:
    """With a key: the version that the same actor already stored from these bytes under
    this key (a retried request), and the file to go on with (its bytes read once)."""
    if not upload_key:
        return file, None
    data = read_within_limit(file)
    sha256 = hashlib.sha256(data).hexdigest()
    again = IncomingFile(name=file.name, size=len(data), stream=io.BytesIO(data))
    return again, _stored_under_key(tenant_id, upload_key, sha256, actor)


def _stored_under_key(
    tenant_id: uuid.UUID, upload_key: str, sha256: str, actor: Any
) -> DokumentVersion | None:
    # Only the actor who used the key gets the answer: another one's key tells nothing.
    user_id = actor.pk if isinstance(actor, User) else None
    return (
        DokumentVersion.objects.for_tenant(tenant_id)
        .filter(upload_key=upload_key, sha256=sha256, created_by_id=user_id)
        .select_related("dokument")
        .first()
    )


def _replayed(file: IncomingFile, version: DokumentVersion) -> IngestResult:
    return IngestResult(
        filename=clean_filename(file.name),
        outcome="stored",
        code="stored",
        message=REPLAYED_MESSAGE,
        dokument=version.dokument,
        version=version,
    )


def _replayed_after_race(
    file: IncomingFile,
    tenant_id: uuid.UUID,
    upload_key: str,
    sha256: str,
    actor: Any,
    *,
    akte_id: uuid.UUID,
    dokument_id: uuid.UUID | None = None,
) -> IngestResult:
    """A twin request with the same key committed first: answer what it stored, if it
    stored it where this request aims (``akte_id``, and ``dokument_id`` for a version).
    The key used for another target is another request's, whatever the bytes: its
    document may lie in an Akte the actor no longer sees."""
    earlier = _stored_under_key(tenant_id, upload_key, sha256, actor) if upload_key else None
    if earlier is not None and (
        earlier.dokument.akte_id != akte_id
        or (dokument_id is not None and earlier.dokument_id != dokument_id)
    ):
        earlier = None
    if earlier is None:
        raise RecordsError(
            "idempotency_key_taken",
            "Dieser Idempotency-Key gehört zu einer anderen Anfrage. Bitte verwenden Sie für "
            "jede neue Anfrage einen neuen Schlüssel.",
        )
    return _replayed(file, earlier)


def _write_new(
    actor: Any,
    akte: Akte,
    vorgang: Vorgang | None,
    content: Content,
    meta: DocumentMeta,
    pending: list[uuid.UUID],
    upload_key: str,
    scope: DuplicateScope,
) -> IngestResult:
    now = timezone.now()
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        again = find_duplicate(scope, content.sha256)
        if again is not None:  # stored by a parallel upload meanwhile
            return _duplicate_result_named(content.filename, again, scope)
        dokument = Dokument.objects.create(
            tenant_id=akte.tenant_id,
            akte=akte,
            vorgang=vorgang,
            title=meta.title or split_extension(content.filename)[0][:300],
            kind=meta.kind,
            direction=meta.direction,
            sender=meta.sender,
            received_on=meta.received_on,
            source=meta.source,
            needs_ocr=content.needs_ocr,
            page_count=content.page_count,
            created_at=now,
            created_by=user,
        )
        version = _create_version(dokument, content, 1, user, now, note="", upload_key=upload_key)
        Akte.objects.for_tenant(akte.tenant_id).filter(pk=akte.pk).update(updated_at=now)
        if vorgang is not None:
            _vorgang_step(vorgang, user, "dokument", f"Dokument abgelegt: {dokument.title}", now)
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="records.dokument.create",
            obj=dokument,
            subject=first_subject(akte),
            changes={
                "akte": str(akte.pk),
                "vorgang": str(vorgang.pk) if vorgang else None,
                "title": dokument.title,
                "kind": dokument.kind,
                "direction": dokument.direction,
                "source": dokument.source,
                **_version_facts(version),
                **_decrypted_fact(content),
            },
        )
        blob_ledger.settle(pending)
        _after_commit(version, content)
    return IngestResult(
        filename=content.filename,
        outcome="stored",
        code="stored",
        message=_stored_message(content, 1),
        dokument=dokument,
        version=version,
        notes=content.notes,
    )


def _ingest_version(
    actor: Any,
    dokument: Dokument,
    file: IncomingFile,
    note: str,
    upload_key: str,
    scope: DuplicateScope,
) -> IngestResult:
    file, earlier = _earlier_upload(file, dokument.tenant_id, upload_key, actor)
    if earlier is not None and earlier.dokument_id == dokument.pk:
        return _replayed(file, earlier)
    content, existing, pending = _prepare(file, scope)
    if existing is not None:
        return _duplicate_result(file, existing, scope)
    assert content is not None
    try:
        result = _write_version(actor, dokument, content, note, pending, upload_key, scope)
    except IntegrityError:
        blob_ledger.discard(pending)
        return _replayed_after_race(
            file,
            dokument.tenant_id,
            upload_key,
            content.sha256,
            actor,
            akte_id=dokument.akte_id,
            dokument_id=dokument.pk,
        )
    except BaseException:
        blob_ledger.discard(pending)
        raise
    if not result.ok:
        blob_ledger.discard(pending)
    return result


def _write_version(
    actor: Any,
    dokument: Dokument,
    content: Content,
    note: str,
    pending: list[uuid.UUID],
    upload_key: str,
    scope: DuplicateScope,
) -> IngestResult:
    now = timezone.now()
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        again = find_duplicate(scope, content.sha256)
        if again is not None:
            return _duplicate_result_named(content.filename, again, scope)
        locked = (
            Dokument.objects.for_tenant(dokument.tenant_id).select_for_update().get(pk=dokument.pk)
        )
        if locked.status == Dokument.Status.CANCELLED:
            raise RecordsError(
                "dokument_cancelled", "Ein storniertes Dokument bekommt keine neuen Versionen."
            )
        last = (
            DokumentVersion.objects.for_tenant(dokument.tenant_id)
            .filter(dokument_id=dokument.pk)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        number = (last or 0) + 1
        version = _create_version(
            locked, content, number, user, now, note=note, upload_key=upload_key
        )
        locked.needs_ocr = content.needs_ocr
        locked.page_count = content.page_count
        locked.save(update_fields=["current_version", "needs_ocr", "page_count"])
        Akte.objects.for_tenant(dokument.tenant_id).filter(pk=dokument.akte_id).update(
            updated_at=now
        )
        audit.record(
            actor=actor,
            tenant_id=dokument.tenant_id,
            action="records.dokument.version",
            obj=locked,
            subject=first_subject(locked.akte),
            changes={**_version_facts(version), **_decrypted_fact(content)},
            reason=note,
        )
        blob_ledger.settle(pending)
        _after_commit(version, content)
    dokument.refresh_from_db()
    return IngestResult(
        filename=content.filename,
        outcome="stored",
        code="stored",
        message=_stored_message(content, number),
        dokument=dokument,
        version=version,
        notes=content.notes,
    )


def _create_version(
    dokument: Dokument,
    content: Content,
    number: int,
    user: User | None,
    now: Any,
    *,
    note: str,
    upload_key: str,
) -> DokumentVersion:
    version = DokumentVersion.objects.create(
        tenant_id=dokument.tenant_id,
        dokument=dokument,
        number=number,
        filename=content.filename,
        mime_type=content.ftype.mime,
        size=len(content.data),
        sha256=content.sha256,
        pdf_sha256=content.pdf_sha256,
        page_count=content.page_count,
        text=content.text,
        created_at=now,
        created_by=user,
        note=note,
        upload_key=upload_key,
    )
    dokument.current_version = version
    Dokument.objects.for_tenant(dokument.tenant_id).filter(pk=dokument.pk).update(
        current_version=version
    )
    search.index_version(version)
    return version


def _version_facts(version: DokumentVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "filename": version.filename,
        "mime_type": version.mime_type,
        "size": version.size,
        "sha256": version.sha256,
        "pdf_sha256": version.pdf_sha256 or None,
        "page_count": version.page_count,
    }


def _decrypted_fact(content: Content) -> dict[str, Any]:
    # The audit says that the working copy (pdf_sha256) is a decrypted one.
    return {"decrypted": True} if content.decrypted else {}


def _after_commit(version: DokumentVersion, content: Content) -> None:
    if content.text_complete:
        return
    version_id = str(version.pk)
    transaction.on_commit(lambda: complete_text.enqueue(version_id), robust=True)


def _vorgang_step(vorgang: Vorgang, user: User | None, action: str, detail: str, at: Any) -> None:
    from koffer.records.models import VorgangSchritt

    VorgangSchritt.objects.create(
        tenant_id=vorgang.tenant_id,
        vorgang=vorgang,
        at=at,
        actor=user,
        action=action,
        detail=detail[:500],
    )


@task()
def complete_text(version_id: str) -> int:
    """Background: the full text of a long PDF whose upload extracted only the first pages."""
    version = (
        DokumentVersion.objects.unscoped()
        .select_related("dokument")
        .filter(pk=uuid.UUID(version_id))
        .first()
    )
    if version is None:
        return 0
    return extract_full_text(version)


def extract_full_text(version: DokumentVersion) -> int:
    """Replace the version's text with the text of all its pages and index it again.
    Text is derived data: the version's bytes stay as they are. Returns the text length."""
    sha256 = version.pdf_sha256 or version.sha256
    with get_store().open(sha256) as stream:
        data = stream.read()
    # In the bounded child as at upload: a job is no place for an unbounded decompression.
    with refusals():
        found, _ = inspection.inspect_contained(
            "pdf", data, inspection_bounds(version.tenant_id, text_pages=None)
        )
    facts = PdfFacts(
        page_count=int(found["page_count"]),
        text="\n\f".join(found["texts"])[:MAX_TEXT_CHARS],
        text_complete=True,
    )
    with transaction.atomic():
        DokumentVersion.objects.for_tenant(version.tenant_id).filter(pk=version.pk).update(
            text=facts.text
        )
        version.text = facts.text
        dokument = version.dokument
        if dokument.current_version_id == version.pk and dokument.needs_ocr:
            still_missing = (
                len("".join(facts.text.split())) < MIN_CHARS_PER_PAGE * facts.page_count / 2
            )
            if not still_missing:
                Dokument.objects.for_tenant(version.tenant_id).filter(pk=dokument.pk).update(
                    needs_ocr=False
                )
        search.index_version(version)
    return len(facts.text)


# --- Move, cancel, metadata --------------------------------------------------------------------


def _need_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RecordsError("reason_required", "Bitte geben Sie einen Grund an.")
    return reason[:500]


def move_dokument(
    *,
    actor: Any,
    dokument: Dokument,
    vorgang: Vorgang | None,
    reason: str,
    access: Access | None = None,
) -> Dokument:
    """Put the document into another Vorgang of the same Akte (None: directly in the Akte),
    with a reason; the move is audited and noted in both Vorgänge. The actor must be able
    to edit the Akte (``access``: see records.access.of_actor). Never into another Akte:
    that would show it to the other Akte's readers, so the target is checked here too."""
    reason = _need_reason(reason)
    grants = records_access.of_actor(actor, dokument.tenant_id, access)
    if not records_access.can_edit(grants, records_access.user_id_of(actor), dokument.akte):
        raise RecordsForbidden("forbidden", "Sie dürfen diese Akte nicht ändern.")
    if vorgang is not None and vorgang.akte_id != dokument.akte_id:
        raise RecordsError("vorgang_foreign", "Der Vorgang gehört zu einer anderen Akte.")
    if dokument.status == Dokument.Status.CANCELLED:
        raise RecordsError(
            "dokument_cancelled", "Ein storniertes Dokument kann nicht verschoben werden."
        )
    old = dokument.vorgang
    if (old.pk if old else None) == (vorgang.pk if vorgang else None):
        raise RecordsError("same_vorgang", "Das Dokument liegt bereits dort.")
    now = timezone.now()
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        dokument.vorgang = vorgang
        dokument.save(update_fields=["vorgang"])
        if old is not None:
            _vorgang_step(
                old,
                user,
                "dokument",
                f"Dokument verschoben: {dokument.title}. Grund: {reason}",
                now,
            )
        if vorgang is not None:
            _vorgang_step(
                vorgang,
                user,
                "dokument",
                f"Dokument hierher verschoben: {dokument.title}. Grund: {reason}",
                now,
            )
        audit.record(
            actor=actor,
            tenant_id=dokument.tenant_id,
            action="records.dokument.move",
            obj=dokument,
            subject=first_subject(dokument.akte),
            changes={
                "vorgang": {
                    "old": str(old.pk) if old else None,
                    "new": str(vorgang.pk) if vorgang else None,
                }
            },
            reason=reason,
        )
    return dokument


def cancel_dokument(*, actor: Any, dokument: Dokument, reason: str) -> Dokument:
    """Cancel (stornieren) with a reason: the document stays, visibly marked; nothing is
    ever deleted here (deleting belongs to the retention process)."""
    reason = _need_reason(reason)
    if dokument.status == Dokument.Status.CANCELLED:
        raise RecordsError("dokument_cancelled", "Das Dokument ist bereits storniert.")
    with transaction.atomic():
        dokument.status = Dokument.Status.CANCELLED
        dokument.cancel_reason = reason
        dokument.save(update_fields=["status", "cancel_reason"])
        audit.record(
            actor=actor,
            tenant_id=dokument.tenant_id,
            action="records.dokument.cancel",
            obj=dokument,
            subject=first_subject(dokument.akte),
            changes={"status": {"old": Dokument.Status.ACTIVE, "new": Dokument.Status.CANCELLED}},
            reason=reason,
        )
    return dokument


def change_metadata(*, actor: Any, dokument: Dokument, meta: DocumentMeta) -> Dokument:
    """Change title, kind, direction, sender or date of receipt; the old values stay in the
    audit log. The content is untouched (a content change is a new version)."""
    meta = _clean_meta(meta)
    if not meta.title:
        raise RecordsError("title_required", "Bitte geben Sie einen Titel an.")
    fields = ["title", "kind", "direction", "sender", "received_on"]
    old = {f: getattr(dokument, f) for f in fields}
    new = {f: getattr(meta, f) for f in fields}
    changes = audit.diff(old, new)
    if not changes:
        return dokument
    with transaction.atomic():
        for name, value in new.items():
            setattr(dokument, name, value)
        dokument.save(update_fields=fields)
        search.index_dokument(dokument)
        audit.record(
            actor=actor,
            tenant_id=dokument.tenant_id,
            action="records.dokument.change",
            obj=dokument,
            subject=first_subject(dokument.akte),
            changes=changes,
        )
    return dokument


def record_read(*, actor: Any, dokument: Dokument, purpose: str) -> None:
    """Audit that ``actor`` opened or downloaded the document (once per view)."""
    audit.read(
        actor=actor,
        tenant_id=dokument.tenant_id,
        obj=dokument,
        subject=first_subject(dokument.akte),
        purpose=purpose,
    )
