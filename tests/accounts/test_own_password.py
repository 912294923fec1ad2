"""A password someone else chose (a new account, an admin's reset) must be replaced at
the next sign-in before anything else; API tokens are not affected."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from koffer.accounts import services
from koffer.accounts.models import User, UserSession
from koffer.audit.models import AuditEvent
from koffer.tenancy.models import Mandant
from tests import factories

FIRST = "erstes-passwort-vom-amt-1"
OWN = "mein-eigenes-passwort-2"


def _sign_in(username: str, password: str) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


def _created_by_admin(admin_client: Client, tenant: Mandant) -> User:
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "neu.kollegin",
            "first_name": "Nora",
            "last_name": "Neu",
            "email": "",
            "unit": str(factories.root_unit(tenant).pk),
            "role": "sachbearbeitung",
            "password": FIRST,
        },
    )
    assert response.status_code == 302
    return User.objects.get(username="neu.kollegin")


def test_new_user_must_choose_own_password_first(tenant: Mandant, admin_client: Client) -> None:
    person = _created_by_admin(admin_client, tenant)
    assert person.must_change_password
    client = _sign_in("neu.kollegin", FIRST)
    for path in ("/", reverse("accounts:users"), "/akten/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:password_change"))
    page = client.get(reverse("accounts:password_change"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "<h1" in body and "Passwort ändern" in body
    assert "Bitte wählen Sie jetzt ein eigenes Passwort" in body
    assert 'autocomplete="current-password"' in body and 'autocomplete="new-password"' in body
    response = client.post(
        reverse("accounts:password_change") + "?next=/",
        {"current_password": FIRST, "new_password": OWN, "repeat_password": OWN, "next": "/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200  # same session, now free to work
    person.refresh_from_db()
    assert not person.must_change_password and person.check_password(OWN)
    assert AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="accounts.user.password_changed", object_id=str(person.pk)
    ).exists()


def test_a_post_elsewhere_is_refused_until_changed(tenant: Mandant, admin_client: Client) -> None:
    _created_by_admin(admin_client, tenant)
    client = _sign_in("neu.kollegin", FIRST)
    response = client.post(reverse("accounts:users"), {})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")


def test_admin_reset_forces_a_change_again(
    tenant: Mandant, admin_client: Client, caseworker: User
) -> None:
    admin_client.post(
        reverse("accounts:user_detail", args=[caseworker.pk]),
        {"action": "reset", "password": FIRST},
    )
    caseworker.refresh_from_db()
    assert caseworker.must_change_password
    client = _sign_in(caseworker.username, FIRST)
    assert client.get("/")["Location"].startswith(reverse("accounts:password_change"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"current_password": "falsch-falsch", "new_password": OWN, "repeat_password": OWN},
            "Das bisherige Passwort stimmt nicht.",
        ),
        (
            {"current_password": FIRST, "new_password": OWN, "repeat_password": OWN + "x"},
            "Die beiden neuen Passwörter stimmen nicht überein.",
        ),
        (
            {"current_password": FIRST, "new_password": FIRST, "repeat_password": FIRST},
            "muss sich vom bisherigen unterscheiden",
        ),
        ({"current_password": FIRST, "new_password": "kurz", "repeat_password": "kurz"}, "zu kurz"),
    ],
)
def test_refused_changes_say_why_in_german(
    tenant: Mandant, admin_client: Client, data: dict[str, str], message: str
) -> None:
    person = _created_by_admin(admin_client, tenant)
    client = _sign_in("neu.kollegin", FIRST)
    response = client.post(reverse("accounts:password_change"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Bitte prüfen Sie Ihre Eingaben" in response.content.decode()
    person.refresh_from_db()
    assert person.must_change_password and person.check_password(FIRST)


def test_own_password_comes_before_the_second_factor(tenant: Mandant, admin_client: Client) -> None:
    _created_by_admin(admin_client, tenant)
    with override_settings(KOFFER_REQUIRE_OTP=True):
        _new_person_sets_password_then_factor()


def _new_person_sets_password_then_factor() -> None:
    client = _sign_in("neu.kollegin", FIRST)
    assert client.get("/")["Location"].startswith(reverse("accounts:password_change"))
    assert client.get(reverse("accounts:password_change")).status_code == 200
    client.post(
        reverse("accounts:password_change"),
        {"current_password": FIRST, "new_password": OWN, "repeat_password": OWN},
    )
    assert client.get("/")["Location"] == reverse("accounts:otp")


def test_change_ends_the_other_sessions(tenant: Mandant, admin_client: Client) -> None:
    person = _created_by_admin(admin_client, tenant)
    other, mine = _sign_in("neu.kollegin", FIRST), _sign_in("neu.kollegin", FIRST)
    services.change_own_password(
        actor=person,
        current_password=FIRST,
        new_password=OWN,
        keep_session_key=mine.session.session_key,
    )
    assert list(UserSession.objects.filter(user=person).values_list("session_key", flat=True)) == [
        mine.session.session_key
    ]
    assert other.get("/").status_code == 302
    assert other.get("/")["Location"].startswith(reverse("accounts:login"))


def test_machine_accounts_and_tokens_are_not_affected(tenant: Mandant) -> None:
    machine = factories.user(tenant, role="scandienst", is_machine=True)
    assert not machine.must_change_password
    _token, secret = services.create_api_token(
        actor=None,
        tenant=tenant,
        user=machine,
        name="Scan",
        permissions=["inbox.upload"],
        units=[factories.root_unit(tenant)],
    )
    response = Client().get("/api/v1/jobs", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code != 302
