"""The S3 store down, hanging or refusing the keys while documents come in (issue 20, „Bad
input and faults“): a bounded wait with retries, a German message on the file's result and
in the log, and no half-stored document."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from koffer.records.models import Akte, Dokument, PendingBlob
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import text_pdf
from tests.seaweed import S3Server

pytestmark = pytest.mark.django_db


class Stumm:
    """A server that accepts connections and never answers: a hanging store."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.connections: list[socket.socket] = []
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture
def stumm() -> Iterator[Stumm]:
    server = Stumm()
    yield server
    server.close()


def _store_at(settings: Any, endpoint: str) -> None:
    settings.KOFFER_BLOB_URL = "s3://koffer-test/stoerung"
    settings.KOFFER_BLOB_S3_ENDPOINT = endpoint
    settings.KOFFER_BLOB_S3_ACCESS_KEY = "koffer"
    settings.KOFFER_BLOB_S3_SECRET_KEY = "geheim"
    settings.KOFFER_BLOB_S3_CONNECT_TIMEOUT = 0.5
    settings.KOFFER_BLOB_S3_READ_TIMEOUT = 0.5
    settings.KOFFER_BLOB_S3_ATTEMPTS = 3


def _upload(client: Client, akte: Akte) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/akten/{akte.pk}/dokumente",
        {"dateien": [SimpleUploadedFile("antrag.pdf", text_pdf(1, marker="stoerung"))]},
    )
    assert response.status_code == 207, response.content
    return dict(response.json()["results"][0])


def _nothing_stored(akte: Akte) -> None:
    assert not Dokument.objects.for_tenant(akte.tenant_id).filter(akte=akte).exists()
    # the ledger's marks of the failed upload are gone with its transaction
    assert not PendingBlob.objects.for_tenant(akte.tenant_id).exists()


def test_a_hanging_store_times_out_retries_and_stores_nothing(
    akte: Akte, client_cw: Client, settings: Any, stumm: Stumm, caplog: pytest.LogCaptureFixture
) -> None:
    _store_at(settings, f"http://127.0.0.1:{stumm.port}")
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="koffer.records"):
        result = _upload(client_cw, akte)
    waited = time.monotonic() - started
    assert result["status"] == 503 and result["problem"]["code"] == "store_unavailable"
    assert "antwortet nicht rechtzeitig" in result["message"]
    assert "nicht gespeichert" in result["message"]
    assert len(stumm.connections) >= 3  # every attempt, after a backoff, on a new connection
    assert waited < 30  # bounded: attempts x timeout plus backoff, not a hanging worker
    assert "antwortet nicht rechtzeitig" in caplog.text
    _nothing_stored(akte)


def test_an_unreachable_store_is_named_and_stores_nothing(
    akte: Akte, client_cw: Client, settings: Any
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _store_at(settings, f"http://127.0.0.1:{port}")
    result = _upload(client_cw, akte)
    assert result["status"] == 503 and "nicht erreichbar" in result["message"]
    _nothing_stored(akte)


def test_wrong_keys_are_named_in_readyz_the_log_and_the_upload(
    akte: Akte,
    client_cw: Client,
    settings: Any,
    s3_server: S3Server,
    s3_blob_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.KOFFER_BLOB_S3_SECRET_KEY = "falsch"
    with caplog.at_level(logging.WARNING, logger="koffer.blobs"):
        ready = Client().get("/readyz")
    assert ready.status_code == 503
    blobs = ready.json()["checks"]["blobs"]
    assert blobs["ok"] is False and "Zugangsdaten" in blobs["detail"]
    assert "lehnt die Zugangsdaten ab" in caplog.text
    result = _upload(client_cw, akte)
    assert result["status"] == 503 and "Zugangsdaten" in result["message"]
    _nothing_stored(akte)
