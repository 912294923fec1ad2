"""A failed upload leaves nothing half-stored (issue 5, bad input): blobs written before
the document's transaction are removed when it rolls back, at once or, after a crash,
by ``manage.py records_blob_gc``; blobs something else still needs are never removed."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from koffer.accounts.models import User
from koffer.blobs.store import get_store
from koffer.records.dokumente import blob_ledger, convert
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, PendingBlob
from koffer.records.suche import services as search
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import docx_bytes, incoming, stored, text_pdf


@pytest.fixture(autouse=True)
def _own_store(blob_backend: str) -> None:
    """The ledger and the collector work the same on the local store and on S3."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fail_in_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last step inside the document's transaction fails (disk full, a bug)."""

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("Kein Platz mehr auf dem Gerät")

    monkeypatch.setattr(search, "index_version", broken)


def test_rolled_back_upload_leaves_no_blob(
    akte: Akte, team_caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = text_pdf(1, marker="rollback")
    _fail_in_transaction(monkeypatch)
    result = documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("brief.pdf", data)
    )
    assert result.outcome == "rejected" and result.code == "processing_failed"
    assert not get_store().exists(_sha(data))
    assert not Dokument.objects.for_tenant(akte.tenant_id).exists()
    assert not PendingBlob.objects.unscoped().exists()


def test_rolled_back_office_upload_removes_original_and_pdf(
    akte: Akte, team_caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    if convert.office_converter() is None:
        pytest.skip("LibreOffice is not installed")
    data = docx_bytes("Vermerk, der nie ankommt")
    _fail_in_transaction(monkeypatch)
    documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("v.docx", data))
    assert list(get_store().iter_all()) == []


def test_rolled_back_version_leaves_no_blob(
    akte: Akte, team_caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = stored(akte, team_caseworker, "antrag.pdf", text_pdf(1, marker="v1"))
    second = text_pdf(2, marker="v2")
    _fail_in_transaction(monkeypatch)
    result = documents.add_version(
        actor=team_caseworker, dokument=doc, file=incoming("antrag2.pdf", second)
    )
    assert result.outcome == "rejected"
    assert not get_store().exists(_sha(second))
    assert get_store().exists(doc.current_version.sha256)  # type: ignore[union-attr]


def test_successful_upload_keeps_blob_and_no_mark(akte: Akte, client_cw: Client) -> None:
    data = text_pdf(1, marker="gut")
    response = client_cw.post(
        f"/api/v1/akten/{akte.pk}/dokumente", {"dateien": [incoming_file(data)]}
    )
    assert response.status_code == 201
    assert get_store().exists(_sha(data))
    assert not PendingBlob.objects.unscoped().exists()


def incoming_file(data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("gut.pdf", data)


def test_failed_upload_never_removes_a_blob_that_was_there_before(
    akte: Akte, team_caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = text_pdf(1, marker="fremd")
    get_store().put(data)  # stored before by someone else (another app, a restore)
    _fail_in_transaction(monkeypatch)
    documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("x.pdf", data))
    assert get_store().exists(_sha(data))


def test_parallel_upload_of_the_same_bytes_keeps_the_blob(akte: Akte) -> None:
    """Two uploads of one file are in flight; the first fails: the second still needs the
    blob. If the second fails too, the blob goes."""
    data = b"gleiche Bytes"
    sha = _sha(data)
    store = get_store()
    first = blob_ledger.store_pending(akte.tenant_id, [(sha, data)], store)
    second = blob_ledger.store_pending(akte.tenant_id, [(sha, data)], store)
    assert blob_ledger.discard(first).kept == [sha] and store.exists(sha)
    assert blob_ledger.discard(second).removed == [sha] and not store.exists(sha)


def test_referenced_blob_is_kept(akte: Akte, team_caseworker: User) -> None:
    doc = stored(akte, team_caseworker, "da.pdf", text_pdf(1, marker="da"))
    sha = doc.current_version.sha256  # type: ignore[union-attr]
    with get_store().open(sha) as stream:
        data = stream.read()
    PendingBlob.objects.create(
        tenant_id=akte.tenant_id, sha256=sha, claimed=True, created_at=timezone.now()
    )
    assert blob_ledger.collect(older_than=timedelta(0)).kept == [sha]
    assert get_store().exists(sha) and _sha(data) == sha


def test_collector_removes_blobs_of_crashed_uploads_after_the_grace(akte: Akte) -> None:
    """The process died after storing and before the transaction: only the mark is left."""
    data = b"abgestuerzt"
    sha = _sha(data)
    blob_ledger.store_pending(akte.tenant_id, [(sha, data)])
    out = StringIO()
    call_command("records_blob_gc", stdout=out)  # 24 hours grace: still young
    assert get_store().exists(sha) and "0 verwaiste Blobs entfernt" in out.getvalue()
    PendingBlob.objects.unscoped().update(created_at=timezone.now() - timedelta(hours=25))
    out = StringIO()
    call_command("records_blob_gc", stdout=out)
    assert not get_store().exists(sha) and "1 verwaiste Blobs entfernt" in out.getvalue()
    assert not PendingBlob.objects.unscoped().exists()
