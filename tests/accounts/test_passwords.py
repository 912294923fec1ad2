"""Passwords: argon2id at OWASP's parameters, an old (stronger but costlier) hash is
replaced at the next sign-in, and only KOFFER_PASSWORD_HASH_SLOTS hashes run at once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher, make_password
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.accounts.passwords import hash_slot
from tests import factories

KOFFER_ONLY = [
    "koffer.accounts.passwords.Argon2Hasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


@pytest.fixture
def real_hashers(settings: Any, tmp_path: Path) -> None:
    """The hashers of production (the test settings put a fast MD5 first)."""
    settings.PASSWORD_HASHERS = KOFFER_ONLY
    settings.VAR_DIR = tmp_path


def test_new_passwords_are_argon2id_at_owasp_parameters(real_hashers: None) -> None:
    encoded = make_password(factories.PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_old_hash_works_and_is_replaced_at_sign_in(real_hashers: None, caseworker: User) -> None:
    old = make_password(factories.PASSWORD, hasher=Argon2PasswordHasher())  # Django's 100 MiB
    assert "m=102400,t=2,p=8" in old
    User.objects.filter(pk=caseworker.pk).update(password=old)

    response = Client().post(
        reverse("accounts:login"),
        {"username": caseworker.username, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert "m=19456,t=2,p=1" in caseworker.password
    assert identify_hasher(caseworker.password).algorithm == "argon2"
    rehashed = caseworker.password

    response = Client().post(
        reverse("accounts:login"),
        {"username": caseworker.username, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.password == rehashed  # current parameters: left alone


def test_a_wrong_password_does_not_replace_the_old_hash(
    real_hashers: None, caseworker: User
) -> None:
    old = make_password(factories.PASSWORD, hasher=Argon2PasswordHasher())
    User.objects.filter(pk=caseworker.pk).update(password=old)
    response = Client().post(
        reverse("accounts:login"), {"username": caseworker.username, "password": "falsch"}
    )
    assert response.status_code == 400
    caseworker.refresh_from_db()
    assert caseworker.password == old


@pytest.mark.parametrize("slots", [1, 2])
def test_hashes_wait_for_a_free_slot(settings: Any, tmp_path: Path, slots: int) -> None:
    """``slots`` holders at once; the next waits until one lets go. A thread here stands
    in for a web worker: each take of a slot opens its own lock file, as a process does."""
    settings.VAR_DIR = tmp_path
    settings.KOFFER_PASSWORD_HASH_SLOTS = slots
    release = threading.Event()
    inside = threading.Semaphore(0)

    def hold() -> None:
        with hash_slot():
            inside.release()
            release.wait(10)

    holders = [threading.Thread(target=hold) for _ in range(slots)]
    for holder in holders:
        holder.start()
    for _ in holders:
        assert inside.acquire(timeout=10)  # every slot taken
    late = threading.Thread(target=hold)
    late.start()
    assert not inside.acquire(timeout=0.5), "mehr Hashes gleichzeitig als Plätze"
    release.set()
    assert inside.acquire(timeout=10), "wartet nach dem Freiwerden noch immer"
    for thread in [*holders, late]:
        thread.join(timeout=10)
