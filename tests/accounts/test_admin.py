from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import ApiToken, User
from koffer.accounts.services import TokenRefused, authenticate_token
from koffer.audit.models import AuditEvent
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in


def test_admin_creates_user(tenant: Mandant, admin_client: Client) -> None:
    unit = factories.unit(tenant, "ASD Süd")
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "neu.person",
            "first_name": "Nina",
            "last_name": "Neu",
            "email": "nina@example.org",
            "unit": str(unit.pk),
            "role": "sachbearbeitung",
            "password": "ein-langes-passwort-7",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="neu.person")
    assert AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="accounts.user.create", object_id=str(user.pk)
    ).exists()


def test_user_form_errors_are_summarised_in_german(admin_client: Client) -> None:
    response = admin_client.post(reverse("accounts:user_create"), {"username": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Bitte prüfen Sie Ihre Eingaben" in body


def test_caseworker_cannot_open_admin_pages(caseworker: User) -> None:
    assert signed_in(caseworker).get(reverse("accounts:users")).status_code == 403


def test_user_of_other_tenant_is_404(admin_client: Client, other_tenant: Mandant) -> None:
    stranger = factories.user(other_tenant)
    assert admin_client.get(reverse("accounts:user_detail", args=[stranger.pk])).status_code == 404


def test_revoke_sessions_ends_them(tenant: Mandant, admin_client: Client, caseworker: User) -> None:
    victim = Client()
    victim.post(
        reverse("accounts:login"), {"username": caseworker.username, "password": factories.PASSWORD}
    )
    assert victim.get("/").status_code == 200
    admin_client.post(reverse("accounts:user_detail", args=[caseworker.pk]), {"action": "revoke"})
    assert victim.get("/").status_code == 302
    assert not Session.objects.filter(session_key=victim.session.session_key).exists()


def test_reset_password(tenant: Mandant, admin_client: Client, caseworker: User) -> None:
    response = admin_client.post(
        reverse("accounts:user_detail", args=[caseworker.pk]),
        {"action": "reset", "password": "ganz-neues-passwort-9"},
    )
    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.check_password("ganz-neues-passwort-9")


def test_token_shown_once_stored_hashed_and_revocable(
    tenant: Mandant, admin_client: Client
) -> None:
    machine = factories.user(tenant, role="scandienst", is_machine=True)
    response = admin_client.post(
        reverse("accounts:token_create", args=[machine.pk]),
        {
            "name": "Scanstraße",
            "permissions": ["inbox.upload"],
            "units": [str(factories.root_unit(tenant).pk)],
            "valid_days": 30,
        },
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    token = ApiToken.objects.for_tenant(tenant).get(user=machine)
    assert secret not in token.digest and token.digest != secret
    assert authenticate_token(secret) == token
    admin_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    with pytest.raises(TokenRefused) as refused:
        authenticate_token(secret)
    assert refused.value.reason == "revoked"
    assert authenticate_token(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None


def test_roles_page_lists_roles_from_code(admin_client: Client) -> None:
    body = admin_client.get(reverse("accounts:roles")).content.decode()
    assert "Sachbearbeitung" in body and "Audit-Protokoll einsehen" in body
