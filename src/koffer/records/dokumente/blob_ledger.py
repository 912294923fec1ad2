"""Blobs written before a document's transaction never outlive a rollback.

Document bytes are stored before the short transaction that writes the rows (see
documents.py), and an Aktenauszug's PDF one job step before the step that points the
extract at it (extract.py), so a failure in between, or a crash, would leave a blob no row
points to.
Every such write is announced first: a PendingBlob row is committed, then the blob is
stored, and the document's transaction deletes the row together with writing the rows
that reference the blob. A row that is left over therefore marks a blob whose upload did
not commit:

- on an error the upload itself calls :func:`discard` at once;
- after a crash ``manage.py records_blob_gc`` discards rows older than a grace period.

A row that stops pointing to a blob (a file removed from a form's draft) leaves a claimed
mark in its own transaction (:func:`release`), discarded after the commit: the blob goes
when nothing references it any more.

:func:`discard` removes the blob only if no document version or Aktenauszug references
it, no other upload of the same bytes is still in flight, and this upload created it
(a blob that was there before belongs to someone else). The check and the removal hold a
lock on the hash that announcing also takes, so a parallel upload of the same bytes
either is seen (and keeps the blob) or stores it again after the removal.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from koffer.blobs.store import BlobStore, get_store
from koffer.records.models import Aktenauszug, DokumentVersion, PendingBlob

logger = logging.getLogger("koffer.records")

GRACE = timedelta(hours=24)
"""Longer than any upload can take, so the collector never races a live one."""


def _lock(sha256: str) -> None:
    """Serialise announcing and discarding per hash. SQLite's IMMEDIATE transactions are
    already exclusive; PostgreSQL takes a transaction-scoped advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(sha256[:15], 16)])


def announce(tenant_id: uuid.UUID, sha256: str, store: BlobStore) -> uuid.UUID:
    """Commit the row that marks ``sha256`` as about to be stored; returns its id. Must run
    outside the caller's transaction, or a rollback would take the mark with it."""
    with transaction.atomic():
        _lock(sha256)
        row = PendingBlob.objects.create(
            tenant_id=tenant_id,
            sha256=sha256,
            claimed=not store.exists(sha256),
            created_at=timezone.now(),
        )
    return row.pk


def store_pending(
    tenant_id: uuid.UUID,
    blobs: Sequence[tuple[str, bytes | IO[bytes]]],
    store: BlobStore | None = None,
) -> list[uuid.UUID]:
    """Announce and store ``blobs`` (hash, bytes); the ids go to :func:`settle` inside the
    document's transaction, or to :func:`discard` when it fails. If storing fails, what
    was already stored is discarded before the error propagates. A blob stored ahead
    (:class:`Ahead`, in use by :func:`using`) is taken from there."""
    store = store or get_store()
    pending: list[uuid.UUID] = []
    ahead = _ahead.get()
    try:
        for sha256, data in blobs:
            mark = ahead.take(sha256) if ahead is not None else None
            if mark is not None:
                pending.append(mark)
                continue
            pending.append(announce(tenant_id, sha256, store))
            store.put(data)
    except BaseException:
        discard(pending, store=store)
        raise
    return pending


class Ahead:
    """Blobs stored ahead of their documents, for a batch such as a serial letter's chunk:
    announced together in one committed transaction (outside the documents' transaction,
    as :func:`announce` requires), then written by a thread of their own while the
    documents' rows are written, so that the disk's fsyncs wait beside the database work
    instead of in it. A document's filing takes its blob's mark (:func:`store_pending`
    inside :func:`using`) once the write is done. :meth:`close` waits for the writes and
    discards every mark nobody settled: a document that was not filed, or a transaction
    that rolled back. A process killed in between leaves marks that :func:`collect`
    discards, like any upload's."""

    def __init__(
        self, tenant_id: uuid.UUID, datas: Sequence[bytes], store: BlobStore | None = None
    ) -> None:
        self.store = store or get_store()
        unique = {hashlib.sha256(data).hexdigest(): data for data in datas}
        now = timezone.now()
        with transaction.atomic():
            for sha256 in sorted(unique):
                _lock(sha256)
            rows = PendingBlob.objects.bulk_create(
                [
                    PendingBlob(
                        tenant_id=tenant_id,
                        sha256=sha256,
                        claimed=not self.store.exists(sha256),
                        created_at=now,
                    )
                    for sha256 in unique
                ]
            )
        self._marks = {row.sha256: row.pk for row in rows}
        self._all = list(self._marks.values())
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blobs-ahead")
        self._writes = {
            sha256: self._writer.submit(self.store.put, data) for sha256, data in unique.items()
        }

    def take(self, sha256: str) -> uuid.UUID | None:
        """The mark of ``sha256`` once its blob is stored (at most once), or None when it
        is not among these blobs or its write failed (the caller stores it itself)."""
        mark = self._marks.pop(sha256, None)
        if mark is None:
            return None
        try:
            self._writes[sha256].result()
        except Exception:
            logger.exception("storing blob %s ahead failed", sha256)
            self._marks[sha256] = mark  # discarded by close()
            return None
        return mark

    def close(self) -> DiscardReport:
        """Wait for the writes; discard what no document took or kept (outside the
        documents' transaction)."""
        self._writer.shutdown(wait=True)
        left = PendingBlob.objects.unscoped().filter(pk__in=self._all).values_list("pk", flat=True)
        return discard(list(left), store=self.store)


_ahead: ContextVar[Ahead | None] = ContextVar("blobs_ahead", default=None)


@contextmanager
def using(ahead: Ahead | None) -> Iterator[None]:
    """Filings in this block take their blobs from ``ahead`` where it has them."""
    token = _ahead.set(ahead)
    try:
        yield
    finally:
        _ahead.reset(token)


def settle(pending: Sequence[uuid.UUID]) -> None:
    """Inside the document's transaction: the blobs are referenced now, drop the marks."""
    if pending:
        PendingBlob.objects.unscoped().filter(pk__in=list(pending)).delete()


def release(tenant_id: uuid.UUID, sha256: str) -> uuid.UUID:
    """Inside the transaction that drops a row's pointer to ``sha256`` (a file removed
    from a form's draft): mark the blob as one that may go, claimed, so that
    :func:`discard` after the commit (or the collector after a crash) removes it unless
    something else still points to it. A rollback takes the mark with it."""
    _lock(sha256)
    row = PendingBlob.objects.create(
        tenant_id=tenant_id, sha256=sha256, claimed=True, created_at=timezone.now()
    )
    return row.pk


# Other apps' rows that point to blobs (the Posteingang's delivered files), registered in
# their AppConfig.ready(): records may not import them.
_references: list[Callable[[str], bool]] = []


def register_reference(check: Callable[[str], bool]) -> None:
    """``check(sha256)`` answers whether another app's rows point to that blob."""
    if check not in _references:
        _references.append(check)


def referenced(sha256: str) -> bool:
    """Does any row of any Mandant point to this blob? (Blobs are shared by content.)"""
    return (
        DokumentVersion.objects.unscoped().filter(Q(sha256=sha256) | Q(pdf_sha256=sha256)).exists()
        or Aktenauszug.objects.unscoped().filter(sha256=sha256).exists()
        or any(check(sha256) for check in _references)
    )


@dataclass
class DiscardReport:
    removed: list[str]
    kept: list[str]


def discard(pending: Sequence[uuid.UUID], *, store: BlobStore | None = None) -> DiscardReport:
    """The uploads behind ``pending`` did not commit: drop their marks and remove each
    blob nobody else needs. Never raises for a blob that is already gone."""
    store = store or get_store()
    report = DiscardReport(removed=[], kept=[])
    for pk in pending:
        with transaction.atomic():
            row = PendingBlob.objects.unscoped().filter(pk=pk).first()
            if row is None:
                continue  # settled meanwhile, or discarded by the collector
            _lock(row.sha256)
            row.delete()
            others = PendingBlob.objects.unscoped().filter(sha256=row.sha256)
            if referenced(row.sha256) or not row.claimed:
                report.kept.append(row.sha256)
                continue
            if others.exists():
                # Another upload of the same bytes is in flight: it inherits the claim, so
                # the blob is removed if that one fails too.
                others.update(claimed=True)
                report.kept.append(row.sha256)
                continue
            store.delete(row.sha256)
            report.removed.append(row.sha256)
    return report


def collect(*, older_than: timedelta = GRACE, store: BlobStore | None = None) -> DiscardReport:
    """Discard the marks of uploads that started more than ``older_than`` ago and never
    committed (the process died between storing and the transaction)."""
    cutoff = timezone.now() - older_than
    stale = list(
        PendingBlob.objects.unscoped()
        .filter(created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    return discard(stale, store=store)
