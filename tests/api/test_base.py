from __future__ import annotations

import json

from django.test import Client

from koffer.accounts import services
from koffer.accounts.models import User
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in


def test_healthz(db: None) -> None:
    assert Client().get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_database(db: None) -> None:
    body = Client().get("/readyz").json()
    assert body["checks"]["database"]["ok"] is True


def test_unauthenticated_api_is_problem_json(db: None) -> None:
    response = Client().get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"


def test_session_auth(caseworker: User, tenant: Mandant) -> None:
    body = signed_in(caseworker).get("/api/v1/me").json()
    assert body["tenant_name"] == tenant.name and "records.view" in body["permissions"]


def test_token_auth_and_expiry(tenant: Mandant) -> None:
    from datetime import timedelta

    from django.utils import timezone

    machine = factories.user(tenant, role="scandienst", is_machine=True)
    token, secret = services.create_api_token(
        actor=None, tenant=tenant, user=machine, name="t", permissions=["inbox.upload"]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").json()["permissions"] == ["inbox.upload"]
    type(token).objects.for_tenant(tenant).filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert client.get("/api/v1/me").status_code == 401


def test_oversized_api_body_is_413_problem(caseworker: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KOFFER_MAX_REQUEST_BYTES = 100
    response = signed_in(caseworker).post(
        "/api/v1/me", data=json.dumps({"x": "y" * 500}), content_type="application/json"
    )
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
