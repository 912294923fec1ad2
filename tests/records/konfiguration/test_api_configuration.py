"""API of the E-Akte configuration: Vorgangstypen and Fristregeln listed, created and
changed by the Mandant's administration, through HTTP with a session. Errors are
problem+json with stable codes; another Mandant's ids are 404."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import defaults
from koffer.records.konfiguration import services as configuration
from koffer.records.models import FristRegel, VorgangTyp
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in

PROBLEM = "application/problem+json"


def _json(client: Client, method: str, url: str, body: dict[str, Any]) -> Any:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def _admin(tenant: Mandant) -> Client:
    return signed_in(factories.user(tenant, role="mandant_admin"))


def _events(tenant: Mandant, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(tenant_id=tenant.pk, action=action))


def test_vorgangstypen_list_create_change(tenant: Mandant) -> None:
    defaults.install(actor=None, tenant=tenant)
    admin = _admin(tenant)
    listed = admin.get("/api/v1/vorgangstypen")
    assert listed.status_code == 200
    assert any(t["code"] == "widerspruch" and t["module"] == "sgb2" for t in listed.json())

    created = _json(
        admin,
        "POST",
        "/api/v1/vorgangstypen",
        {"module": "sgb2", "code": "eilantrag", "label": "Eilantrag (§ 86b SGG)"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["code"] == "eilantrag" and body["is_active"] is True
    typ = VorgangTyp.objects.for_tenant(tenant).get(pk=body["id"])
    assert [e.changes["code"] for e in _events(tenant, "records.vorgangtyp.create")] == [
        "eilantrag"
    ]

    changed = _json(admin, "PATCH", f"/api/v1/vorgangstypen/{typ.pk}", {"is_active": False})
    assert changed.status_code == 200, changed.content
    assert changed.json()["is_active"] is False
    assert changed.json()["label"] == "Eilantrag (§ 86b SGG)"  # not sent, kept
    typ.refresh_from_db()
    assert typ.is_active is False
    (event,) = _events(tenant, "records.vorgangtyp.change")
    assert event.changes == {"is_active": {"old": True, "new": False}}
    assert event.object_id == str(typ.pk) and event.actor_id is not None
    assert any(
        t["id"] == str(typ.pk) and not t["is_active"]
        for t in admin.get("/api/v1/vorgangstypen").json()
    )


def test_vorgangstyp_errors_have_stable_codes(tenant: Mandant) -> None:
    admin = _admin(tenant)
    url = "/api/v1/vorgangstypen"
    bad = _json(admin, "POST", url, {"module": "sgb2", "code": "Mit Leerzeichen", "label": "x"})
    assert bad.status_code == 422 and bad["Content-Type"].startswith(PROBLEM)
    assert bad.json()["code"] == "code_invalid" and "Kleinbuchstaben" in bad.json()["detail"]
    blank = _json(admin, "POST", url, {"module": "sgb2", "code": "neu", "label": "   "})
    assert blank.status_code == 422 and blank.json()["code"] == "label_required"
    module = _json(admin, "POST", url, {"module": "mond", "code": "neu", "label": "x"})
    assert module.status_code == 422 and module.json()["code"] == "validation_failed"
    assert module.json()["errors"][0]["loc"][-1] == "module"
    first = _json(admin, "POST", url, {"module": "sgb2", "code": "neu", "label": "x"})
    assert first.status_code == 201
    taken = _json(admin, "POST", url, {"module": "sgb2", "code": "neu", "label": "y"})
    assert taken.status_code == 409 and taken.json()["code"] == "code_taken"
    other_module = _json(admin, "POST", url, {"module": "sgb8", "code": "neu", "label": "y"})
    assert other_module.status_code == 201
    assert len(_events(tenant, "records.vorgangtyp.create")) == 2


def test_fristregeln_list_create_change(tenant: Mandant) -> None:
    defaults.install(actor=None, tenant=tenant)
    admin = _admin(tenant)
    assert admin.get("/api/v1/fristregeln").status_code == 200
    created = _json(
        admin,
        "POST",
        "/api/v1/fristregeln",
        {
            "code": "stellungnahme",
            "label": "Frist zur Stellungnahme",
            "notification_days": 4,
            "days": 14,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["months"] == 0 and body["days"] == 14 and body["shift_to_workday"] is True
    regel = FristRegel.objects.for_tenant(tenant).get(pk=body["id"])
    assert len(_events(tenant, "records.fristregel.create")) == 1
    listed = admin.get("/api/v1/fristregeln").json()
    assert any(r["code"] == "stellungnahme" for r in listed)
    assert any(r["code"] != "stellungnahme" for r in listed)  # the defaults too

    changed = _json(
        admin, "PATCH", f"/api/v1/fristregeln/{regel.pk}", {"days": 21, "shift_to_workday": False}
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["days"] == 21 and changed.json()["notification_days"] == 4
    regel.refresh_from_db()
    assert regel.days == 21 and regel.shift_to_workday is False
    (event,) = _events(tenant, "records.fristregel.change")
    assert event.changes["days"] == {"old": 14, "new": 21}
    assert set(event.changes) == {"days", "shift_to_workday"}

    same = _json(admin, "PATCH", f"/api/v1/fristregeln/{regel.pk}", {"days": 21})
    assert same.status_code == 200
    assert len(_events(tenant, "records.fristregel.change")) == 1  # nothing changed


def test_fristregel_errors_have_stable_codes(tenant: Mandant) -> None:
    admin = _admin(tenant)
    url = "/api/v1/fristregeln"
    empty = _json(admin, "POST", url, {"code": "leer", "label": "Leer"})
    assert empty.status_code == 422 and empty["Content-Type"].startswith(PROBLEM)
    assert empty.json()["code"] == "rule_empty"
    too_long = _json(admin, "POST", url, {"code": "lang", "label": "Lang", "months": 121})
    assert too_long.status_code == 422 and too_long.json()["code"] == "rule_out_of_range"
    typed = _json(admin, "POST", url, {"code": "typ", "label": "Typ", "days": "viele"})
    assert typed.status_code == 422 and typed.json()["code"] == "validation_failed"
    regel = configuration.create_frist_regel(
        actor=None, tenant=tenant, code="monat", label="Ein Monat", months=1
    )
    taken = _json(admin, "POST", url, {"code": "monat", "label": "x", "days": 1})
    assert taken.status_code == 409 and taken.json()["code"] == "code_taken"
    zero = _json(admin, "PATCH", f"{url}/{regel.pk}", {"months": 0})
    assert zero.status_code == 422 and zero.json()["code"] == "rule_empty"
    regel.refresh_from_db()
    assert regel.months == 1
    assert not _events(tenant, "records.fristregel.change")


def test_caseworker_is_forbidden(tenant: Mandant, caseworker: User) -> None:
    defaults.install(actor=None, tenant=tenant)
    client = signed_in(caseworker)
    typ = VorgangTyp.objects.for_tenant(tenant).order_by("pk").first()
    regel = FristRegel.objects.for_tenant(tenant).order_by("pk").first()
    assert typ is not None and regel is not None
    responses = [
        client.get("/api/v1/vorgangstypen"),
        client.get("/api/v1/fristregeln"),
        _json(
            client, "POST", "/api/v1/vorgangstypen", {"module": "sgb2", "code": "a", "label": "a"}
        ),
        _json(client, "POST", "/api/v1/fristregeln", {"code": "a", "label": "a", "days": 1}),
        _json(client, "PATCH", f"/api/v1/vorgangstypen/{typ.pk}", {"label": "neu"}),
        _json(client, "PATCH", f"/api/v1/fristregeln/{regel.pk}", {"days": 3}),
    ]
    for response in responses:
        assert response.status_code == 403, response.content
        assert response["Content-Type"].startswith(PROBLEM)
        assert response.json()["code"] == "forbidden"
    assert not AuditEvent.objects.filter(
        tenant_id=tenant.pk, action__startswith="records.vorgangtyp"
    ).exists()
    assert not AuditEvent.objects.filter(
        tenant_id=tenant.pk, action__startswith="records.fristregel"
    ).exists()


def test_other_mandants_ids_are_404(tenant: Mandant, other_tenant: Mandant) -> None:
    typ = configuration.create_vorgang_typ(
        actor=None, tenant=other_tenant, module="sgb2", code="fremd", label="Fremdtyp"
    )
    regel = configuration.create_frist_regel(
        actor=None, tenant=other_tenant, code="fremd", label="Fremdregel", days=3
    )
    admin = _admin(tenant)
    for url, body in (
        (f"/api/v1/vorgangstypen/{typ.pk}", {"label": "gekapert"}),
        (f"/api/v1/fristregeln/{regel.pk}", {"label": "gekapert"}),
    ):
        response = _json(admin, "PATCH", url, body)
        assert response.status_code == 404 and response["Content-Type"].startswith(PROBLEM)
        assert response.json()["code"] == "not_found"
    typ.refresh_from_db()
    regel.refresh_from_db()
    assert typ.label == "Fremdtyp" and regel.label == "Fremdregel"
    assert "Fremdtyp" not in admin.get("/api/v1/vorgangstypen").content.decode()
    assert "Fremdregel" not in admin.get("/api/v1/fristregeln").content.decode()
