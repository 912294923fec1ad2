"""The office's package API as a Koffer calls it, with its own token: the package, a blob
whole and resumed (Range), and what it may not fetch."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.test import Client

from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.field.geraete import services as geraete
from koffer.field.paket import auslieferung
from koffer.records.models import DokumentVersion
from koffer.tenancy.models import Mandant
from tests.field.conftest import paket_json
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
    assert response["Content-Type"] == "application/json"
    paket = paket_json(response)
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


def test_a_package_built_slowly_shows_the_koffer_it_is_still_coming(
    daten: Bestand, koffer: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every step of building sends a blank (the Koffer's timeout counts silence): the
    answer is still the package, its reads audited with the Koffer's address."""
    monkeypatch.setattr(auslieferung, "LEBENSZEICHEN", 0.0)
    response = koffer.get("/api/v1/koffer/paket", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200
    stuecke = list(response.streaming_content)  # type: ignore[attr-defined]
    blanks = 0
    while stuecke[blanks] == b" ":
        blanks += 1
    assert blanks >= 5, stuecke[:10]
    paket = json.loads(b"".join(stuecke))
    assert [a["akte"] for a in paket["ausleihen"]] == [str(daten.akten[0].pk)]
    assert {b["sha256"] for b in paket["blobs"]} == set(daten.blobs)
    assert sum(1 for o in paket["objekte"] if o["model"] == "records.dokument") == 2
    gelesen = AuditEvent.objects.filter(
        tenant_id=daten.tenant.pk, action="field.paket_gelesen", object_id=str(daten.akten[0].pk)
    )
    assert "192.0.2.7" in set(gelesen.values_list("client_ip", flat=True))


def test_a_package_that_fails_while_built_ends_short_and_is_never_taken(
    daten: Bestand, koffer: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of the package gone from the office's store after the first byte went out:
    the answer cannot turn into an error any more, so it ends before the JSON does —
    nothing a Koffer could import as a package."""
    monkeypatch.setattr(auslieferung, "LEBENSZEICHEN", 0.0)
    version = DokumentVersion.objects.for_tenant(daten.tenant).get(sha256=next(iter(daten.blobs)))
    DokumentVersion.objects.for_tenant(daten.tenant).filter(pk=version.pk).update(
        pdf_sha256="f" * 64  # a PDF rendition whose blob is not in the store
    )
    response = koffer.get("/api/v1/koffer/paket")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body.strip() == b""
    with pytest.raises(ValueError):
        json.loads(body)
