"""The bulk ingest's pipeline (issue 20, „Speed“): several files in one call are inspected
one ahead of the file being stored and written. Each file still gets its own blobs before
its rows, its result line in order, its audit event in order; a failing store write of
one file rejects that file alone and leaves nothing half-stored — on the local store and
on S3 (SeaweedFS)."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, DokumentVersion, PendingBlob
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import incoming, text_pdf

pytestmark = pytest.mark.django_db


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pdfs(count: int, label: str) -> list[bytes]:
    """``count`` text PDFs whose hashes begin differently (each blob in its own folder of
    the local store, so that one folder can be broken for one file alone)."""
    files: list[bytes] = []
    number = 0
    while len(files) < count:
        data = text_pdf(1, marker=f"{label} {number}")
        number += 1
        if _sha(data)[:2] not in {_sha(f)[:2] for f in files}:
            files.append(data)
    return files


def _created(akte: Akte) -> list[str]:
    """The hashes of the documents created in ``akte``, in the audit chain's order."""
    events = AuditEvent.objects.filter(
        tenant_id=akte.tenant_id, action="records.dokument.create"
    ).order_by("seq")
    return [str(event.changes["sha256"]) for event in events]


def _stored_blob(sha256: str) -> bytes:
    with get_store().open(sha256) as stream:
        data: bytes = stream.read()
    return data


def _break_write_of(backend: str, sha256: str) -> None:
    """Make the store's write of ``sha256`` fail for real: on the local store its folder
    leads nowhere (a link to a folder that is not there), on S3 another object already
    lies under its key (the conditional write is refused, and the object found there is
    not this blob)."""
    store = get_store()
    store.prepare()
    if backend == "local":
        root = Path(django_settings.KOFFER_BLOB_DIR)
        (root / sha256[:2]).mkdir()
        (root / sha256[:2] / sha256[2:4]).symlink_to(root / "nirgends")
    else:
        client: Any = store.client  # type: ignore[attr-defined]
        bucket, key = store.bucket, store.key(sha256)  # type: ignore[attr-defined]
        client.put_object(Bucket=bucket, Key=key, Body=b"ein anderes Objekt")


def test_a_batch_is_filed_in_order_each_file_with_its_blob(
    akte: Akte, team_caseworker: User, blob_backend: str
) -> None:
    files = _pdfs(4, "Reihe")
    results = documents.ingest_files(
        actor=team_caseworker,
        akte=akte,
        files=[incoming(f"brief-{i}.pdf", data) for i, data in enumerate(files)],
    )
    assert [r.outcome for r in results] == ["stored"] * 4
    assert [r.filename for r in results] == [f"brief-{i}.pdf" for i in range(4)]
    assert [r.version.sha256 for r in results if r.version] == [_sha(f) for f in files]
    assert _created(akte) == [_sha(f) for f in files]
    for number, (result, data) in enumerate(zip(results, files, strict=True)):
        assert result.version is not None and f"Reihe {number}" in result.version.text
        assert _stored_blob(_sha(data)) == data
    assert not PendingBlob.objects.for_tenant(akte.tenant_id).exists()


def test_a_failing_store_write_rejects_that_file_alone(
    akte: Akte, team_caseworker: User, blob_backend: str
) -> None:
    first, broken, last = _pdfs(3, "Fehler")
    _break_write_of(blob_backend, _sha(broken))
    results = documents.ingest_files(
        actor=team_caseworker,
        akte=akte,
        files=[incoming("a.pdf", first), incoming("b.pdf", broken), incoming("c.pdf", last)],
    )
    assert [(r.filename, r.outcome) for r in results] == [
        ("a.pdf", "stored"),
        ("b.pdf", "rejected"),
        ("c.pdf", "stored"),
    ]
    assert results[1].code == "processing_failed"
    assert "nicht gespeichert" in results[1].message
    # the files before and after it: rows and blobs, in order; of the broken one nothing
    assert _created(akte) == [_sha(first), _sha(last)]
    assert _stored_blob(_sha(first)) == first and _stored_blob(_sha(last)) == last
    versions = DokumentVersion.objects.for_tenant(akte.tenant_id)
    assert not versions.filter(sha256=_sha(broken)).exists()
    assert Dokument.objects.for_tenant(akte.tenant_id).filter(akte=akte).count() == 2
    assert not PendingBlob.objects.for_tenant(akte.tenant_id).exists()


def test_the_same_bytes_twice_in_one_batch_are_one_document_and_keep_their_blob(
    akte: Akte, team_caseworker: User, blob_backend: str
) -> None:
    # The second copy is read and checked before the first one's rows exist: the check
    # inside its transaction finds them, and giving up its blob mark keeps the blob.
    same, other = _pdfs(2, "Doppelt")
    results = documents.ingest_files(
        actor=team_caseworker,
        akte=akte,
        files=[incoming("a.pdf", same), incoming("kopie.pdf", same), incoming("b.pdf", other)],
    )
    assert [r.outcome for r in results] == ["stored", "duplicate", "stored"]
    assert results[1].message == documents.DUPLICATE_MESSAGE
    assert results[1].dokument is not None and results[0].dokument is not None
    assert results[1].dokument.pk == results[0].dokument.pk
    assert _created(akte) == [_sha(same), _sha(other)]
    assert _stored_blob(_sha(same)) == same
    assert not PendingBlob.objects.for_tenant(akte.tenant_id).exists()


def test_an_unreachable_store_rejects_every_file_of_a_batch_by_name(
    akte: Akte, team_caseworker: User, settings: Any
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.KOFFER_BLOB_URL = "s3://koffer-test/stoerung"
    settings.KOFFER_BLOB_S3_ENDPOINT = f"http://127.0.0.1:{port}"
    settings.KOFFER_BLOB_S3_ACCESS_KEY = "koffer"
    settings.KOFFER_BLOB_S3_SECRET_KEY = "geheim"
    settings.KOFFER_BLOB_S3_CONNECT_TIMEOUT = 0.5
    settings.KOFFER_BLOB_S3_ATTEMPTS = 1
    files = _pdfs(2, "Unerreichbar")
    results = documents.ingest_files(
        actor=team_caseworker,
        akte=akte,
        files=[incoming("a.pdf", files[0]), incoming("b.pdf", files[1])],
    )
    assert [(r.filename, r.code) for r in results] == [
        ("a.pdf", "store_unavailable"),
        ("b.pdf", "store_unavailable"),
    ]
    assert all("nicht erreichbar" in r.message for r in results)
    assert not Dokument.objects.for_tenant(akte.tenant_id).filter(akte=akte).exists()
    assert not PendingBlob.objects.for_tenant(akte.tenant_id).exists()
