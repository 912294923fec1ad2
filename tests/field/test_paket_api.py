"""The office's package API as a Koffer calls it, with its own token: the package, a blob
whole and resumed (Range), and what it may not fetch."""

from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from koffer.blobs.store import get_store
from koffer.field.geraete import services as geraete
from koffer.records.models import DokumentVersion
from koffer.tenancy.models import Mandant
from tests.field.paket_bestand import Bestand, bestand

pytestmark = pytest.mark.django_db


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=1, dokumente=2, groesse=5000)


@pytest.fixture
def koffer(daten: Bestand) -> Client:
    _, token = geraete.koppeln(code=daten.kopplungscode)
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_the_package_comes_as_json(daten: Bestand, koffer: Client) -> None:
    response = koffer.get("/api/v1/koffer/paket")
    assert response.status_code == 200, response.content
    paket = response.json()
    assert [a["akte"] for a in paket["ausleihen"]] == [str(daten.akten[0].pk)]
    assert {b["sha256"] for b in paket["blobs"]} == set(daten.blobs)


@pytest.mark.parametrize("blob_backend", ["local", "s3"], indirect=True)
def test_a_blob_whole_and_resumed_from_an_offset(
    blob_backend: str, daten: Bestand, koffer: Client
) -> None:
    sha, size = next(iter(daten.blobs.items()))
    whole = koffer.get(f"/api/v1/koffer/blobs/{sha}")
    assert whole.status_code == 200
    data = b"".join(whole.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(data).hexdigest() == sha
    assert whole["Content-Length"] == str(size)
    assert whole["ETag"] == f'"{sha}"'

    rest = koffer.get(f"/api/v1/koffer/blobs/{sha}", headers={"Range": "bytes=1000-"})
    assert rest.status_code == 206
    assert rest["Content-Range"] == f"bytes 1000-{size - 1}/{size}"
    assert b"".join(rest.streaming_content) == data[1000:]  # type: ignore[attr-defined]

    beyond = koffer.get(f"/api/v1/koffer/blobs/{sha}", headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416


def test_only_blobs_of_the_package_are_served(daten: Bestand, koffer: Client) -> None:
    fremd = (
        DokumentVersion.objects.for_tenant(daten.tenant)
        .filter(dokument__akte=daten.fremd)
        .values_list("sha256", flat=True)
        .first()
    )
    assert fremd is not None and get_store().exists(fremd)
    for sha in (fremd, "0" * 64, "nicht-hex"):
        response = koffer.get(f"/api/v1/koffer/blobs/{sha}")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert Client().get("/api/v1/koffer/paket").status_code == 401


def test_a_revoked_koffer_is_told_to_wipe(daten: Bestand, koffer: Client) -> None:
    geraete.sperren(actor=daten.worker, geraet=daten.geraet, grund="Gestohlen")
    response = koffer.get("/api/v1/koffer/paket")
    assert response.status_code == 401
    assert response.json()["code"] == "koffer_gesperrt"
    assert response.json()["loeschen"] is True
