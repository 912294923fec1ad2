"""``blobs.downloads.streamed``: the one helper the E-Akte's and the portal's downloads
stream a blob through, on the local store and on S3 (SeaweedFS)."""

from __future__ import annotations

import hashlib
import logging

import pytest
from django.http import Http404

from koffer.blobs.downloads import streamed
from koffer.blobs.store import get_store

DATA = b"%PDF-1.7\n" + bytes(range(256)) * 400  # ~100 KB: more than one chunk


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_blob_streams_as_an_attachment(blob_backend: str) -> None:
    sha = get_store().put(DATA).sha256
    response = streamed(sha, filename="Bescheid.pdf", content_type="application/pdf", of="x")
    assert response.streaming
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Bescheid.pdf"'
    assert response["Content-Length"] == str(len(DATA))
    assert "Cache-Control" not in response
    assert hashlib.sha256(_body(response)).hexdigest() == sha


def test_a_private_blob_is_neither_cached_nor_sniffed_and_may_show_inline(
    blob_backend: str,
) -> None:
    sha = get_store().put(DATA).sha256
    response = streamed(
        sha, filename="brief.pdf", content_type="", of="x", as_attachment=False, private=True
    )
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _body(response) == DATA


def test_a_missing_blob_is_a_404_and_logged(
    blob_backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    sha = hashlib.sha256(b"nie gespeichert").hexdigest()
    with caplog.at_level(logging.ERROR, logger="koffer.blobs"), pytest.raises(Http404):
        streamed(sha, filename="x.pdf", content_type="application/pdf", of="version 42")
    assert f"blob {sha} of version 42 is missing" in caplog.text
