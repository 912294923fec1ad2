"""The sign-in lock-out counts against the account, whatever spelling of its name or
e-mail address is typed, and throttles one address that sprays over many names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from koffer.accounts.models import LoginFailure, User
from koffer.tenancy.models import Mandant
from tests import factories

START = datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[Clock]:
    pinned = Clock(START)
    with mock.patch("django.utils.timezone.now", new=pinned):
        yield pinned


def _login(username: str, password: str = factories.PASSWORD, *, ip: str = "10.0.0.1") -> int:
    client = Client(REMOTE_ADDR=ip)
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    return response.status_code


@pytest.fixture
def person(tenant: Mandant) -> User:
    return factories.user(tenant, username="tl.jobcenter", email="tim.krause@example.org")


def _fail_five_times(username: str) -> None:
    for _ in range(5):
        assert _login(username, "falsch") == 400


@pytest.mark.parametrize(
    "variant",
    [
        "Tl.Jobcenter",
        "TL.JOBCENTER",
        "  tl.jobcenter  ",
        "TIM.KRAUSE@EXAMPLE.ORG",
        " Tim.Krause@example.org",
    ],
)
def test_every_spelling_is_locked_after_the_limit(clock: Clock, person: User, variant: str) -> None:
    _fail_five_times("tl.jobcenter")
    assert _login(variant, "noch-falscher") == 429
    assert _login(variant) == 429  # the right password is refused too
    assert _login("tl.jobcenter") == 429


def test_failures_through_variants_add_up(clock: Clock, person: User) -> None:
    for variant in ["Tl.Jobcenter", "TIM.KRAUSE@EXAMPLE.ORG", " tl.jobcenter", "TL.jobcenter"]:
        assert _login(variant, "falsch") == 400
    assert _login("tim.krause@example.org", "falsch") == 400
    assert _login("tl.jobcenter") == 429


def test_locked_answer_is_german_and_says_when_to_retry(clock: Clock, person: User) -> None:
    _fail_five_times("TL.JOBCENTER")
    response = Client().post(
        reverse("accounts:login"), {"username": "tl.jobcenter", "password": factories.PASSWORD}
    )
    assert response.status_code == 429
    assert "Das Konto ist für 15 Minuten gesperrt" in response.content.decode()
    assert response["Retry-After"] == "900"


def test_lockout_ends_after_the_cool_off(clock: Clock, person: User) -> None:
    _fail_five_times("Tl.Jobcenter")
    clock.advance(minutes=14, seconds=59)
    assert _login("tl.jobcenter") == 429
    clock.advance(seconds=2)
    assert _login("tl.jobcenter") == 302


def test_success_forgives_earlier_failures(clock: Clock, person: User) -> None:
    for _ in range(4):
        _login("TL.JOBCENTER", "falsch")
    assert _login("tl.jobcenter") == 302
    for _ in range(4):
        assert _login("tl.jobcenter", "falsch") == 400
    assert _login("tl.jobcenter") == 302


def test_unknown_names_lock_like_known_ones(clock: Clock, person: User) -> None:
    for _ in range(5):
        assert _login("Niemand.Hier", "falsch") == 400
    assert _login(" NIEMAND.HIER ", "falsch") == 429
    assert _login("niemand.hier", "falsch") == 429
    # The typed text is not stored: only its hash, so a password typed as a name is safe.
    assert not LoginFailure.objects.filter(key__icontains="niemand").exists()


def test_lock_holds_for_every_address(clock: Clock, person: User) -> None:
    for n in range(5):
        _login("tl.jobcenter", "falsch", ip=f"10.0.1.{n}")
    assert _login("tl.jobcenter", ip="10.0.2.1") == 429


@override_settings(KOFFER_LOGIN_ADDRESS_LIMIT=30)
def test_spraying_from_one_address_is_throttled(clock: Clock, tenant: Mandant) -> None:
    users = [factories.user(tenant) for _ in range(31)]
    for user in users[:30]:
        assert _login(user.username, "Sommer2026!", ip="192.0.2.7") == 400
    response = Client(REMOTE_ADDR="192.0.2.7").post(
        reverse("accounts:login"), {"username": users[30].username, "password": factories.PASSWORD}
    )
    assert response.status_code == 429
    assert "Zu viele Anmeldeversuche von dieser Adresse" in response.content.decode()
    # No account is locked by it: the same person signs in from elsewhere.
    assert _login(users[30].username, ip="198.51.100.3") == 302
    assert _login(users[0].username, ip="198.51.100.3") == 302
    clock.advance(minutes=16)
    assert _login(users[30].username, ip="192.0.2.7") == 302


# --- the own password change asks for the current password: it counts like a sign-in -------

NEW = "ganz-neues-passwort-9"


def _change(client: Client, current: str) -> int:
    response = client.post(
        reverse("accounts:password_change"),
        {"current_password": current, "new_password": NEW, "repeat_password": NEW},
    )
    return response.status_code


def test_wrong_current_passwords_lock_the_account(clock: Clock, person: User) -> None:
    """A stolen session may not guess the current password without limit."""
    client = Client(REMOTE_ADDR="10.0.0.9")
    client.force_login(person)
    for _ in range(5):
        assert _change(client, "falsch") == 400
    response = client.post(
        reverse("accounts:password_change"),
        {"current_password": factories.PASSWORD, "new_password": NEW, "repeat_password": NEW},
    )
    assert response.status_code == 429
    assert "Das Konto ist für 15 Minuten gesperrt" in response.content.decode()
    assert response["Retry-After"] == "900"
    person.refresh_from_db()
    assert person.check_password(factories.PASSWORD)
    assert _login("tl.jobcenter") == 429  # one lock for the account, wherever it was earned
    clock.advance(minutes=15, seconds=1)
    assert _change(client, factories.PASSWORD) == 302


def test_failed_sign_ins_and_password_changes_add_up(clock: Clock, person: User) -> None:
    client = Client()
    client.force_login(person)
    for _ in range(3):
        assert _login("tl.jobcenter", "falsch") == 400
    for _ in range(2):
        assert _change(client, "falsch") == 400
    assert _change(client, factories.PASSWORD) == 429


def test_right_current_password_forgives_earlier_failures(clock: Clock, person: User) -> None:
    client = Client()
    client.force_login(person)
    for _ in range(4):
        assert _change(client, "falsch") == 400
    assert _change(client, factories.PASSWORD) == 302
    assert not LoginFailure.objects.exists()
