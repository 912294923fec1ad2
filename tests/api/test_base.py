from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from koffer.accounts import services
from koffer.accounts.models import ApiToken, User
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


def _machine_token(tenant: Mandant) -> tuple[ApiToken, str]:
    machine = factories.user(tenant, role="scandienst", is_machine=True)
    return services.create_api_token(
        actor=None,
        tenant=tenant,
        user=machine,
        name="t",
        permissions=["inbox.upload"],
        units=[factories.root_unit(tenant)],
    )


def test_token_auth(tenant: Mandant) -> None:
    _, secret = _machine_token(tenant)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").json()["permissions"] == ["inbox.upload"]


def test_expired_token_says_so(tenant: Mandant) -> None:
    token, secret = _machine_token(tenant)
    ApiToken.objects.for_tenant(tenant).filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    body = response.json()
    assert body["code"] == "token_expired" and body["status"] == 401
    assert "abgelaufen" in body["detail"]


def test_revoked_token_says_so(tenant: Mandant, admin_user: User) -> None:
    token, secret = _machine_token(tenant)
    services.revoke_api_token(actor=admin_user, token=token)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    body = response.json()
    assert body["code"] == "token_revoked" and "widerrufen" in body["detail"]


def test_revoked_wins_over_expired(tenant: Mandant) -> None:
    token, secret = _machine_token(tenant)
    past = timezone.now() - timedelta(days=1)
    ApiToken.objects.for_tenant(tenant).filter(pk=token.pk).update(expires_at=past, revoked_at=past)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")
    assert response.json()["code"] == "token_revoked"


@pytest.mark.parametrize("forged", ["right_prefix_wrong_secret", "unknown", "garbage"])
def test_only_the_holder_of_the_secret_learns_why(tenant: Mandant, forged: str) -> None:
    """An expired token's prefix with a made-up secret tells nothing about that token."""
    token, _ = _machine_token(tenant)
    ApiToken.objects.for_tenant(tenant).filter(pk=token.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    header = {
        "right_prefix_wrong_secret": f"kof_{token.prefix}_{'x' * 43}",
        "unknown": "kof_abcdefgh_" + "y" * 43,
        "garbage": "nicht-ein-schluessel",
    }[forged]
    response = Client(HTTP_AUTHORIZATION=f"Bearer {header}").get("/api/v1/me")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_oversized_api_body_is_413_problem(caseworker: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KOFFER_MAX_REQUEST_BYTES = 100
    response = signed_in(caseworker).post(
        "/api/v1/me", data=json.dumps({"x": "y" * 500}), content_type="application/json"
    )
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
