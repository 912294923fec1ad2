from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.tenancy.models import Mandant
from tests import factories


def _login(client: Client, username: str, password: str = factories.PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_by_username_and_by_email(caseworker: User) -> None:
    assert _login(Client(), caseworker.username).status_code == 302
    assert _login(Client(), caseworker.email or "").status_code == 302


def test_wrong_password_gets_german_message(caseworker: User) -> None:
    response = _login(Client(), caseworker.username, "falsch")
    assert response.status_code == 400
    assert "Benutzername oder Passwort ist falsch" in response.content.decode()


def test_lockout_after_repeated_failures(caseworker: User) -> None:
    client = Client()
    for _ in range(5):
        _login(client, caseworker.username, "falsch")
    response = _login(client, caseworker.username)
    assert response.status_code == 429
    assert "gesperrt" in response.content.decode()


def test_login_is_audited(tenant: Mandant, caseworker: User) -> None:
    _login(Client(), caseworker.username)
    assert AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="accounts.login", actor_id=caseworker.pk
    ).exists()


def test_machine_accounts_cannot_sign_in(tenant: Mandant) -> None:
    machine = factories.user(tenant, role="scandienst", is_machine=True)
    assert _login(Client(), machine.username).status_code == 400


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_second_factor_required_for_roles_with_personal_data(caseworker: User) -> None:
    client = Client()
    client.force_login(caseworker)
    response = client.get(reverse("shell:start"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:otp")


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_totp_setup_and_verify(caseworker: User) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(caseworker)
    page = client.get(reverse("accounts:otp"))
    assert "QR-Code" in page.content.decode()
    device = TOTPDevice.objects.get(user=caseworker)
    wrong = client.post(reverse("accounts:otp"), {"token": "000000"})
    assert "Der Code stimmt nicht" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code throttles the next try for a second
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    assert client.post(reverse("accounts:otp"), {"token": code}).status_code == 302
    assert client.get(reverse("shell:start")).status_code == 200


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_a_role_without_personal_data_or_administration_needs_no_second_factor(
    tenant: Mandant,
) -> None:
    client = Client()
    client.force_login(factories.user(tenant, role="statistik"))
    assert client.get(reverse("shell:start")).status_code == 200


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_an_administration_needs_the_second_factor(admin_user: User) -> None:
    client = Client()
    client.force_login(admin_user)
    assert client.get(reverse("shell:start"))["Location"] == reverse("accounts:otp")


def _signed_in_and_idle(user: User, *, seconds: int) -> Client:
    """A client whose last activity was ``seconds`` ago."""
    client = Client()
    client.force_login(user)
    assert client.get(reverse("shell:start")).status_code == 200
    session = client.session
    session["koffer_last_seen"] -= seconds
    session.save()
    return client


@override_settings(KOFFER_IDLE_TIMEOUT_SECONDS=60)
def test_idle_session_times_out(caseworker: User) -> None:
    client = _signed_in_and_idle(caseworker, seconds=3600)
    response = client.get(reverse("shell:start"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert "ohne Aktivität abgemeldet" in client.get(response["Location"]).content.decode()


@override_settings(KOFFER_IDLE_TIMEOUT_SECONDS=600)
def test_requests_a_page_sends_by_itself_do_not_hold_off_the_timeout(caseworker: User) -> None:
    """A refresh with ``X-Koffer-Passive: 1`` (htmx polling) is answered, but only the
    user's own requests move the last activity on."""
    client = _signed_in_and_idle(caseworker, seconds=300)
    before = client.session["koffer_last_seen"]
    passive = client.get(reverse("shell:start"), headers={"X-Koffer-Passive": "1"})
    assert passive.status_code == 200
    assert client.session["koffer_last_seen"] == before
    assert client.get(reverse("shell:start")).status_code == 200
    assert client.session["koffer_last_seen"] > before


@pytest.mark.parametrize("path", ["/", "/verwaltung/benutzer/"])
def test_pages_need_sign_in(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302 and "/anmelden/" in response["Location"]


def test_forged_csrf_token_is_refused(caseworker: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("accounts:login"),
        {
            "username": caseworker.username,
            "password": factories.PASSWORD,
            "csrfmiddlewaretoken": "gefälscht",
        },
    )
    assert response.status_code == 403
    assert "nichts gespeichert" in response.content.decode()
