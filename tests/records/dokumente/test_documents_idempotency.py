"""A killed or repeated upload: with an idempotency key (API header ``Idempotency-Key``, the
upload form's hidden token) a retry stores nothing twice and answers the same documents."""

from __future__ import annotations

import functools
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, DokumentVersion
from koffer.tenancy.models import Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import incoming, png_bytes, stored, text_pdf

KEY = "0b9f6c1e-6f8e-4c43-9a55-3f1d2c7e8a10"


@functools.cache
def _files() -> list[tuple[str, bytes]]:
    # Built once: a retry sends the same bytes (a new PDF would get a new /ID).
    return [
        ("eins.pdf", text_pdf(1, marker="eins")),
        ("zwei.png", png_bytes("white")),
        ("drei.txt", b"Vermerk drei"),
    ]


def _api_upload(client: Client, akte: Akte, key: str | None) -> dict:  # type: ignore[type-arg]
    headers = {"Idempotency-Key": key} if key else {}
    response = client.post(
        f"/api/v1/akten/{akte.pk}/dokumente",
        {"dateien": [SimpleUploadedFile(n, d) for n, d in _files()]},
        headers=headers,
    )
    assert response.status_code == 201, response.content
    return response.json()  # type: ignore[no-any-return]


def _counts(akte: Akte) -> tuple[int, int, int]:
    return (
        Dokument.objects.for_tenant(akte.tenant_id).count(),
        DokumentVersion.objects.for_tenant(akte.tenant_id).count(),
        AuditEvent.objects.filter(
            tenant_id=akte.tenant_id, action="records.dokument.create"
        ).count(),
    )


def test_the_same_api_request_twice_answers_the_same_documents(
    akte: Akte, client_cw: Client
) -> None:
    first = _api_upload(client_cw, akte, KEY)
    ids = [r["dokument_id"] for r in first["results"]]
    assert len(set(ids)) == 3
    assert _counts(akte) == (3, 3, 3)
    again = _api_upload(client_cw, akte, KEY)
    assert [r["dokument_id"] for r in again["results"]] == ids
    assert [r["status"] for r in again["results"]] == [201, 201, 201]
    assert all("wiederholt" in r["message"] for r in again["results"])
    assert _counts(akte) == (3, 3, 3)  # no new documents, versions or audit events


def test_without_a_key_a_repeat_is_reported_as_duplicates(akte: Akte, client_cw: Client) -> None:
    _api_upload(client_cw, akte, None)
    response = client_cw.post(
        f"/api/v1/akten/{akte.pk}/dokumente",
        {"dateien": [SimpleUploadedFile(n, d) for n, d in _files()]},
    )
    assert [r["status"] for r in response.json()["results"]] == [409, 409, 409]


def test_a_request_killed_after_the_first_file_is_completed_by_its_retry(
    akte: Akte, team_caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = documents._write_new
    calls = []

    def dies_after_the_first(*args: object, **kwargs: object) -> documents.IngestResult:
        calls.append(1)
        if len(calls) > 1:
            raise SystemExit("kill -9")  # not an Exception: nothing catches it, like a kill
        return real_write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(documents, "_write_new", dies_after_the_first)
    files = [incoming(n, d) for n, d in _files()]
    with pytest.raises(SystemExit):
        documents.ingest_files(actor=team_caseworker, akte=akte, files=files, upload_key=KEY)
    assert _counts(akte) == (1, 1, 1)
    [first_id] = Dokument.objects.for_tenant(akte.tenant_id).values_list("pk", flat=True)

    monkeypatch.setattr(documents, "_write_new", real_write)
    files = [incoming(n, d) for n, d in _files()]
    results = documents.ingest_files(actor=team_caseworker, akte=akte, files=files, upload_key=KEY)
    assert [r.outcome for r in results] == ["stored", "stored", "stored"]
    assert results[0].dokument is not None and results[0].dokument.pk == first_id
    assert results[0].message == documents.REPLAYED_MESSAGE
    assert _counts(akte) == (3, 3, 3)
    again = documents.ingest_files(
        actor=team_caseworker,
        akte=akte,
        files=[incoming(n, d) for n, d in _files()],
        upload_key=KEY,
    )
    assert [r.dokument.pk for r in again if r.dokument] == [
        r.dokument.pk for r in results if r.dokument
    ]
    assert _counts(akte) == (3, 3, 3)


def test_another_users_key_tells_nothing(
    akte: Akte, team_caseworker: User, team: Organisationseinheit
) -> None:
    colleague = factories.user(akte.tenant, role="sachbearbeitung", unit_=team)
    data = text_pdf(1, marker="fremd")
    documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("a.pdf", data), upload_key=KEY
    )
    other = documents.ingest_file(
        actor=colleague, akte=akte, file=incoming("a.pdf", data), upload_key=KEY
    )
    assert other.outcome == "duplicate"  # what anybody learns from the same bytes, no more


def test_a_repeated_new_version_adds_no_second_version(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    doc = stored(akte, team_caseworker, "v1.pdf", text_pdf(1, marker="v1"))
    url = f"/api/v1/dokumente/{doc.pk}/versionen"
    new = text_pdf(1, marker="v2")
    for _ in range(2):
        response = client_cw.post(
            url, {"datei": SimpleUploadedFile("v2.pdf", new)}, headers={"Idempotency-Key": KEY}
        )
        assert response.status_code == 201, response.content
        assert response.json()["current_version"] == 2
    assert DokumentVersion.objects.for_tenant(akte.tenant_id).filter(dokument=doc).count() == 2


def test_an_invalid_key_is_a_problem(akte: Akte, client_cw: Client) -> None:
    response = client_cw.post(
        f"/api/v1/akten/{akte.pk}/dokumente",
        {"dateien": [SimpleUploadedFile("a.txt", b"Notiz")]},
        headers={"Idempotency-Key": "ä" * 5},
    )
    assert response.status_code in {400, 422}
    assert response["Content-Type"].startswith("application/problem+json")
    assert Dokument.objects.for_tenant(akte.tenant_id).count() == 0


def test_the_upload_form_carries_a_token_and_a_resent_form_stores_nothing_twice(
    akte: Akte, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    url = reverse("records:dokument_upload", args=[akte.pk])
    page = client.get(url).content.decode()
    token = re.search(r'name="upload_token" value="([0-9a-f]{32})"', page)
    assert token is not None
    assert token.group(1) not in client.get(url).content.decode()  # one token per form

    def post() -> list[str]:
        files = [SimpleUploadedFile(n, d) for n, d in _files()]
        response = client.post(
            url,
            {
                "dateien": files,
                "kind": "Schreiben",
                "direction": "in",
                "upload_token": token.group(1),
            },
            HTTP_ACCEPT="application/json",
        )
        assert response.status_code == 200
        return [r["url"] for r in response.json()["results"]]

    first = post()
    assert post() == first
    assert _counts(akte) == (3, 3, 3)
