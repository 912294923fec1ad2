"""The delivery API as a scan provider and the mail room use it, every answer checked
against the committed docs/openapi.json. Runs on SQLite and on PostgreSQL
(``python -m tests.pgserver -- pytest tests/inbox/test_api.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from koffer.inbox.models import Stapel, Stapeldatei
from koffer.jobs.models import Job
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.inbox import scans
from tests.inbox.conftest import API, Provider
from tests.inbox.schema import conforms

pytestmark = pytest.mark.django_db

FILES = {"0001.pdf": scans.pdf(2), "0002.tif": scans.tiff(1)}
NOTE = scans.manifest(FILES, pages={"0001.pdf": 2})


def _post(client: Client, files: dict[str, bytes], note: bytes) -> Any:
    return client.post(
        API,
        {
            "lieferschein": SimpleUploadedFile("lieferschein.json", note, "application/json"),
            "dateien": [SimpleUploadedFile(n, d) for n, d in files.items()],
        },
    )


def _deliver(client: Client, files: dict[str, bytes] = FILES, note: bytes = NOTE) -> Any:
    response = _post(client, files, note)
    return response, conforms(response, "/api/v1/posteingang/stapel", "post")


def _get(client: Client, url: str, path: str) -> Any:
    response = client.get(url)
    return response, conforms(response, path, "get")


def test_delivery_answers_with_the_batch_and_starts_its_check(
    provider: Provider, tenant: Mandant
) -> None:
    response, body = _deliver(provider.client)
    assert response.status_code == 201, body
    assert body["batch_id"] == "2026-11-25-0001" and body["state"] == "angenommen"
    assert body["manifest_sha256"] == scans.sha256(NOTE)
    assert body["quality"] == {"ergebnis": "bestanden", "bemerkung": "Stichprobe 10 %"}
    assert [d["name"] for d in body["dateien"]] == ["0001.pdf", "0002.tif"]
    assert all(d["sha256"] == scans.sha256(FILES[d["name"]]) for d in body["dateien"])
    job = Job.objects.for_tenant(tenant).get()
    assert job.kind == "inbox.pruefung" and job.params == {"stapel": body["id"]}


def test_the_same_batch_again_is_the_same_answer_and_nothing_twice(
    provider: Provider, tenant: Mandant
) -> None:
    first, one = _deliver(provider.client)
    again, two = _deliver(provider.client)
    assert (first.status_code, again.status_code) == (201, 200)
    assert one == two
    assert Stapel.objects.for_tenant(tenant).count() == 1
    assert Stapeldatei.objects.for_tenant(tenant).count() == 2
    assert Job.objects.for_tenant(tenant).count() == 1


def test_the_same_batch_id_with_other_content_is_a_conflict(provider: Provider) -> None:
    _deliver(provider.client)
    changed = {**FILES, "0002.tif": scans.tiff(2)}
    response, body = _deliver(provider.client, changed, scans.manifest(changed))
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert body["code"] == "batch_conflict" and "mit anderem Inhalt" in body["detail"]
    # Another provider may use the same batch id: ids are the provider's own.


def test_batch_ids_belong_to_their_provider(provider: Provider, other_provider: Provider) -> None:
    assert _deliver(provider.client)[0].status_code == 201
    changed = {"x.pdf": scans.pdf()}
    assert _deliver(other_provider.client, changed, scans.manifest(changed))[0].status_code == 201


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        (b"{kein json", "kein JSON"),
        (scans.manifest(FILES, batch_id="../etc"), "stapel_id"),
        (scans.manifest(FILES, scan_datum="gestern"), "scan_datum"),
        (scans.manifest(FILES, dateien=[]), "dateien"),
        (scans.manifest(FILES, qualitaetspruefung={"ergebnis": "gut"}), "qualitaetspruefung"),
    ],
)
def test_an_invalid_lieferschein_is_refused_with_its_field(
    provider: Provider, tenant: Mandant, note: bytes, expected: str
) -> None:
    response, body = _deliver(provider.client, FILES, note)
    assert response.status_code == 422
    assert body["code"] == "invalid_manifest" and expected in body["detail"]
    assert not Stapel.objects.for_tenant(tenant).exists()


def test_status_shows_every_problem_after_the_check(provider: Provider) -> None:
    from koffer.inbox.lieferung.tasks import check_stapel

    files = {**FILES, "extra.pdf": scans.pdf()}
    _, body = _deliver(provider.client, files, NOTE)
    stapel = Stapel.objects.unscoped().get(pk=body["id"])
    check_stapel(actor=None, stapel=stapel)
    path = "/api/v1/posteingang/stapel/{stapel_id}"
    response, status = _get(provider.client, f"{API}/{body['id']}", path)
    assert response.status_code == 200
    assert status["state"] == "mit_problemen"
    assert [(p["code"], p["datei"]) for p in status["probleme"]] == [
        ("file_not_declared", "extra.pdf")
    ]
    assert {d["name"]: d["state"] for d in status["dateien"]} == {
        "0001.pdf": "geprueft",
        "0002.tif": "geprueft",
        "extra.pdf": "quarantaene",
    }


def test_a_provider_sees_only_its_own_batches(
    provider: Provider, other_provider: Provider, mail_room: Any
) -> None:
    _, mine = _deliver(provider.client)
    other_files = {"y.pdf": scans.pdf()}
    _, theirs = _deliver(other_provider.client, other_files, scans.manifest(other_files))
    _, page = _get(provider.client, API, "/api/v1/posteingang/stapel")
    assert [s["id"] for s in page["items"]] == [mine["id"]]
    assert page["items"][0]["file_count"] == 2
    response, _ = _get(
        provider.client, f"{API}/{theirs['id']}", "/api/v1/posteingang/stapel/{stapel_id}"
    )
    assert response.status_code == 404
    # The mail room sees both.
    _, all_of_them = _get(signed_in(mail_room), API, "/api/v1/posteingang/stapel")
    assert {s["id"] for s in all_of_them["items"]} == {mine["id"], theirs["id"]}


def test_without_inbox_rights_nothing_is_seen_or_delivered(
    provider: Provider, tenant: Mandant
) -> None:
    _, mine = _deliver(provider.client)
    caseworker = signed_in(factories.user(tenant))
    assert _get(caseworker, API, "/api/v1/posteingang/stapel")[0].status_code == 403
    detail = _get(caseworker, f"{API}/{mine['id']}", "/api/v1/posteingang/stapel/{stapel_id}")
    assert detail[0].status_code in (403, 404)
    _, secret = factories.api_token(tenant, ["records.view"], role="fachverfahren")
    response, body = _deliver(Client(HTTP_AUTHORIZATION=f"Bearer {secret}"))
    assert response.status_code == 403 and body["code"] == "forbidden"
    assert Stapel.objects.for_tenant(tenant).count() == 1


def test_a_file_name_with_a_path_is_refused(provider: Provider) -> None:
    response, body = _deliver(provider.client, {".versteckt.pdf": scans.pdf()}, NOTE)
    assert response.status_code == 422 and body["code"] == "invalid_file_name"


def test_the_list_costs_the_same_for_more_batches(provider: Provider, mail_room: Any) -> None:
    for n in range(2):
        files = {f"{n}.pdf": scans.pdf()}
        _deliver(provider.client, files, scans.manifest(files, batch_id=f"B-{n}"))
    client = signed_in(mail_room)
    client.get(API)
    with CaptureQueriesContext(connection) as few:
        assert client.get(API).status_code == 200
    for n in range(2, 8):
        files = {f"{n}.pdf": scans.pdf()}
        _deliver(provider.client, files, scans.manifest(files, batch_id=f"B-{n}"))
    with CaptureQueriesContext(connection) as more:
        assert len(client.get(API).json()["items"]) == 8
    assert 0 < len(more.captured_queries) == len(few.captured_queries)
