"""A body shorter than its Content-Length (the client broke off) is refused as a whole:
before, the multipart parser took the early end for the end of the last part, and two of
three files were stored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from koffer.accounts.models import User
from koffer.records.models import Akte, Dokument
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.api.test_problems import _raw
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import png_bytes, text_pdf


def _token(tenant: Mandant, team: Organisationseinheit) -> str:
    _, secret = factories.api_token(
        tenant, ["records.edit", "records.view"], units=[team], name="Fachverfahren"
    )
    return secret


def _three_files() -> bytes:
    files = []
    for i, content in enumerate([text_pdf(1, marker="a"), png_bytes(), text_pdf(1, marker="c")]):
        file: Any = io.BytesIO(content)
        file.name = f"datei{i}.{'png' if i == 1 else 'pdf'}"
        files.append(file)
    return encode_multipart(BOUNDARY, {"dateien": files, "kind": "Antrag"})


def _stored(akte: Akte) -> int:
    return Dokument.objects.for_tenant(akte.tenant_id).filter(akte=akte).count()


def _api_url(akte: Akte) -> str:
    return f"/api/v1/akten/{akte.pk}/dokumente"


@pytest.mark.parametrize("share", [0.6, 0.95, 0.999])
def test_truncated_api_upload_is_a_400_and_stores_nothing(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, share: float
) -> None:
    body = _three_files()
    status, headers, content = _raw(
        _api_url(akte),
        body[: int(len(body) * share)],
        MULTIPART_CONTENT,
        length=len(body),
        authorization=f"Bearer {_token(tenant, team)}",
    )
    assert status.startswith("400"), content[:300]
    assert headers["Content-Type"] == "application/problem+json"
    assert b'"code": "incomplete_body"' in content
    assert "nichts gespeichert" in content.decode()
    assert _stored(akte) == 0


def test_truncated_api_upload_with_a_session_is_a_400(akte: Akte, team_caseworker: User) -> None:
    # Django's CSRF check reads the form and ignores an unreadable body: still a 400.
    client = Client()
    client.force_login(team_caseworker)
    session = client.cookies["sessionid"].value
    token = "k" * 32
    body = _three_files()
    status, _, content = _raw(
        _api_url(akte),
        body[: int(len(body) * 0.6)],
        MULTIPART_CONTENT,
        length=len(body),
        cookie=f"sessionid={session}; csrftoken={token}",
        x_csrftoken=token,
    )
    assert status.startswith("400"), content[:300]
    assert b"incomplete_body" in content
    assert _stored(akte) == 0


def test_truncated_web_upload_gets_a_german_400_page(akte: Akte, team_caseworker: User) -> None:
    client = Client()
    client.force_login(team_caseworker)
    body = _three_files()
    status, headers, content = _raw(
        reverse("records:dokument_upload", args=[akte.pk]),
        body[: int(len(body) * 0.6)],
        MULTIPART_CONTENT,
        length=len(body),
        cookie=f"sessionid={client.cookies['sessionid'].value}; csrftoken={'k' * 32}",
        x_csrftoken="k" * 32,
    )
    assert status.startswith("400") and headers["Content-Type"].startswith("text/html")
    assert "Anfrage unvollständig" in content.decode()
    assert _stored(akte) == 0


def test_complete_raw_upload_still_stores_all_files(
    akte: Akte, tenant: Mandant, team: Organisationseinheit
) -> None:
    status, _, content = _raw(
        _api_url(akte),
        _three_files(),
        MULTIPART_CONTENT,
        authorization=f"Bearer {_token(tenant, team)}",
    )
    assert status.startswith("201"), content[:300]
    assert _stored(akte) == 3
