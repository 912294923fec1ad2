"""The document API: multipart upload with per-file results, metadata and versions,
download, new version, move and cancel; invisible documents are 404 problems."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records.models import Akte, Dokument, Vorgang
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import png_bytes, stored, text_pdf


def _upload(client: Client, akte: Akte, files: list[SimpleUploadedFile], **fields: str) -> object:
    return client.post(f"/api/v1/akten/{akte.pk}/dokumente", {"dateien": files, **fields})


def test_upload_of_good_files_is_201(akte: Akte, client_cw: Client, vorgang: Vorgang) -> None:
    response = _upload(
        client_cw,
        akte,
        [
            SimpleUploadedFile("a.pdf", text_pdf(1, marker="a")),
            SimpleUploadedFile("b.png", png_bytes()),
        ],
        kind="Antrag",
        vorgang_id=str(vorgang.pk),
        received_on="2025-02-03",
    )
    assert response.status_code == 201  # type: ignore[attr-defined]
    results = response.json()["results"]  # type: ignore[attr-defined]
    assert [r["status"] for r in results] == [201, 201]
    assert all(r["problem"] is None for r in results)
    doc = Dokument.objects.for_tenant(akte.tenant_id).get(pk=results[0]["dokument_id"])
    assert (doc.kind, doc.vorgang_id, str(doc.received_on)) == ("Antrag", vorgang.pk, "2025-02-03")


def test_mixed_upload_is_207_with_a_problem_per_failed_file(akte: Akte, client_cw: Client) -> None:
    data = text_pdf(1, marker="zweimal")
    response = _upload(
        client_cw,
        akte,
        [
            SimpleUploadedFile("gut.pdf", data),
            SimpleUploadedFile("kaputt.pdf", b"%PDF-1.5 garbage"),
            SimpleUploadedFile("nochmal.pdf", data),
            SimpleUploadedFile("leer.txt", b""),
        ],
    )
    assert response.status_code == 207  # type: ignore[attr-defined]
    results = response.json()["results"]  # type: ignore[attr-defined]
    assert [r["status"] for r in results] == [201, 422, 409, 422]
    assert results[1]["problem"]["code"] == "corrupt_pdf"
    assert results[2]["problem"]["code"] == "duplicate"
    assert results[2]["dokument_id"] == results[0]["dokument_id"]
    assert results[3]["problem"]["detail"] == "Die Datei ist leer (0 Byte)."
    assert Dokument.objects.for_tenant(akte.tenant_id).count() == 1


def test_upload_into_a_foreign_vorgang_is_404(
    akte: Akte, client_cw: Client, tenant, plan, team
) -> None:  # type: ignore[no-untyped-def]
    from koffer.records import selectors, services

    other = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="Andere"
    )
    foreign = services.create_vorgang(
        actor=None,
        akte=other,
        typ=selectors.vorgang_typen(tenant.pk).first(),
        title="fremd",  # type: ignore[arg-type]
    )
    response = _upload(
        client_cw, akte, [SimpleUploadedFile("a.pdf", text_pdf(1))], vorgang_id=str(foreign.pk)
    )
    assert response.status_code == 404  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/problem+json"  # type: ignore[index]


def test_metadata_versions_and_download(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    first = text_pdf(1, marker="v1")
    doc = stored(akte, team_caseworker, "antrag.pdf", first)
    second = text_pdf(2, marker="v2")
    created = client_cw.post(
        f"/api/v1/dokumente/{doc.pk}/versionen",
        {"datei": SimpleUploadedFile("antrag2.pdf", second), "note": "ergänzt"},
    )
    assert created.status_code == 201
    body = client_cw.get(f"/api/v1/dokumente/{doc.pk}").json()
    assert body["current_version"] == 2 and body["page_count"] == 2
    assert [(v["number"], v["note"]) for v in body["versions"]] == [(1, ""), (2, "ergänzt")]
    assert "text" not in body["versions"][0]
    content = client_cw.get(f"/api/v1/dokumente/{doc.pk}/inhalt")
    assert content.status_code == 200 and content["Content-Type"] == "application/pdf"
    assert b"".join(content.streaming_content) == second  # type: ignore[attr-defined]
    old = client_cw.get(f"/api/v1/dokumente/{doc.pk}/inhalt?version=1")
    assert b"".join(old.streaming_content) == first  # type: ignore[attr-defined]
    assert client_cw.get(f"/api/v1/dokumente/{doc.pk}/inhalt?version=5").status_code == 404
    reads = AuditEvent.objects.filter(
        tenant_id=akte.tenant_id, action="read", object_id=str(doc.pk)
    )
    assert reads.count() == 3  # the metadata GET and two downloads
    # a PDF is its own PDF rendering; an image has none
    assert client_cw.get(f"/api/v1/dokumente/{doc.pk}/inhalt?format=pdf").status_code == 200
    image = stored(akte, team_caseworker, "foto.png", png_bytes())
    missing = client_cw.get(f"/api/v1/dokumente/{image.pk}/inhalt?format=pdf")
    assert (missing.status_code, missing.json()["code"]) == (404, "no_pdf")
    duplicate = client_cw.post(
        f"/api/v1/dokumente/{doc.pk}/versionen", {"datei": SimpleUploadedFile("x.pdf", second)}
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "duplicate")
    broken = client_cw.post(
        f"/api/v1/dokumente/{doc.pk}/versionen", {"datei": SimpleUploadedFile("x.pdf", b"%PDF-x")}
    )
    assert (broken.status_code, broken.json()["code"]) == (422, "corrupt_pdf")


def test_move_and_cancel(
    akte: Akte, team_caseworker: User, client_cw: Client, vorgang: Vorgang
) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1))
    moved = client_cw.post(
        f"/api/v1/dokumente/{doc.pk}/verschieben",
        {"vorgang_id": str(vorgang.pk), "reason": "zum Antrag"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["vorgang_id"] == str(vorgang.pk)
    no_reason = client_cw.post(
        f"/api/v1/dokumente/{doc.pk}/stornieren", {"reason": ""}, content_type="application/json"
    )
    assert no_reason.status_code == 422
    cancelled = client_cw.post(
        f"/api/v1/dokumente/{doc.pk}/stornieren",
        {"reason": "Fehlscan"},
        content_type="application/json",
    )
    assert cancelled.json()["status"] == "cancelled"
    again = client_cw.post(
        f"/api/v1/dokumente/{doc.pk}/stornieren",
        {"reason": "Fehlscan"},
        content_type="application/json",
    )
    assert (again.status_code, again.json()["code"]) == (422, "dokument_cancelled")
    actions = set(
        AuditEvent.objects.filter(tenant_id=akte.tenant_id, object_id=str(doc.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"records.dokument.move", "records.dokument.cancel"} <= actions


def test_listing_documents_of_an_akte(akte: Akte, team_caseworker: User, client_cw: Client) -> None:
    for i in range(3):
        stored(akte, team_caseworker, f"d{i}.pdf", text_pdf(1, marker=f"d{i}"))
    page = client_cw.get(f"/api/v1/akten/{akte.pk}/dokumente?limit=2").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client_cw.get(
        f"/api/v1/akten/{akte.pk}/dokumente?limit=2&cursor={page['next_cursor']}"
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


@pytest.mark.parametrize("who", ["outsider", "foreigner"])
def test_invisible_documents_are_404_problems(
    who: str, akte: Akte, team_caseworker: User, request: pytest.FixtureRequest
) -> None:
    doc = stored(akte, team_caseworker, "geheim.pdf", text_pdf(1))
    client = signed_in(request.getfixturevalue(who))
    responses = [
        client.get(f"/api/v1/dokumente/{doc.pk}"),
        client.get(f"/api/v1/dokumente/{doc.pk}/inhalt"),
        client.post(
            f"/api/v1/dokumente/{doc.pk}/versionen",
            {"datei": SimpleUploadedFile("x.pdf", text_pdf(2))},
        ),
        client.post(
            f"/api/v1/dokumente/{doc.pk}/verschieben",
            {"vorgang_id": None, "reason": "x"},
            content_type="application/json",
        ),
        client.post(
            f"/api/v1/dokumente/{doc.pk}/stornieren",
            {"reason": "x"},
            content_type="application/json",
        ),
        client.get(f"/api/v1/akten/{akte.pk}/dokumente"),
        client.post(
            f"/api/v1/akten/{akte.pk}/dokumente",
            {"dateien": [SimpleUploadedFile("y.pdf", text_pdf(3))]},
        ),
    ]
    for response in responses:
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
    doc.refresh_from_db()
    assert doc.status == "active"
    assert not AuditEvent.objects.filter(
        tenant_id=akte.tenant_id, action="read", object_id=str(doc.pk)
    ).exists()


def test_without_records_permission_it_is_403(akte: Akte, team_caseworker: User, tenant) -> None:  # type: ignore[no-untyped-def]
    from tests import factories

    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1))
    mailroom = signed_in(factories.user(tenant, role="poststelle"))
    response = mailroom.get(f"/api/v1/dokumente/{doc.pk}")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_bad_parameters_are_problems_not_errors(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1))
    assert client_cw.get(f"/api/v1/dokumente/{doc.pk}/inhalt?format=docx").status_code == 422
    assert client_cw.get(f"/api/v1/dokumente/{doc.pk}/inhalt?version=abc").status_code == 422
    huge = client_cw.get(f"/api/v1/dokumente/{doc.pk}/inhalt?version={10**30}")
    assert huge.status_code in (404, 422)
    assert client_cw.get("/api/v1/dokumente/kein-uuid").status_code == 422
    no_files = client_cw.post(f"/api/v1/akten/{akte.pk}/dokumente", {"kind": "Antrag"})
    assert no_files.status_code == 422
    bad_date = client_cw.post(
        f"/api/v1/akten/{akte.pk}/dokumente",
        {"dateien": [SimpleUploadedFile("b.pdf", text_pdf(2))], "received_on": "31.02.2025"},
    )
    assert bad_date.status_code == 422
    assert bad_date["Content-Type"] == "application/problem+json"
