"""A browser session that the web pages still send to "choose your own password" or
"confirm the second factor" may not work through the API either; API keys of machine
accounts are not affected."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from koffer.accounts.models import User
from koffer.accounts.services import create_api_token
from koffer.records import defaults, services
from koffer.records.models import Akte, Vorgang
from koffer.tenancy.models import Mandant
from tests import factories

FIRST = "erstes-passwort-vom-amt-1"


@pytest.fixture
def akte(tenant: Mandant) -> Akte:
    defaults.install(actor=None, tenant=tenant)
    plan = services.create_aktenplaneinheit(
        actor=None, tenant=tenant, parent=None, kennzeichen="50", title="Leistungen", module="sgb2"
    )
    owner = factories.user(tenant, role="sachbearbeitung")
    return services.open_akte_for_person(
        actor=owner,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=factories.root_unit(tenant),
        title="Leistungsakte Beispiel",
        family_name="Beispiel",
        given_names="Anna",
        bg_nummer="neu",
        caseworker=owner,
    )


def _password_only(username: str, password: str = factories.PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


def _refused(response, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert "im Browser" in body["detail"]


def _patch(client: Client, akte: Akte) -> object:
    return client.patch(
        f"/api/v1/akten/{akte.pk}",
        json.dumps({"reason": "Prüfung", "status": "closed"}),
        content_type="application/json",
    )


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_second_factor_cannot_be_skipped_through_the_api(tenant: Mandant, akte: Akte) -> None:
    worker = factories.user(tenant, role="sachbearbeitung")
    device = TOTPDevice.objects.create(user=worker, name="Telefon", confirmed=True)
    client = _password_only(worker.username)
    assert client.get("/akten/")["Location"] == reverse("accounts:otp")
    _refused(client.get("/api/v1/akten"), "second_factor_required")
    _refused(client.get("/api/v1/me"), "second_factor_required")
    _refused(_patch(client, akte), "second_factor_required")
    _refused(
        client.post(
            f"/api/v1/akten/{akte.pk}/vorgaenge",
            json.dumps({"typ": "widerspruch"}),
            content_type="application/json",
        ),
        "second_factor_required",
    )
    assert not Vorgang.objects.for_tenant(akte.tenant_id).filter(akte=akte).exists()
    akte.refresh_from_db()
    assert akte.status == "open"
    # Once confirmed in the browser, the same session works through the API.
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    assert client.post(reverse("accounts:otp"), {"token": code}).status_code == 302
    assert client.get("/api/v1/akten").status_code == 200


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_roles_without_personal_data_need_no_second_factor_in_the_api(tenant: Mandant) -> None:
    statistician = factories.user(tenant, role="statistik")
    assert _password_only(statistician.username).get("/api/v1/me").status_code == 200


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_an_administration_needs_the_second_factor(tenant: Mandant) -> None:
    """An admin sees no personal data, but could hand any caseworker a new password and a
    fresh second factor: without a second factor of their own, one password would open
    every Akte."""
    admin = factories.user(tenant, role="mandant_admin")
    client = _password_only(admin.username)
    _refused(client.get("/api/v1/me"), "second_factor_required")
    assert client.get(reverse("accounts:users"))["Location"] == reverse("accounts:otp")


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_an_enrolled_account_proves_its_second_factor_before_changing_its_password(
    tenant: Mandant,
) -> None:
    worker = factories.user(
        tenant, role="sachbearbeitung", password=FIRST, must_change_password=True
    )
    device = TOTPDevice.objects.create(user=worker, name="Telefon", confirmed=True)
    client = _password_only(worker.username, FIRST)
    assert client.get("/akten/")["Location"] == reverse("accounts:otp")
    _refused(client.get("/api/v1/me"), "second_factor_required")
    own = "mein-eigenes-passwort-3"
    change = {"current_password": FIRST, "new_password": own, "repeat_password": own}
    assert client.post(reverse("accounts:password_change"), change)["Location"] == reverse(
        "accounts:otp"
    )
    worker.refresh_from_db()
    assert worker.check_password(FIRST)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    assert client.post(reverse("accounts:otp"), {"token": code}).status_code == 302
    _refused(client.get("/api/v1/me"), "password_change_required")
    assert client.post(reverse("accounts:password_change"), change).status_code == 302
    assert client.get("/api/v1/me").status_code == 200


def test_first_password_cannot_be_skipped_through_the_api(tenant: Mandant, akte: Akte) -> None:
    worker = factories.user(
        tenant, role="sachbearbeitung", password=FIRST, must_change_password=True
    )
    client = _password_only(worker.username, FIRST)
    assert client.get("/akten/")["Location"].startswith(reverse("accounts:password_change"))
    _refused(client.get("/api/v1/akten"), "password_change_required")
    _refused(_patch(client, akte), "password_change_required")
    _refused(
        client.post(
            f"/api/v1/akten/{akte.pk}/vorgaenge",
            json.dumps({"typ": "widerspruch"}),
            content_type="application/json",
        ),
        "password_change_required",
    )
    assert not Vorgang.objects.for_tenant(akte.tenant_id).filter(akte=akte).exists()
    own = "mein-eigenes-passwort-2"
    response = client.post(
        reverse("accounts:password_change"),
        {"current_password": FIRST, "new_password": own, "repeat_password": own},
    )
    assert response.status_code == 302
    assert client.get("/api/v1/akten").status_code == 200


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_api_keys_of_machine_accounts_are_not_affected(tenant: Mandant) -> None:
    machine = factories.user(tenant, role="scandienst", is_machine=True)
    User.objects.filter(pk=machine.pk).update(must_change_password=True)
    _, secret = create_api_token(
        actor=None,
        tenant=tenant,
        user=machine,
        name="Scanner",
        permissions=["inbox.upload"],
        units=[factories.root_unit(tenant)],
    )
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
