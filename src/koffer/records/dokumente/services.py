"""Documents in the E-Akte: the ingest pipeline and every write to a document.

Ingest is a chain of small steps, each testable alone (paperless-ngx style)::

    clean_filename → read_within_limit → sha256 → find_duplicate → detect_type
      → name_for_type → inspect (PDF / image / text / Office with LibreOffice)
      → store blobs → one transaction: rows, search index, audit event

The steps live in their own modules (naming.py: file names and the size limit,
detect.py: the type by its bytes, content.py: inspect, with convert.py for Office files
and limits.py for the inspection child's bounds); this module chains them and writes.

The slow, fallible work (reading, converting, extracting) happens before the
transaction; the transaction only writes rows, so it is short and either everything of
a document is stored or nothing is. Blobs are announced in the blob ledger before they
are written, so a failure or crash before the commit leaves none behind (see
blob_ledger.py). Every file of a multi-file upload gets its own result
line with a German reason; one bad file never stops the others, and none vanishes
silently.

Nothing is rendered at ingest (page images come lazily, see pages.py). Text is
extracted from the first ``SYNC_TEXT_PAGES`` pages at once; longer PDFs get the rest
from a background task after commit (tasks.py), which keeps the upload of a thick PDF fast.
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import partial
from typing import IO, Any, TypeVar, cast

from django.db import IntegrityError, transaction
from django.db.models import Case, When
from django.utils import timezone
from uuid6 import uuid7

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.audit.services import Actor
from koffer.blobs.store import BlobStoreUnavailable, get_store
from koffer.records import access as records_access
from koffer.records.documents import complete_text
from koffer.records.dokumente import blob_ledger
from koffer.records.dokumente.content import Content, inspect
from koffer.records.dokumente.detect import detect_type
from koffer.records.dokumente.inspection import Bounds
from koffer.records.dokumente.limits import inspection_bounds
from koffer.records.dokumente.naming import (
    IncomingFile,
    clean_filename,
    read_within_limit,
    split_extension,
)
from koffer.records.errors import DocumentRejected, RecordsError, RecordsForbidden
from koffer.records.models import Akte, Dokument, DokumentVersion, PendingBlob, Person, Vorgang
from koffer.records.selectors import first_subject
from koffer.records.suche import services as search

logger = logging.getLogger("koffer.records.documents")

T = TypeVar("T")


class Unread:
    """A parameter the caller did not pass because it has not read it (the Akte's first
    person): the service reads it itself. None is a real answer (an Akte without one)."""


UNREAD = Unread()

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


def _stored(content: Content, dokument: Dokument, version: DokumentVersion) -> IngestResult:
    """The result of a file stored as a new Dokument or as its next version."""
    pages = content.page_count
    what = f"{pages} Seite{'n' if pages != 1 else ''}" if pages else content.ftype.label
    message = (
        f"Als Version {version.number} gespeichert ({what})."
        if version.number > 1
        else f"Gespeichert ({what})."
    )
    return IngestResult(
        filename=content.filename,
        outcome="stored",
        code="stored",
        message=message,
        dokument=dokument,
        version=version,
        notes=content.notes,
    )


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


def _with_received_on(meta: DocumentMeta) -> DocumentMeta:
    """A new document without a date of receipt was received the day it was filed: the
    Akte and every Aktenauszug then show the same date, and none shows '–'."""
    if meta.received_on is not None:
        return meta
    return replace(meta, received_on=timezone.localdate())


def check_target(akte: Akte, vorgang: Vorgang | None) -> None:
    """A new Dokument may be filed in ``akte`` (open) and ``vorgang`` (of that Akte)."""
    if akte.status != Akte.Status.OPEN:
        raise RecordsError(
            "akte_not_open", "In einer geschlossenen Akte können keine Dokumente abgelegt werden."
        )
    if vorgang is not None and vorgang.akte_id != akte.pk:
        raise RecordsError("vorgang_foreign", "Der Vorgang gehört zu einer anderen Akte.")


def ingest_files(
    *,
    actor: Actor,
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
    meta = _with_received_on(_clean_meta(meta or DocumentMeta()))
    upload_key = clean_upload_key(upload_key)
    check_target(akte, vorgang)
    scope = records_access.duplicate_scope(actor, akte, access)
    file_meta = DocumentMeta(**{**meta.__dict__, "title": meta.title if len(files) == 1 else ""})
    bounds = inspection_bounds(akte.tenant_id)

    def begin(file: IncomingFile) -> IngestResult | _Read:
        return _begin_new(actor, akte, file, upload_key, scope)

    def finish(inspecting: _Inspecting) -> IngestResult:
        return _finish_new(actor, akte, vorgang, inspecting, file_meta, upload_key, scope)

    # A pipeline of two: file n+1 is inspected in the child (a thread waits for it) while
    # file n is stored and written here. Each file's rows wait for its own blobs only, and
    # the results, rows and audit events keep the files' order.
    results: list[IngestResult] = []
    waiting: _Inspecting | None = None
    with _inspector(len(files)) as inspector:
        for file in files:
            begun = _guarded(partial(begin, file), file)
            inspecting = None
            if isinstance(begun, _Read):
                inspecting = _Inspecting(begun, inspector.submit(begun.inspect, bounds))
            if waiting is not None:
                results.append(_guarded(partial(finish, waiting), waiting.read.file))
            waiting = inspecting
            if isinstance(begun, IngestResult):
                results.append(begun)
        if waiting is not None:
            results.append(_guarded(partial(finish, waiting), waiting.read.file))
    return results


def ingest_file(
    *,
    actor: Actor,
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
    actor: Actor,
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
    if dokument.source == Dokument.Source.LETTER:
        raise RecordsError(
            "dokument_letter",
            "Ein freigegebener Brief ist unveränderlich; eine Korrektur ist ein neuer Brief.",
        )
    scope = records_access.duplicate_scope(actor, dokument.akte, access)
    return _guarded(
        lambda: _ingest_version(actor, dokument, file, note.strip()[:300], upload_key, scope),
        file,
    )


# --- versions made elsewhere (a Koffer's) ---------------------------------------------------


@dataclass(frozen=True)
class ReceivedVersion:
    """A document version made elsewhere (on a Koffer, offline) whose bytes are already in
    the blob store: its own id (a UUIDv7), file name, hash and the time it was made there;
    ``pdf_sha256`` its own working copy of an Office file, if it made one (also stored)."""

    pk: uuid.UUID
    filename: str
    sha256: str
    created_at: datetime
    note: str = ""
    pdf_sha256: str = ""


RECEIVED_MISSING = "Die Datei fehlt im Dateispeicher des Büros."
RECEIVED_HASH = "Die Datei im Dateispeicher hat nicht den angegebenen SHA-256."


def inspect_received(*, tenant_id: uuid.UUID, version: ReceivedVersion) -> Content:
    """The same inspection as a hand upload (size limit, type by the bytes, pages and text
    in the bounded child), on bytes already in the blob store. Slow: call it before the
    transaction that files the version. Raises DocumentRejected with the German reason."""
    store = get_store()
    if not store.exists(version.sha256):
        raise DocumentRejected("blob_missing", RECEIVED_MISSING)
    name = clean_filename(version.filename)
    with store.open(version.sha256) as stream:
        data = read_within_limit(
            IncomingFile(name=name, size=store.size(version.sha256), stream=stream)
        )
    if hashlib.sha256(data).hexdigest() != version.sha256:
        raise DocumentRejected("blob_hash", RECEIVED_HASH)
    content = inspect(data, name, version.sha256, inspection_bounds(tenant_id))
    if content.pdf is not None and version.pdf_sha256 and store.exists(version.pdf_sha256):
        # Its own working copy, made by the same conversion there and stored with it.
        content.pdf, content.pdf_sha256 = None, version.pdf_sha256
    elif content.pdf is not None and not store.exists(content.pdf_sha256):
        # The office's, announced in the blob ledger like an upload's: the version's
        # transaction settles it, else it expires and ``records_blob_gc`` takes it.
        blob_ledger.store_pending(tenant_id, [(content.pdf_sha256, content.pdf)], store)
    return content


def _dokument_anlegen(
    akte: Akte, vorgang: Vorgang | None, meta: DocumentMeta, content: Content, **row: Any
) -> Dokument:
    """Insert a new Dokument of ``akte`` described by ``meta`` and its inspected first
    file ``content``; ``row``: the id, times and author the caller decides."""
    return Dokument.objects.create(
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
        **row,
    )


def _next_version(dokument: Dokument) -> tuple[Dokument, int]:
    """Lock ``dokument`` for a new version (inside the caller's transaction) and answer
    it with the version's number; a cancelled Dokument takes none."""
    locked = Dokument.objects.for_tenant(dokument.tenant_id).select_for_update().get(pk=dokument.pk)
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
    return locked, (last or 0) + 1


def file_received(
    *,
    actor: User,
    akte: Akte,
    pk: uuid.UUID,
    version: ReceivedVersion,
    meta: DocumentMeta | None = None,
    vorgang: Vorgang | None = None,
    created_at: datetime | None = None,
    content: Content | None = None,
    origin: dict[str, Any] | None = None,
) -> DokumentVersion:
    """File a document made elsewhere (a Koffer's) as a new Dokument of ``akte`` with its
    own id ``pk`` and its first version ``version``: inspected like a hand upload
    (``content`` when :func:`inspect_received` ran before the caller's transaction; a
    refusal raises DocumentRejected and writes nothing), numbered 1 and current, made by
    ``actor`` at its original time, indexed and audited as ``records.dokument.create``
    with ``origin`` in the event (e.g. the Koffer's audit event it came from). The same
    ``pk`` again answers the version stored before."""
    meta = _with_received_on(_clean_meta(meta or DocumentMeta()))
    check_target(akte, vorgang)
    earlier = _received_before(akte.tenant_id, version)
    if earlier is not None:
        return earlier
    content = content or inspect_received(tenant_id=akte.tenant_id, version=version)
    made = created_at or version.created_at
    with transaction.atomic():
        dokument = _dokument_anlegen(
            akte, vorgang, meta, content, pk=pk, created_at=made, created_by=actor
        )
        row = _create_received(dokument, content, version, 1, actor)
        Akte.objects.for_tenant(akte.tenant_id).filter(pk=akte.pk).update(updated_at=timezone.now())
        if vorgang is not None:
            _vorgang_step(vorgang, actor, "dokument", f"Dokument abgelegt: {dokument.title}", made)
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
                **_version_facts(row),
                **_decrypted_fact(content),
                **(origin or {}),
            },
        )
        _after_commit(row, content)
    return row


def add_received_version(
    *,
    actor: User,
    dokument: Dokument,
    version: ReceivedVersion,
    content: Content | None = None,
    origin: dict[str, Any] | None = None,
) -> DokumentVersion:
    """A version made elsewhere (a Koffer's) of a document the office has: inspected like
    a hand upload (see :func:`file_received`), given the next number here (the office may
    have added versions meanwhile), made the current one, audited as
    ``records.dokument.version`` with ``origin``. The same version again answers the
    stored one."""
    if dokument.status == Dokument.Status.CANCELLED:
        raise RecordsError(
            "dokument_cancelled", "Ein storniertes Dokument bekommt keine neuen Versionen."
        )
    if dokument.source == Dokument.Source.LETTER:
        raise RecordsError(
            "dokument_letter",
            "Ein freigegebener Brief ist unveränderlich; eine Korrektur ist ein neuer Brief.",
        )
    earlier = _received_before(dokument.tenant_id, version)
    if earlier is not None:
        return earlier
    content = content or inspect_received(tenant_id=dokument.tenant_id, version=version)
    with transaction.atomic():
        locked, number = _next_version(dokument)
        row = _create_received(locked, content, version, number, actor)
        locked.needs_ocr = content.needs_ocr
        locked.page_count = content.page_count
        locked.save(update_fields=["current_version", "needs_ocr", "page_count"])
        Akte.objects.for_tenant(dokument.tenant_id).filter(pk=dokument.akte_id).update(
            updated_at=timezone.now()
        )
        audit.record(
            actor=actor,
            tenant_id=dokument.tenant_id,
            action="records.dokument.version",
            obj=locked,
            subject=first_subject(locked.akte),
            changes={**_version_facts(row), **_decrypted_fact(content), **(origin or {})},
            reason=version.note[:300],
        )
        _after_commit(row, content)
    dokument.refresh_from_db()
    return row


def _received_before(tenant_id: uuid.UUID, version: ReceivedVersion) -> DokumentVersion | None:
    return DokumentVersion.objects.for_tenant(tenant_id).filter(pk=version.pk).first()


def _create_received(
    dokument: Dokument, content: Content, version: ReceivedVersion, number: int, actor: User
) -> DokumentVersion:
    """The version row with its own id, the office's number and what the inspection
    found (its working copy: see :func:`inspect_received`)."""
    row = DokumentVersion.objects.create(
        pk=version.pk,
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
        created_at=version.created_at,
        created_by=actor,
        note=version.note[:300],
    )
    dokument.current_version = row
    Dokument.objects.for_tenant(dokument.tenant_id).filter(pk=dokument.pk).update(
        current_version=row
    )
    # Its files are referenced now: the marks of their uploads go (like an upload's settle).
    PendingBlob.objects.unscoped().filter(
        tenant_id=dokument.tenant_id, sha256__in=[s for s in (row.sha256, row.pdf_sha256) if s]
    ).delete()
    search.index_version(row)
    return row


# --- scans the Posteingang files ---------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """A scanned document as the Posteingang found it: the scanned pages as delivered
    (``original``, a PDF), the same pages with a text layer (``searchable``, None when no
    text recognition ran) and the text of its pages."""

    filename: str
    original: bytes
    searchable: bytes | None
    text: str
    page_count: int


def file_scan(
    *,
    actor: Actor | None,
    akte: Akte,
    scan: Scan,
    meta: DocumentMeta,
    vorgang: Vorgang | None = None,
    key: str,
    access: Access | None = None,
) -> IngestResult:
    """File a scanned document as a new Dokument of ``akte`` (source: scan). The scanned
    pages are the version's bytes, the searchable PDF its working copy (``pdf_sha256``,
    what the viewer shows and the Aktenauszug takes), the recognised text is indexed for
    the search. ``key`` (the idempotency key, e.g. the Eingangsdokument's id) makes a
    repeated call after a crash answer what the first one stored. ``actor`` None: a rule
    of the pipeline filed it (every step below treats a non-person as the system)."""
    meta = _with_received_on(_clean_meta(replace(meta, source=Dokument.Source.SCAN)))
    return _file_pdf(actor, akte, scan, meta, vorgang, key, access)


def file_letter(
    *,
    actor: Actor | None,
    akte: Akte,
    letter: Scan,
    meta: DocumentMeta,
    vorgang: Vorgang | None = None,
    key: str,
    access: Access | None = None,
    neu: bool = False,
    subject: Person | Unread | None = UNREAD,
) -> IngestResult:
    """File a letter of the Postausgang as a new outgoing Dokument of ``akte`` (source:
    letter), the moment it is released. ``letter.original`` is the letter's PDF, its text
    is indexed. A letter's Dokument takes no further versions (:func:`add_version`): a
    correction is a new letter. ``key`` (``postausgang:<letter id>``) makes a repeated call
    after a crash answer what the first one stored; ``neu``: the letter was made in the
    caller's open transaction, so nothing can have been stored under its key yet.
    ``subject``: the Akte's first person (the audit event's subject) where the caller
    has read it already (a serial letter reads a chunk's at once)."""
    meta = _clean_meta(
        replace(meta, source=Dokument.Source.LETTER, direction=Dokument.Direction.OUTGOING)
    )
    # A letter is new by making: its date, reply code and ids make its bytes unique, so
    # looking for a copy elsewhere would cost two queries a letter and never find one.
    return _file_pdf(
        actor,
        akte,
        letter,
        meta,
        vorgang,
        key,
        access,
        duplicates=False,
        earlier=not neu,
        subject=subject,
    )


@dataclass(frozen=True)
class LetterToFile:
    """One letter of :func:`file_letters`: what :func:`file_letter` takes for one."""

    akte: Akte
    letter: Scan
    meta: DocumentMeta
    key: str
    vorgang: Vorgang | None = None
    subject: Person | None = None


def file_letters(*, actor: User, letters: Sequence[LetterToFile]) -> list[Dokument]:
    """File many letters of the Postausgang made in the caller's open transaction (a
    serial letter's chunk), each exactly as :func:`file_letter` with ``neu`` files one —
    its own Dokument, version, search entry, Vorgang step and audit event
    (``records.dokument.create``, in the order of ``letters``) — but each table written
    once for all of them. All or nothing: any failure fails the caller's transaction (the
    blobs stored for them are given up). Returns the Dokumente in the order of
    ``letters``. ``subject``: the Akte's first person (the audit event's subject)."""
    if not letters:
        return []
    now = timezone.now()
    prepared: list[tuple[LetterToFile, DocumentMeta, Content]] = []
    for item in letters:
        meta = _clean_meta(
            replace(item.meta, source=Dokument.Source.LETTER, direction=Dokument.Direction.OUTGOING)
        )
        check_target(item.akte, item.vorgang)
        ftype = detect_type(item.letter.original)
        if ftype.code != "pdf":
            raise DocumentRejected("unsupported_type", SCAN_TYPE_MESSAGE.format(label=ftype.label))
        content = Content(
            filename=clean_filename(item.letter.filename),
            ftype=ftype,
            data=item.letter.original,
            sha256=hashlib.sha256(item.letter.original).hexdigest(),
            text=item.letter.text,
            page_count=item.letter.page_count,
            needs_ocr=not item.letter.text.strip(),
        )
        prepared.append((item, meta, content))
    pending: list[uuid.UUID] = []
    try:
        for item, _meta, content in prepared:
            pending += blob_ledger.store_pending(
                item.akte.tenant_id, [(content.sha256, content.data)], get_store()
            )
        with transaction.atomic(savepoint=False):
            dokumente = _write_letters(actor, prepared, now)
            blob_ledger.settle(pending)
    except BaseException:
        blob_ledger.discard(pending)
        raise
    return dokumente


def _write_letters(
    actor: User, prepared: Sequence[tuple[LetterToFile, DocumentMeta, Content]], now: datetime
) -> list[Dokument]:
    """The rows of :func:`file_letters`: one INSERT a table (the search entries as the
    backend writes many), the Akten's time in one UPDATE, the audit events bundled."""
    dokumente: list[Dokument] = []
    versions: list[DokumentVersion] = []
    for item, meta, content in prepared:
        version_id = uuid7()
        dokument = Dokument(
            id=uuid7(),
            tenant_id=item.akte.tenant_id,
            akte=item.akte,
            vorgang=item.vorgang,
            title=meta.title or split_extension(content.filename)[0][:300],
            kind=meta.kind,
            direction=meta.direction,
            sender=meta.sender,
            received_on=meta.received_on,
            source=meta.source,
            needs_ocr=content.needs_ocr,
            page_count=content.page_count,
            current_version_id=version_id,
            created_at=now,
            created_by=actor,
        )
        dokumente.append(dokument)
        versions.append(
            DokumentVersion(
                id=version_id,
                tenant_id=dokument.tenant_id,
                dokument=dokument,
                number=1,
                filename=content.filename,
                mime_type=content.ftype.mime,
                size=len(content.data),
                sha256=content.sha256,
                pdf_sha256="",
                page_count=content.page_count,
                text=content.text,
                created_at=now,
                created_by=actor,
                note="",
                upload_key=clean_upload_key(item.key),
            )
        )
    Dokument.objects.bulk_create(dokumente)
    DokumentVersion.objects.bulk_create(versions)
    for dokument, version in zip(dokumente, versions, strict=True):
        dokument.current_version = version
    search.index_versions(versions)
    by_tenant: dict[uuid.UUID, set[uuid.UUID]] = {}
    for item, _meta, _content in prepared:
        by_tenant.setdefault(item.akte.tenant_id, set()).add(item.akte.pk)
    for tenant_id, akte_ids in by_tenant.items():
        Akte.objects.for_tenant(tenant_id).filter(pk__in=akte_ids).update(updated_at=now)
    _vorgang_steps(
        [
            (item.vorgang, f"Dokument abgelegt: {dokument.title}")
            for (item, _meta, _content), dokument in zip(prepared, dokumente, strict=True)
            if item.vorgang is not None
        ],
        actor,
        now,
    )
    # One Mandant's events at a time (a serial letter has one), chained in this order.
    for tenant_id in dict.fromkeys(d.tenant_id for d in dokumente):
        with audit.batched(tenant_id), audit.gebuendelt(tenant_id):
            for (item, _meta, content), dokument, version in zip(
                prepared, dokumente, versions, strict=True
            ):
                if dokument.tenant_id != tenant_id:
                    continue
                audit.record(
                    actor=actor,
                    tenant_id=tenant_id,
                    action="records.dokument.create",
                    obj=dokument,
                    subject=item.subject,
                    changes={
                        "akte": str(item.akte.pk),
                        "vorgang": str(item.vorgang.pk) if item.vorgang else None,
                        "title": dokument.title,
                        "kind": dokument.kind,
                        "direction": dokument.direction,
                        "source": dokument.source,
                        **_version_facts(version),
                        **_decrypted_fact(content),
                    },
                )
    return dokumente


def file_form(
    *,
    actor: Actor | None,
    akte: Akte,
    form: Scan,
    meta: DocumentMeta,
    vorgang: Vorgang | None = None,
    key: str,
    access: Access | None = None,
) -> IngestResult:
    """File a submitted form of the Formulare as a new incoming Dokument of ``akte``
    (source: form), received the day it is filed. ``form.original`` is the form's PDF,
    its text is indexed. ``key`` (``formular:<draft id>``) makes a repeated call after a
    crash answer what the first one stored."""
    meta = _with_received_on(
        _clean_meta(
            replace(meta, source=Dokument.Source.FORM, direction=Dokument.Direction.INCOMING)
        )
    )
    # A form is new by making (its date and answers): no copy elsewhere to look for.
    return _file_pdf(actor, akte, form, meta, vorgang, key, access, duplicates=False)


def _file_pdf(
    actor: Actor | None,
    akte: Akte,
    scan: Scan,
    meta: DocumentMeta,
    vorgang: Vorgang | None,
    key: str,
    access: Access | None,
    *,
    duplicates: bool = True,
    earlier: bool = True,
    subject: Person | Unread | None = UNREAD,
) -> IngestResult:
    who = cast(Actor, actor)
    key = clean_upload_key(key)
    check_target(akte, vorgang)
    sha256 = hashlib.sha256(scan.original).hexdigest()
    stored = _stored_under_key(akte.tenant_id, key, sha256, who) if earlier else None
    incoming = IncomingFile(name=scan.filename, size=len(scan.original), stream=io.BytesIO())
    if stored is not None:
        return _replayed(incoming, stored)
    scope = (
        records_access.duplicate_scope(who, akte, access)
        if duplicates
        else records_access.DuplicateScope(akte.tenant_id, akte.pk, records_access.NOTHING)
    )
    existing = find_duplicate(scope, sha256)
    if existing is not None:
        return _duplicate_result(incoming, existing, scope)
    ftype = detect_type(scan.original)
    if ftype.code != "pdf":
        raise DocumentRejected("unsupported_type", SCAN_TYPE_MESSAGE.format(label=ftype.label))
    blobs: list[tuple[str, bytes | IO[bytes]]] = [(sha256, scan.original)]
    pdf_sha256 = ""
    if scan.searchable is not None:
        pdf_sha256 = hashlib.sha256(scan.searchable).hexdigest()
        blobs.append((pdf_sha256, scan.searchable))
    content = Content(
        filename=clean_filename(scan.filename),
        ftype=ftype,
        data=scan.original,
        sha256=sha256,
        text=scan.text,
        page_count=scan.page_count,
        pdf=scan.searchable,
        pdf_sha256=pdf_sha256,
        needs_ocr=not scan.text.strip(),
    )
    pending = blob_ledger.store_pending(akte.tenant_id, blobs, get_store())
    return _settled(
        pending,
        lambda: _write_new(who, akte, vorgang, content, meta, pending, key, scope, subject),
        lambda: _replayed_after_race(incoming, akte.tenant_id, key, sha256, who, akte_id=akte.pk),
    )


# --- blobs another app references (the Posteingang's delivered files) ------------------------


def store_blobs(
    *, tenant_id: uuid.UUID, blobs: Sequence[tuple[str, bytes | IO[bytes]]]
) -> list[uuid.UUID]:
    """Store ``blobs`` (hash, bytes or stream) announced in the blob ledger, like an
    upload's bytes: settle the returned marks (:func:`settle_blobs`) in the transaction
    that writes the rows pointing to them, or :func:`discard_blobs` them when it fails;
    after a crash ``records_blob_gc`` removes what no row took."""
    return blob_ledger.store_pending(tenant_id, blobs, get_store())


BlobsAhead = blob_ledger.Ahead


def blobs_ahead(*, tenant_id: uuid.UUID, datas: Sequence[bytes]) -> blob_ledger.Ahead:
    """Store the bytes of documents about to be filed (a serial letter's chunk) ahead, in
    a thread of their own, announced in the blob ledger; file them inside
    :func:`using_blobs_ahead` and :meth:`~blob_ledger.Ahead.close` it afterwards (outside
    the filing transaction)."""
    return blob_ledger.Ahead(tenant_id, datas, get_store())


def using_blobs_ahead(ahead: blob_ledger.Ahead | None) -> AbstractContextManager[None]:
    """Filings in this block take their blobs from ``ahead`` where it has them."""
    return blob_ledger.using(ahead)


def settle_blobs(pending: Sequence[uuid.UUID]) -> None:
    """Inside the referencing rows' transaction: the blobs are referenced now."""
    blob_ledger.settle(pending)


def discard_blobs(pending: Sequence[uuid.UUID]) -> None:
    """The referencing rows were not written: remove each blob nobody else needs."""
    blob_ledger.discard(pending)


def release_blob(*, tenant_id: uuid.UUID, sha256: str) -> uuid.UUID:
    """Inside the transaction that stops pointing to a blob: its mark, to
    :func:`discard_blobs` after the commit, which removes the blob unless another row
    still points to it (``records_blob_gc`` does it after a crash)."""
    return blob_ledger.release(tenant_id, sha256)


def register_blob_reference(check: Callable[[str], bool]) -> None:
    """Another app's rows point to blobs too: ``check(sha256)`` says whether one does, so
    that a failed upload of the same bytes never removes them."""
    blob_ledger.register_reference(check)


SCAN_TYPES = frozenset({"pdf", "tiff"})
SCAN_TYPE_MESSAGE = (
    "Gescannte Dateien werden nur als PDF oder TIFF angenommen; diese Datei ist {label}."
)


def inspect_scan(*, tenant_id: uuid.UUID, data: bytes) -> Content:
    """Type and page count of a scanned file (PDF or TIFF), learnt as for an upload: in
    the bounded inspection child, with the Mandant's page and frame limits and no text.
    Raises DocumentRejected (a stable code, a German reason) for another type and for a
    file that is corrupt, locked by a password or beyond a bound. Stores nothing."""
    ftype = detect_type(data)
    if ftype.code not in SCAN_TYPES:
        raise DocumentRejected("unsupported_type", SCAN_TYPE_MESSAGE.format(label=ftype.label))
    return inspect(data, "", "", inspection_bounds(tenant_id, text_pages=0))


def _guarded(step: Callable[[], T], file: IncomingFile) -> T | IngestResult:
    """Run one file's ingest (or a step of it); every failure becomes a visible result
    line, never a 500."""
    name = clean_filename(file.name)
    try:
        return step()
    except RecordsError as exc:
        return IngestResult(filename=name, outcome="rejected", code=exc.code, message=exc.message)
    except BlobStoreUnavailable as exc:
        logger.error("Dokumentenspeicher: %s (Datei %r nicht gespeichert)", exc, name)
        return IngestResult(
            filename=name,
            outcome="rejected",
            code="store_unavailable",
            message=f"{exc} Die Datei wurde nicht gespeichert; bitte später erneut hochladen.",
        )
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
    file: IncomingFile, scope: records_access.DuplicateScope
) -> tuple[Content | None, Dokument | None, list[uuid.UUID]]:
    """Read and inspect a file and store its blobs, announced in the blob ledger (the
    caller settles or discards the returned marks); or the existing document when the
    bytes are already there."""
    read = _Read.of(file)
    existing = find_duplicate(scope, read.sha256)
    if existing is not None:
        return None, existing, []
    content = read.inspect(inspection_bounds(scope.tenant_id))
    return content, None, _store(scope.tenant_id, content)


def _store(tenant_id: uuid.UUID, content: Content) -> list[uuid.UUID]:
    """Store the inspected file's blobs (and its working copy's), announced in the blob
    ledger; the marks go to :func:`_settled`."""
    blobs = [(content.sha256, content.data)]
    if content.pdf is not None:
        blobs.append((content.pdf_sha256, content.pdf))
    return blob_ledger.store_pending(tenant_id, blobs, get_store())


@dataclass(frozen=True)
class _Read:
    """A file read within the size limit and hashed; nothing stored yet."""

    file: IncomingFile
    name: str
    data: bytes
    sha256: str

    @classmethod
    def of(cls, file: IncomingFile) -> _Read:
        data = read_within_limit(file)
        return cls(file, clean_filename(file.name), data, hashlib.sha256(data).hexdigest())

    def inspect(self, bounds: Bounds) -> Content:
        """Type, pages and text in the bounded child. Touches no database: it may run in
        the inspector's thread."""
        return inspect(self.data, self.name, self.sha256, bounds)


@dataclass(frozen=True)
class _Inspecting:
    """A file of a multi-file ingest whose inspection is under way."""

    read: _Read
    content: Future[Content]


class _Inline:
    """The inspector of a single file: inspects at once, in this thread."""

    def submit(self, step: Callable[[Bounds], Content], bounds: Bounds) -> Future[Content]:
        done: Future[Content] = Future()
        try:
            done.set_result(step(bounds))
        except Exception as exc:  # raised again by .result(), inside the file's _guarded
            done.set_exception(exc)
        return done


@contextmanager
def _inspector(count: int) -> Iterator[_Inline | ThreadPoolExecutor]:
    """Where the files of one ingest are inspected: for several files one thread, so that
    the next file is inspected while this one is stored and written (the child works on
    one core, the store's I/O and the database on the other); one file at once."""
    if count < 2:
        yield _Inline()
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-inspect") as pool:
        yield pool


def find_duplicate(scope: records_access.DuplicateScope, sha256: str) -> Dokument | None:
    """The active document within ``scope`` that has a version with these exact bytes,
    one in the target Akte first."""
    if scope.among is records_access.NOTHING:
        return None
    version = (
        DokumentVersion.objects.for_tenant(scope.tenant_id)
        .filter(scope.among, sha256=sha256, dokument__status=Dokument.Status.ACTIVE)
        .select_related("dokument__akte")
        .order_by(Case(When(dokument__akte_id=scope.akte_id, then=0), default=1), "pk")
        .first()
    )
    return version.dokument if version is not None else None


def _duplicate_result(
    file: IncomingFile, existing: Dokument, scope: records_access.DuplicateScope
) -> IngestResult:
    return _duplicate_result_named(clean_filename(file.name), existing, scope)


def _duplicate_result_named(
    filename: str, existing: Dokument, scope: records_access.DuplicateScope
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


def _begin_new(
    actor: Actor,
    akte: Akte,
    file: IncomingFile,
    upload_key: str,
    scope: records_access.DuplicateScope,
) -> IngestResult | _Read:
    """A new document's first step: the answer of a repeated request, or of bytes already
    there; otherwise the file read and hashed, for the inspection."""
    file, earlier = _earlier_upload(file, akte.tenant_id, upload_key, actor)
    if earlier is not None and earlier.dokument.akte_id == akte.pk:
        return _replayed(file, earlier)
    read = _Read.of(file)
    existing = find_duplicate(scope, read.sha256)
    if existing is not None:
        return _duplicate_result(file, existing, scope)
    return read


def _finish_new(
    actor: Actor,
    akte: Akte,
    vorgang: Vorgang | None,
    inspecting: _Inspecting,
    meta: DocumentMeta,
    upload_key: str,
    scope: records_access.DuplicateScope,
) -> IngestResult:
    """The inspected file's blobs stored, then its rows written (or nothing of it): a
    refusal of the inspection raises here, in the file's own result line."""
    content = inspecting.content.result()
    pending = _store(scope.tenant_id, content)
    return _settled(
        pending,
        lambda: _write_new(actor, akte, vorgang, content, meta, pending, upload_key, scope),
        lambda: _replayed_after_race(
            inspecting.read.file, akte.tenant_id, upload_key, content.sha256, actor, akte_id=akte.pk
        ),
    )


def _settled(
    pending: list[uuid.UUID],
    write: Callable[[], IngestResult],
    replay: Callable[[], IngestResult],
) -> IngestResult:
    """``write`` the Dokument or version; the blobs it wrote in advance (``pending``) are
    given up unless it stored them: when it fails, when a parallel upload stored the same
    bytes meanwhile, and when a parallel request with the same upload key won the race
    (then ``replay`` answers with what that request stored)."""
    try:
        result = write()
    except IntegrityError:
        blob_ledger.discard(pending)
        return replay()
    except BaseException:
        blob_ledger.discard(pending)
        raise
    if not result.ok:
        blob_ledger.discard(pending)
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
    file: IncomingFile, tenant_id: uuid.UUID, upload_key: str, actor: Actor
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
    tenant_id: uuid.UUID, upload_key: str, sha256: str, actor: Actor
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
    actor: Actor,
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
    actor: Actor,
    akte: Akte,
    vorgang: Vorgang | None,
    content: Content,
    meta: DocumentMeta,
    pending: list[uuid.UUID],
    upload_key: str,
    scope: records_access.DuplicateScope,
    subject: Person | Unread | None = UNREAD,
) -> IngestResult:
    now = timezone.now()
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        again = find_duplicate(scope, content.sha256)
        if again is not None:  # stored by a parallel upload meanwhile
            return _duplicate_result_named(content.filename, again, scope)
        # The version's id drawn first, so the Dokument is inserted pointing to it (the
        # foreign key is checked at commit) instead of inserted and updated.
        version_id = uuid7()
        dokument = _dokument_anlegen(
            akte,
            vorgang,
            meta,
            content,
            current_version_id=version_id,
            created_at=now,
            created_by=user,
        )
        version = _create_version(
            dokument, content, 1, user, now, note="", upload_key=upload_key, version_id=version_id
        )
        Akte.objects.for_tenant(akte.tenant_id).filter(pk=akte.pk).update(updated_at=now)
        if vorgang is not None:
            _vorgang_step(vorgang, user, "dokument", f"Dokument abgelegt: {dokument.title}", now)
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="records.dokument.create",
            obj=dokument,
            subject=first_subject(akte) if isinstance(subject, Unread) else subject,
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
    return _stored(content, dokument, version)


def _ingest_version(
    actor: Actor,
    dokument: Dokument,
    file: IncomingFile,
    note: str,
    upload_key: str,
    scope: records_access.DuplicateScope,
) -> IngestResult:
    file, earlier = _earlier_upload(file, dokument.tenant_id, upload_key, actor)
    if earlier is not None and earlier.dokument_id == dokument.pk:
        return _replayed(file, earlier)
    content, existing, pending = _prepare(file, scope)
    if existing is not None:
        return _duplicate_result(file, existing, scope)
    assert content is not None
    sha256 = content.sha256
    return _settled(
        pending,
        lambda: _write_version(actor, dokument, content, note, pending, upload_key, scope),
        lambda: _replayed_after_race(
            file,
            dokument.tenant_id,
            upload_key,
            sha256,
            actor,
            akte_id=dokument.akte_id,
            dokument_id=dokument.pk,
        ),
    )


def _write_version(
    actor: Actor,
    dokument: Dokument,
    content: Content,
    note: str,
    pending: list[uuid.UUID],
    upload_key: str,
    scope: records_access.DuplicateScope,
) -> IngestResult:
    now = timezone.now()
    user = actor if isinstance(actor, User) else None
    with transaction.atomic():
        again = find_duplicate(scope, content.sha256)
        if again is not None:
            return _duplicate_result_named(content.filename, again, scope)
        locked, number = _next_version(dokument)
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
    return _stored(content, dokument, version)


def _create_version(
    dokument: Dokument,
    content: Content,
    number: int,
    user: User | None,
    now: Any,
    *,
    note: str,
    upload_key: str,
    version_id: uuid.UUID | None = None,
) -> DokumentVersion:
    """The version ``number`` of ``dokument``, made current and indexed. ``version_id``:
    the id the Dokument was inserted pointing to (a new Dokument), so it needs no update."""
    version = DokumentVersion(
        id=version_id or uuid7(),
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
    version.save(force_insert=True)
    dokument.current_version = version
    if version_id is None:
        Dokument.objects.for_tenant(dokument.tenant_id).filter(pk=dokument.pk).update(
            current_version=version
        )
    search.index_version(version)
    return version


def version_received(*, version: DokumentVersion) -> None:
    """A version written elsewhere and brought in whole (a Koffer's sync back): what an
    upload here does after writing its row — the search index now, and the full text of a
    PDF without text as a job after commit. Call inside the transaction that wrote it."""
    search.index_version(version)
    if version.text or ("pdf" not in version.mime_type and not version.pdf_sha256):
        return
    version_id = str(version.pk)
    transaction.on_commit(lambda: complete_text.enqueue(version_id), robust=True)


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


def _vorgang_steps(
    steps: Sequence[tuple[Vorgang, str]], user: User | None, at: Any, action: str = "dokument"
) -> None:
    """:func:`_vorgang_step` for many (Vorgang, detail) in one INSERT."""
    from koffer.records.models import VorgangSchritt

    if steps:
        VorgangSchritt.objects.bulk_create(
            [
                VorgangSchritt(
                    tenant_id=vorgang.tenant_id,
                    vorgang=vorgang,
                    at=at,
                    actor=user,
                    action=action,
                    detail=detail[:500],
                )
                for vorgang, detail in steps
            ]
        )


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


# --- Move, cancel, metadata --------------------------------------------------------------------


def move_dokument(
    *,
    actor: Actor,
    dokument: Dokument,
    vorgang: Vorgang | None,
    reason: str,
    access: Access | None = None,
) -> Dokument:
    """Put the document into another Vorgang of the same Akte (None: directly in the Akte),
    with a reason; the move is audited and noted in both Vorgänge. The actor must be able
    to edit the Akte (``access``: see records.access.of_actor). Never into another Akte:
    that would show it to the other Akte's readers, so the target is checked here too."""
    reason = need_reason(reason)
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


def cancel_dokument(*, actor: Actor, dokument: Dokument, reason: str) -> Dokument:
    """Cancel (stornieren) with a reason: the document stays, visibly marked; nothing is
    ever deleted here (deleting belongs to the retention process)."""
    reason = need_reason(reason)
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


def change_metadata(*, actor: Actor, dokument: Dokument, meta: DocumentMeta) -> Dokument:
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


def record_read(*, actor: Actor, dokument: Dokument, purpose: str) -> None:
    """Audit that ``actor`` opened or downloaded the document (once per view)."""
    audit.read(
        actor=actor,
        tenant_id=dokument.tenant_id,
        obj=dokument,
        subject=first_subject(dokument.akte),
        purpose=purpose,
    )
