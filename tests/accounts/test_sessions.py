"""The session, the signed-in user and the second factor's device are read in plain SQL
on every request (koffer.accounts.sessions, backends.user_by_pk,
middleware.device_by_persistent_id); nothing is cached, so every way of ending a session
takes effect with the next request."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from koffer.accounts.backends import user_by_pk
from koffer.accounts.middleware import device_by_persistent_id
from koffer.accounts.models import User
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in


def _sign_in(user: User) -> Client:
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    return client


def test_expired_session_signs_out(caseworker: User) -> None:
    client = _sign_in(caseworker)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/")
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_deleted_session_signs_out_at_once(caseworker: User) -> None:
    client = _sign_in(caseworker)
    Session.objects.filter(session_key=client.session.session_key).delete()
    assert client.get("/").status_code == 302


def test_revoked_sessions_end_for_every_client(
    tenant: Mandant, admin_client: Client, caseworker: User
) -> None:
    first, second = _sign_in(caseworker), _sign_in(caseworker)
    admin_client.post(reverse("accounts:user_detail", args=[caseworker.pk]), {"action": "revoke"})
    assert first.get("/").status_code == 302
    assert second.get("/healthz").status_code == 200  # an open path, now anonymous
    assert second.get("/").status_code == 302


def test_deactivated_user_is_signed_out(caseworker: User) -> None:
    client = _sign_in(caseworker)
    User.objects.filter(pk=caseworker.pk).update(is_active=False)
    assert client.get("/").status_code == 302


def test_password_change_elsewhere_signs_out(caseworker: User) -> None:
    client = _sign_in(caseworker)
    caseworker.set_password("ein-ganz-anderes-passwort-3")
    caseworker.save(update_fields=["password"])
    assert client.get("/").status_code == 302


def test_session_data_survives_requests(caseworker: User) -> None:
    client = signed_in(caseworker)
    client.get("/")
    key = client.session.session_key
    assert client.get("/").status_code == 200
    assert client.session.session_key == key
    assert client.session.get("koffer_tenant_id")


def test_user_by_pk_equals_the_orm(caseworker: User, tenant: Mandant) -> None:
    caseworker.last_login = timezone.now()
    caseworker.save(update_fields=["last_login"])
    machine = factories.user(tenant, is_machine=True)
    for user in (caseworker, machine):
        expected = User.objects.get(pk=user.pk)
        found = user_by_pk(user.pk)
        assert found is not None and not found._state.adding and found._state.db == "default"
        for field in User._meta.concrete_fields:
            value, wanted = getattr(found, field.attname), getattr(expected, field.attname)
            assert value == wanted and type(value) is type(wanted), field.name
    assert user_by_pk(factories.mandant().pk) is None  # a UUID that is no user


def _totp(user: User, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Telefon", confirmed=confirmed)


def _with_device(user: User, device: TOTPDevice) -> Client:
    client = signed_in(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_device_by_persistent_id_equals_django_otp(caseworker: User) -> None:
    device = _totp(caseworker)
    found = device_by_persistent_id(device.persistent_id)
    expected = Device.from_persistent_id(device.persistent_id)
    assert isinstance(found, TOTPDevice) and expected is not None
    for field in TOTPDevice._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    for broken in (
        "",
        "otp_totp.totpdevice",
        "otp_totp.totpdevice/x",
        "nix.da/1",
        "accounts.user/1",
    ):
        assert device_by_persistent_id(broken) is None
    assert device_by_persistent_id(f"otp_totp.totpdevice/{device.pk + 1000}") is None


@override_settings(KOFFER_REQUIRE_OTP=True)
def test_second_factor_counts_only_own_confirmed_devices(caseworker: User, tenant: Mandant) -> None:
    assert _with_device(caseworker, _totp(caseworker)).get("/").status_code == 200
    unconfirmed = _with_device(caseworker, _totp(caseworker, confirmed=False))
    assert unconfirmed.get("/")["Location"] == reverse("accounts:otp")
    stranger = factories.user(tenant)
    foreign = _with_device(caseworker, _totp(stranger))
    assert foreign.get("/")["Location"] == reverse("accounts:otp")
