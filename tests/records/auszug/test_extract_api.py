"""API of the Aktenauszug: order (202 with job id), status, PDF download (audited), read-only
link with PIN, revoke; bad input and missing rights as problem+json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client, override_settings

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records.models import Akte, Aktenauszug, Dokument
from tests import factories
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import stored, text_pdf

PURPOSE = "Aktenauszug für das Sozialgericht Musterstadt, Az. S 12 SB 345/26"


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, body, content_type="application/json")


@override_settings(KOFFER_GHOSTSCRIPT="")  # the sample PDF's Helvetica stays unembedded
def test_order_follow_download_and_share(
    akte: Akte,
    team_caseworker: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(4, marker="API"))
    client = signed_in(team_caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client,
            f"/api/v1/akten/{akte.pk}/auszuege",
            {"purpose": PURPOSE, "dokument_ids": [str(doc.pk)]},
        )
    assert response.status_code == 202, response.content
    ordered = response.json()
    assert ordered["job_id"] and ordered["purpose"] == PURPOSE

    status = client.get(f"/api/v1/auszuege/{ordered['id']}").json()
    assert status["status"] == "done" and status["sheet_count"] == 4
    assert status["page_count"] == 6 and status["pdfa"] == "none"
    assert status["contents"][0]["sheets"] == "Bl. 1–4"
    listing = client.get(f"/api/v1/akten/{akte.pk}/auszuege").json()
    assert [a["id"] for a in listing["items"]] == [ordered["id"]]

    pdf = client.get(f"/api/v1/auszuege/{ordered['id']}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    read = AuditEvent.objects.get(tenant_id=akte.tenant_id, action="read", object_id=ordered["id"])
    assert read.reason == "Aktenauszug über die API abgerufen"

    link = _post(
        client,
        f"/api/v1/auszuege/{ordered['id']}/einsicht",
        {"recipient": "Sozialgericht Musterstadt", "valid_days": 30},
    )
    assert link.status_code == 201, link.content
    shared = link.json()
    assert shared["url"].startswith("http://testserver/einsicht/ein_")
    assert len(shared["pin"]) == 6 and shared["state"] == "open"
    visitor = Client()
    token = shared["url"].rstrip("/").rsplit("/", 1)[-1]
    assert visitor.post(f"/einsicht/{token}/", {"pin": shared["pin"]}).status_code == 302

    revoked = client.post(f"/api/v1/einsicht/{shared['id']}/widerrufen")
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    again = client.post(f"/api/v1/einsicht/{shared['id']}/widerrufen")
    assert again.status_code == 409 and again.json()["code"] == "already_revoked"
    assert visitor.get(f"/einsicht/{token}/").status_code == 410


def test_bad_orders_are_problems(akte: Akte, team_caseworker: User, tenant) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(team_caseworker)
    empty = _post(client, f"/api/v1/akten/{akte.pk}/auszuege", {"purpose": PURPOSE})
    assert empty.status_code == 422 and empty.json()["code"] == "selection_empty"
    invalid = _post(client, f"/api/v1/akten/{akte.pk}/auszuege", {"purpose": ""})
    assert invalid.status_code == 422 and invalid.json()["code"] == "validation_failed"
    foreign_doc = _post(
        client,
        f"/api/v1/akten/{akte.pk}/auszuege",
        {"purpose": PURPOSE, "dokument_ids": ["0190a000-0000-7000-8000-000000000000"]},
    )
    assert foreign_doc.status_code == 422 and foreign_doc.json()["code"] == "dokument_foreign"
    assert not Aktenauszug.objects.for_tenant(akte.tenant_id).exists()

    outsider = signed_in(
        factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant))
    )
    hidden = _post(
        outsider, f"/api/v1/akten/{akte.pk}/auszuege", {"purpose": PURPOSE, "ganze_akte": True}
    )
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    admin = signed_in(factories.user(tenant, role="mandant_admin"))
    forbidden = _post(
        admin, f"/api/v1/akten/{akte.pk}/auszuege", {"purpose": PURPOSE, "ganze_akte": True}
    )
    assert forbidden.status_code == 403


def test_unfinished_extract_gives_409(akte: Akte, team_caseworker: User) -> None:
    stored(akte, team_caseworker, "a.pdf", text_pdf(1))
    client = signed_in(team_caseworker)
    # Without on_commit callbacks the job stays waiting.
    ordered = _post(
        client, f"/api/v1/akten/{akte.pk}/auszuege", {"purpose": PURPOSE, "ganze_akte": True}
    ).json()
    assert ordered["status"] == "waiting"
    pdf = client.get(f"/api/v1/auszuege/{ordered['id']}/pdf")
    assert pdf.status_code == 409 and pdf.json()["code"] == "not_ready"
    link = _post(client, f"/api/v1/auszuege/{ordered['id']}/einsicht", {"recipient": "SG"})
    assert link.status_code == 409 and link.json()["code"] == "not_ready"
    assert Dokument.objects.for_tenant(akte.tenant_id).count() == 1
