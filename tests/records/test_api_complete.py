"""API completeness (issue 5, item 8): Aktenplan create / CSV import / export, the work
queues, marking done, Wiedervorlagen on a Vorgang or Dokument, the Fristen calendar,
Vorgang status and document metadata. Errors are problem+json with stable codes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import services
from koffer.records.models import (
    Akte,
    Aktenplaneinheit,
    Dokument,
    FristRegel,
    Vorgang,
    VorgangTyp,
    Wiedervorlage,
)
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import stored, text_pdf

PROBLEM = "application/problem+json"


def _json(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


# --- Aktenplan -------------------------------------------------------------------------------


def test_aktenplan_create_import_export(tenant: Mandant) -> None:
    admin = signed_in(factories.user(tenant, role="mandant_admin"))
    root = _json(admin, "POST", "/api/v1/aktenplan", {"kennzeichen": "60", "title": "Jugend"})
    assert root.status_code == 201, root.content
    child = _json(
        admin,
        "POST",
        "/api/v1/aktenplan",
        {
            "kennzeichen": "60.1",
            "title": "Hilfe zur Erziehung",
            "parent_id": root.json()["id"],
            "module": "sgb8",
            "retention_years": 30,
            "default_access": "restricted",
        },
    )
    assert child.status_code == 201 and child.json()["parent_id"] == root.json()["id"]
    taken = _json(admin, "POST", "/api/v1/aktenplan", {"kennzeichen": "60", "title": "x"})
    assert taken.status_code == 409 and taken.json()["code"] == "kennzeichen_taken"
    bad = _json(
        admin,
        "POST",
        "/api/v1/aktenplan",
        {"kennzeichen": "61", "title": "x", "aktenzeichen_pattern": "{unbekannt}"},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "pattern_invalid"

    csv = "kennzeichen;titel;uebergeordnet\n60.2;Eingliederungshilfe;60\n60.1;doppelt;60\n"
    imported = admin.post(
        "/api/v1/aktenplan/import", {"datei": SimpleUploadedFile("p.csv", csv.encode())}
    )
    assert imported.status_code == 200 and imported.json() == {"created": 1, "skipped": 1}
    broken = admin.post(
        "/api/v1/aktenplan/import",
        {"datei": SimpleUploadedFile("p.csv", b"kennzeichen;titel\n70;\n")},
    )
    assert broken.status_code == 422 and broken["Content-Type"].startswith(PROBLEM)
    assert broken.json()["code"] == "aktenplan_invalid"
    assert "Zeile 2" in broken.json()["errors"][0]["detail"]
    assert not Aktenplaneinheit.objects.for_tenant(tenant).filter(kennzeichen="70").exists()

    exported = admin.get("/api/v1/aktenplan/export")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("kennzeichen;titel") and any(
        line.startswith("60.1;Hilfe zur Erziehung;60;sgb8;30") for line in lines
    )
    assert (
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.aktenplan.create").count()
        == 3
    )
    assert [n["kennzeichen"] for n in admin.get("/api/v1/aktenplan").json()] == [
        "60",
        "60.1",
        "60.2",
    ]


def test_aktenplan_writes_need_the_manage_role(tenant: Mandant, team_caseworker: User) -> None:
    client = signed_in(team_caseworker)
    response = _json(client, "POST", "/api/v1/aktenplan", {"kennzeichen": "1", "title": "x"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    upload = client.post(
        "/api/v1/aktenplan/import", {"datei": SimpleUploadedFile("p.csv", b"kennzeichen;titel\n")}
    )
    assert upload.status_code == 403
    assert client.get("/api/v1/aktenplan/export").status_code == 200


def test_aktenplan_parent_of_other_mandant_is_404(tenant: Mandant, other_tenant: Mandant) -> None:
    foreign = services.create_aktenplaneinheit(
        actor=None, tenant=other_tenant, parent=None, kennzeichen="9", title="fremd"
    )
    admin = signed_in(factories.user(tenant, role="mandant_admin"))
    response = _json(
        admin,
        "POST",
        "/api/v1/aktenplan",
        {"kennzeichen": "9.1", "title": "x", "parent_id": str(foreign.pk)},
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- Wiedervorlagen --------------------------------------------------------------------------


def test_wiedervorlagen_queues_filter_and_done(
    akte: Akte, team_caseworker: User, tenant: Mandant, team: Organisationseinheit
) -> None:
    colleague = factories.user(tenant, role="sachbearbeitung", unit_=team)
    today = timezone.localdate()
    for delta, who, note in [
        (-3, team_caseworker, "alt"),
        (0, team_caseworker, "heute"),
        (4, team_caseworker, "später"),
        (0, colleague, "Kollegin"),
    ]:
        services.set_wiedervorlage(
            actor=who,
            akte=akte,
            due_date=today + timedelta(days=delta),
            assignee=who,
            note=note,
            today=today + timedelta(days=min(delta, 0)),  # set while it lay ahead
        )
    client = signed_in(team_caseworker)
    mine = client.get("/api/v1/wiedervorlagen").json()
    assert [(i["note"], i["lage"]) for i in mine["items"]] == [
        ("alt", "ueberfaellig"),
        ("heute", "heute"),
        ("später", "spaeter"),
    ]
    assert [
        i["note"] for i in client.get("/api/v1/wiedervorlagen?faellig=heute").json()["items"]
    ] == ["heute"]
    assert [
        i["note"] for i in client.get("/api/v1/wiedervorlagen?faellig=ueberfaellig").json()["items"]
    ] == ["alt"]
    team_due = client.get("/api/v1/wiedervorlagen?ansicht=team&faellig=faellig").json()
    assert sorted(i["note"] for i in team_due["items"]) == ["Kollegin", "alt", "heute"]
    limited = client.get("/api/v1/wiedervorlagen?limit=1").json()
    assert len(limited["items"]) == 1 and limited["truncated"] is True
    assert client.get("/api/v1/wiedervorlagen?faellig=morgen").status_code == 422

    first = mine["items"][0]["id"]
    done = client.post(f"/api/v1/wiedervorlagen/{first}/erledigt")
    assert done.status_code == 200 and done.json()["lage"] == "erledigt"
    assert Wiedervorlage.objects.for_tenant(tenant).get(pk=first).done_at is not None
    again = client.post(f"/api/v1/wiedervorlagen/{first}/erledigt")
    assert again.status_code == 404 and again.json()["code"] == "not_found"


def test_wiedervorlage_of_other_team_cannot_be_done(
    akte: Akte, team_caseworker: User, tenant: Mandant, other_team: Organisationseinheit
) -> None:
    wv = services.set_wiedervorlage(
        actor=team_caseworker, akte=akte, due_date=timezone.localdate(), assignee=team_caseworker
    )
    stranger = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=other_team))
    assert stranger.post(f"/api/v1/wiedervorlagen/{wv.pk}/erledigt").status_code == 404
    assert stranger.get("/api/v1/wiedervorlagen?ansicht=team").json()["items"] == []


def test_wiedervorlage_on_vorgang_dokument_and_team(
    akte: Akte, vorgang: Vorgang, team_caseworker: User, client_cw: Client, tenant: Mandant
) -> None:
    doc = stored(akte, team_caseworker, "brief.pdf", text_pdf(1, marker="wv"), vorgang=vorgang)
    day = (timezone.localdate() + timedelta(days=7)).isoformat()
    url = f"/api/v1/akten/{akte.pk}/wiedervorlagen"
    on_vorgang = _json(client_cw, "POST", url, {"due_date": day, "vorgang_id": str(vorgang.pk)})
    assert on_vorgang.status_code == 201 and on_vorgang.json()["vorgang_id"] == str(vorgang.pk)
    on_doc = _json(
        client_cw, "POST", url, {"due_date": day, "dokument_id": str(doc.pk), "fuer_team": True}
    )
    body = on_doc.json()
    assert on_doc.status_code == 201 and body["dokument_id"] == str(doc.pk)
    assert body["vorgang_id"] == str(vorgang.pk)  # the document's Vorgang
    assert body["assignee_id"] is None and body["unit_id"] == str(akte.unit_id)


def test_wiedervorlage_with_object_of_another_akte_is_404(
    akte: Akte,
    team_caseworker: User,
    client_cw: Client,
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
) -> None:
    other = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="andere"
    )
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="widerspruch")
    elsewhere = services.create_vorgang(actor=None, akte=other, typ=typ, title="dort")
    response = _json(
        client_cw,
        "POST",
        f"/api/v1/akten/{akte.pk}/wiedervorlagen",
        {"due_date": "2027-01-04", "vorgang_id": str(elsewhere.pk)},
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_wiedervorlage_on_invisible_akte_is_404(akte: Akte, tenant: Mandant) -> None:
    outsider = factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant))
    response = _json(
        signed_in(outsider),
        "POST",
        f"/api/v1/akten/{akte.pk}/wiedervorlagen",
        {"due_date": "2027-01-04"},
    )
    assert response.status_code == 404


# --- Fristen, Vorgang status, document metadata ---------------------------------------------


def test_fristen_calendar(
    akte: Akte, vorgang: Vorgang, team_caseworker: User, tenant: Mandant
) -> None:
    regel = FristRegel.objects.for_tenant(tenant).get(code="widerspruchsfrist")
    services.add_frist(
        actor=team_caseworker, vorgang=vorgang, base_date=date(2026, 1, 9), regel=regel
    )
    client = signed_in(team_caseworker)
    february = client.get("/api/v1/fristen?von=2026-02-01&bis=2026-02-28").json()
    assert [(f["due_date"], f["regel"], f["aktenzeichen"]) for f in february["items"]] == [
        ("2026-02-13", "widerspruchsfrist", akte.aktenzeichen)
    ]
    assert client.get("/api/v1/fristen?von=2026-03-01&bis=2026-03-31").json()["items"] == []
    wrong = client.get("/api/v1/fristen?von=2026-03-01&bis=2026-02-01")
    assert wrong.status_code == 422 and wrong.json()["code"] == "range_invalid"
    default = client.get("/api/v1/fristen").json()
    assert default["von"] == timezone.localdate().replace(day=1).isoformat()


def test_vorgang_status_change(vorgang: Vorgang, client_cw: Client, tenant: Mandant) -> None:
    url = f"/api/v1/vorgaenge/{vorgang.pk}/status"
    done = _json(client_cw, "POST", url, {"status": "done", "note": "Bescheid erteilt"})
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert done.json()["closed_at"] is not None
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.vorgang.status").get()
    assert event.reason == "Bescheid erteilt"
    unknown = _json(client_cw, "POST", url, {"status": "vielleicht"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "validation_failed"


def test_dokument_metadata_patch(
    akte: Akte, team_caseworker: User, client_cw: Client, tenant: Mandant
) -> None:
    doc = stored(akte, team_caseworker, "scan.pdf", text_pdf(1, marker="meta"))
    response = _json(
        client_cw,
        "PATCH",
        f"/api/v1/dokumente/{doc.pk}",
        {"title": "Antrag auf Weiterbewilligung", "kind": "Antrag", "received_on": "2026-11-30"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["kind"], body["received_on"]) == (
        "Antrag auf Weiterbewilligung",
        "Antrag",
        "2026-11-30",
    )
    assert body["direction"] == "in"  # not sent, not changed
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.dokument.change").get()
    assert event.changes["title"]["old"] == "scan"
    cleared = _json(client_cw, "PATCH", f"/api/v1/dokumente/{doc.pk}", {"received_on": None})
    assert cleared.json()["received_on"] is None
    empty = _json(client_cw, "PATCH", f"/api/v1/dokumente/{doc.pk}", {"title": ""})
    assert empty.status_code == 422
    assert (
        Dokument.objects.for_tenant(tenant).get(pk=doc.pk).title == "Antrag auf Weiterbewilligung"
    )


def test_dokument_metadata_of_invisible_document_is_404(
    akte: Akte, team_caseworker: User, tenant: Mandant, other_team: Organisationseinheit
) -> None:
    doc = stored(akte, team_caseworker, "x.pdf", text_pdf(1, marker="x"))
    stranger = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=other_team))
    response = _json(stranger, "PATCH", f"/api/v1/dokumente/{doc.pk}", {"title": "gehackt"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_openapi_documents_the_records_enums() -> None:
    from koffer.urls import api

    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]

    def values(component: str, field: str) -> list[str]:
        node = components[component]["properties"][field]
        node = next((o for o in node.get("anyOf", [node]) if o.get("type") != "null"), node)
        if "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[1]]
        return list(node["enum"])

    assert values("VorgangStatusIn", "status") == list(Vorgang.Status.values)
    assert values("AkteChangeIn", "status") == list(Akte.Status.values)
