from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records.konfiguration import aktenplan
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in

DEMO_CSV = (
    Path(__file__).resolve().parents[3]
    / "src"
    / "koffer"
    / "records"
    / "fixtures"
    / "aktenplan_demo.csv"
)


def test_demo_aktenplan_imports_and_round_trips(tenant: Mandant) -> None:
    text = DEMO_CSV.read_text(encoding="utf-8")
    result = aktenplan.import_csv(actor=None, tenant=tenant, text=text)
    assert result.created == 16 and result.skipped == 0
    assert aktenplan.import_csv(actor=None, tenant=tenant, text=text).skipped == 16
    exported = aktenplan.export_csv(Aktenplaneinheit.objects.for_tenant(tenant).order_by("path"))
    assert sorted(exported.splitlines()) == sorted(text.strip().splitlines())
    child = Aktenplaneinheit.objects.for_tenant(tenant).get(kennzeichen="51.2")
    assert (
        child.parent is not None
        and child.parent.kennzeichen == "51"
        and child.default_access == "restricted"
    )


def test_bad_csv_is_refused_whole_with_line_numbers(tenant: Mandant) -> None:
    text = (
        "kennzeichen;titel;uebergeordnet;aufbewahrung_jahre\n1;Eins;;10\n2;;;10\n3;Drei;99;zehn\n"
    )
    with pytest.raises(aktenplan.AktenplanImportError) as exc:
        aktenplan.import_csv(actor=None, tenant=tenant, text=text)
    assert any("Zeile 3" in e for e in exc.value.errors) and any(
        "Zeile 4" in e for e in exc.value.errors
    )
    assert not Aktenplaneinheit.objects.for_tenant(tenant).exists()


def test_aktenplan_page_import(tenant: Mandant) -> None:
    admin = factories.user(tenant, role="mandant_admin")
    factories.add_role(admin, tenant, "sachbearbeitung")
    upload = SimpleUploadedFile("plan.csv", DEMO_CSV.read_bytes(), content_type="text/csv")
    response = signed_in(admin).post(reverse("records:aktenplan"), {"file": upload})
    assert response.status_code == 302
    assert Aktenplaneinheit.objects.for_tenant(tenant).count() == 16


def test_api_create_list_get_akte(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    body = {
        "aktenplaneinheit_id": str(plan.pk),
        "unit_id": str(team.pk),
        "title": "API-Akte",
        "person": {"family_name": "Api", "given_names": "Paula"},
        "bg_nummer": "neu",
    }
    created = client.post("/api/v1/akten", data=json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    akte_id = created.json()["id"]
    assert created.json()["bg_nummer"].startswith("BG")
    listed = client.get("/api/v1/akten?meine=true").json()
    assert akte_id in [a["id"] for a in listed["items"]]
    assert client.get(f"/api/v1/akten/{akte_id}").status_code == 200
    assert AuditEvent.objects.filter(tenant_id=tenant.pk, action="read", object_id=akte_id).exists()


def test_api_change_requires_reason(akte: Akte, team_caseworker: User) -> None:
    client = signed_in(team_caseworker)
    response = client.patch(
        f"/api/v1/akten/{akte.pk}",
        data=json.dumps({"status": "closed"}),
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"
    response = client.patch(
        f"/api/v1/akten/{akte.pk}",
        data=json.dumps({"status": "closed", "reason": "erledigt"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["retention_until"]


def test_api_vorgang_and_frist(akte: Akte, team_caseworker: User) -> None:
    client = signed_in(team_caseworker)
    vorgang = client.post(
        f"/api/v1/akten/{akte.pk}/vorgaenge",
        data=json.dumps({"typ": "widerspruch"}),
        content_type="application/json",
    )
    assert vorgang.status_code == 201
    frist = client.post(
        f"/api/v1/vorgaenge/{vorgang.json()['id']}/fristen",
        data=json.dumps({"regel": "widerspruchsfrist", "base_date": "2026-01-09"}),
        content_type="application/json",
    )
    assert frist.json()["due_date"] == "2026-02-13"
    unknown = client.post(
        f"/api/v1/akten/{akte.pk}/vorgaenge",
        data=json.dumps({"typ": "gibtsnicht"}),
        content_type="application/json",
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "typ_unknown"


def test_api_invisible_akte_is_404(
    akte: Akte, tenant: Mandant, other_team: Organisationseinheit
) -> None:
    stranger = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    response = signed_in(stranger).get(f"/api/v1/akten/{akte.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    listed = signed_in(stranger).get("/api/v1/akten").json()
    assert str(akte.pk) not in [a["id"] for a in listed["items"]]
