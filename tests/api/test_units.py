from __future__ import annotations

import json

from django.test import Client

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in


def _post(client: Client, body: str) -> object:
    return client.post("/api/v1/units", data=body, content_type="application/json")


def test_cursor_pagination_walks_every_unit_once(tenant: Mandant, caseworker: User) -> None:
    for i in range(7):
        factories.unit(tenant, f"Team {i:02d}")
    client = signed_in(caseworker)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        url = "/api/v1/units?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [u["id"] for u in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    expected = Organisationseinheit.objects.for_tenant(tenant).count()
    assert len(seen) == len(set(seen)) == expected
    assert pages == -(-expected // 3)


def test_bad_cursor_and_limit_are_problems(caseworker: User) -> None:
    client = signed_in(caseworker)
    assert client.get("/api/v1/units?cursor=%%%").json()["code"] == "invalid_cursor"
    assert client.get("/api/v1/units?limit=0").json()["code"] == "invalid_limit"


def test_admin_creates_unit_and_it_is_audited(tenant: Mandant, admin_user: User) -> None:
    parent = factories.root_unit(tenant)
    response = _post(
        signed_in(admin_user), json.dumps({"name": "ASD West", "parent_id": str(parent.pk)})
    )
    assert response.status_code == 201  # type: ignore[attr-defined]
    unit_id = response.json()["id"]  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="tenancy.unit.create", object_id=unit_id
    ).exists()


def test_malformed_json_is_400_problem_and_writes_nothing(
    tenant: Mandant, admin_user: User
) -> None:
    before = Organisationseinheit.objects.for_tenant(tenant).count()
    response = _post(signed_in(admin_user), '{"name": "kaputt",')
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/problem+json"  # type: ignore[index]
    assert response.json()["code"] == "malformed_json"  # type: ignore[attr-defined]
    assert Organisationseinheit.objects.for_tenant(tenant).count() == before


def test_validation_error_names_the_field(admin_user: User, tenant: Mandant) -> None:
    body = json.dumps({"name": "", "parent_id": str(factories.root_unit(tenant).pk)})
    response = _post(signed_in(admin_user), body)
    assert response.status_code == 422  # type: ignore[attr-defined]
    problem = response.json()  # type: ignore[attr-defined]
    assert problem["code"] == "validation_failed" and "name" in problem["errors"][0]["loc"]


def test_duplicate_name_is_409(admin_user: User, tenant: Mandant) -> None:
    parent = factories.root_unit(tenant)
    factories.unit(tenant, "Doppelt", parent=parent)
    response = _post(
        signed_in(admin_user), json.dumps({"name": "Doppelt", "parent_id": str(parent.pk)})
    )
    assert response.status_code == 409  # type: ignore[attr-defined]


def test_caseworker_may_not_create_units(caseworker: User, tenant: Mandant) -> None:
    body = json.dumps({"name": "X", "parent_id": str(factories.root_unit(tenant).pk)})
    assert _post(signed_in(caseworker), body).status_code == 403  # type: ignore[attr-defined]


def test_session_post_without_csrf_is_refused(admin_user: User, tenant: Mandant) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    body = json.dumps({"name": "Ohne Token", "parent_id": str(factories.root_unit(tenant).pk)})
    response = client.post("/api/v1/units", data=body, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Organisationseinheit.objects.for_tenant(tenant).filter(name="Ohne Token").exists()


def test_other_tenants_unit_is_404(caseworker: User, other_tenant: Mandant) -> None:
    foreign = factories.unit(other_tenant, "Fremd")
    response = signed_in(caseworker).get(f"/api/v1/units/{foreign.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
