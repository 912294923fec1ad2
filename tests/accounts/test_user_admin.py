"""The user page: roles by the kind of Mandant, role changes, deactivation, second-factor
reset and session revocation, each a service that checks the actor's right itself."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from koffer.accounts import services
from koffer.accounts.models import Membership, User
from koffer.accounts.roles import GRANTABLE_BY_KIND, ROLES, Perm, Role
from koffer.audit.models import AuditEvent
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in


def _detail(user: User) -> str:
    return reverse("accounts:user_detail", args=[user.pk])


def _sign_in(user: User) -> Client:
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    return client


def _audited(tenant: Mandant, action: str, user: User) -> bool:
    return AuditEvent.objects.filter(
        tenant_id=tenant.pk, action=action, object_id=str(user.pk)
    ).exists()


@pytest.fixture
def jobcenter(db: None) -> Mandant:
    return factories.mandant("Jobcenter Prüfstadt", kind=Mandant.Kind.JOBCENTER)


@pytest.fixture
def jobcenter_admin(jobcenter: Mandant) -> User:
    return factories.user(jobcenter, role="mandant_admin")


# --- roles by the kind of Mandant --------------------------------------------------------------


def test_every_kind_of_mandant_has_its_roles() -> None:
    assert set(GRANTABLE_BY_KIND) == set(Mandant.Kind.values)
    assert all(code in ROLES for codes in GRANTABLE_BY_KIND.values() for code in codes)


def test_jobcenter_admin_is_not_offered_state_roles(
    jobcenter: Mandant, jobcenter_admin: User
) -> None:
    page = signed_in(jobcenter_admin).get(reverse("accounts:user_create"))
    offered = {code for code, _ in page.context["form"].fields["role"].choices}
    assert offered == {
        "sachbearbeitung",
        "teamleitung",
        "poststelle",
        "datenschutz",
        "mandant_admin",
    }


@pytest.mark.parametrize("role", ["landesjugendamt", "statistik", "platzverwaltung"])
def test_jobcenter_admin_cannot_create_state_roles(
    jobcenter: Mandant, jobcenter_admin: User, role: str
) -> None:
    response = signed_in(jobcenter_admin).post(
        reverse("accounts:user_create"),
        {
            "username": "heimaufsicht.falsch",
            "first_name": "Hanna",
            "last_name": "Falsch",
            "unit": str(factories.root_unit(jobcenter).pk),
            "role": role,
            "password": "ein-langes-passwort-7",
        },
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="heimaufsicht.falsch").exists()
    with pytest.raises(services.AccountError) as refused:
        services.create_user(
            actor=jobcenter_admin,
            tenant=jobcenter,
            username="heimaufsicht.falsch",
            first_name="Hanna",
            last_name="Falsch",
            email=None,
            password="ein-langes-passwort-7",
            unit=factories.root_unit(jobcenter),
            role=role,
        )
    assert refused.value.code == "role_not_for_kind"
    assert "kann ein Mandant dieser Art nicht vergeben" in refused.value.message


def test_jobcenter_admin_cannot_grant_state_roles_to_a_member(
    jobcenter: Mandant, jobcenter_admin: User
) -> None:
    member = factories.user(jobcenter)
    client = signed_in(jobcenter_admin)
    response = client.post(
        _detail(member),
        {
            "action": "grant",
            "role": "landesjugendamt",
            "unit": str(factories.root_unit(jobcenter).pk),
        },
    )
    assert response.status_code == 400
    with pytest.raises(services.AccountError) as refused:
        services.grant_role(
            actor=jobcenter_admin,
            tenant=jobcenter,
            user=member,
            unit=factories.root_unit(jobcenter),
            role="statistik",
        )
    assert refused.value.code == "role_not_for_kind"
    assert list(
        Membership.objects.for_tenant(jobcenter).filter(user=member).values_list("role", flat=True)
    ) == ["sachbearbeitung"]


def test_landesjugendamt_admin_grants_its_own_role(db: None) -> None:
    lja = factories.mandant("Landesjugendamt", kind=Mandant.Kind.LANDESJUGENDAMT)
    admin = factories.user(lja, role="mandant_admin")
    response = signed_in(admin).post(
        reverse("accounts:user_create"),
        {
            "username": "heimaufsicht.neu",
            "first_name": "Hanna",
            "last_name": "Neu",
            "unit": str(factories.root_unit(lja).pk),
            "role": "landesjugendamt",
            "password": "ein-langes-passwort-7",
        },
    )
    assert response.status_code == 302


def test_admin_cannot_grant_more_than_they_hold(
    tenant: Mandant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone who administers users but not API keys cannot make a full admin."""
    monkeypatch.setitem(
        ROLES,
        "benutzerverwaltung",
        Role(
            "benutzerverwaltung", "Benutzerverwaltung", "", frozenset({Perm.ACCOUNTS_MANAGE}), False
        ),
    )
    monkeypatch.setitem(
        GRANTABLE_BY_KIND, "kreis", GRANTABLE_BY_KIND["kreis"] | {"benutzerverwaltung"}
    )
    user_admin = factories.user(tenant, role="benutzerverwaltung")
    member = factories.user(tenant)
    offered = {
        code
        for code, _ in signed_in(user_admin)
        .get(_detail(member))
        .context["grant_form"]
        .fields["role"]
        .choices
    }
    assert "sachbearbeitung" in offered and "mandant_admin" not in offered
    with pytest.raises(services.AccountError) as refused:
        services.grant_role(
            actor=user_admin,
            tenant=tenant,
            user=member,
            unit=factories.root_unit(tenant),
            role="mandant_admin",
        )
    assert refused.value.code == "role_forbidden"


def test_admin_of_a_unit_grants_only_inside_it(tenant: Mandant) -> None:
    team = factories.unit(tenant, "ASD Nord")
    team_admin = factories.user(tenant, role="mandant_admin", unit_=team)
    member = factories.user(tenant, unit_=team)
    services.grant_role(actor=team_admin, tenant=tenant, user=member, unit=team, role="teamleitung")
    with pytest.raises(services.AccountError) as refused:
        services.grant_role(
            actor=team_admin,
            tenant=tenant,
            user=member,
            unit=factories.root_unit(tenant),
            role="teamleitung",
        )
    assert refused.value.code == "role_forbidden"


def test_target_unit_must_be_inside_the_mandant(
    tenant: Mandant, other_tenant: Mandant, admin_user: User, admin_client: Client, caseworker: User
) -> None:
    foreign = factories.root_unit(other_tenant)
    response = admin_client.post(
        _detail(caseworker), {"action": "grant", "role": "teamleitung", "unit": str(foreign.pk)}
    )
    assert response.status_code == 400
    with pytest.raises(services.AccountError) as refused:
        services.grant_role(
            actor=admin_user, tenant=tenant, user=caseworker, unit=foreign, role="teamleitung"
        )
    assert refused.value.code == "unit_foreign"
    assert not Membership.objects.for_tenant(other_tenant).filter(user=caseworker).exists()


def test_strangers_cannot_be_pulled_into_the_mandant(
    tenant: Mandant, other_tenant: Mandant, admin_user: User
) -> None:
    stranger = factories.user(other_tenant)
    with pytest.raises(services.AccountError) as refused:
        services.grant_role(
            actor=admin_user,
            tenant=tenant,
            user=stranger,
            unit=factories.root_unit(tenant),
            role="sachbearbeitung",
        )
    assert refused.value.code == "not_member"


# --- role change ----------------------------------------------------------------------------


def test_admin_grants_and_takes_a_role(
    tenant: Mandant, admin_client: Client, caseworker: User
) -> None:
    team = factories.unit(tenant, "Leistung")
    response = admin_client.post(
        _detail(caseworker), {"action": "grant", "role": "teamleitung", "unit": str(team.pk)}
    )
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "Rolle „Teamleitung“ in Leistung vergeben." in page
    held = Membership.objects.for_tenant(tenant).get(user=caseworker, role="teamleitung")
    assert held.unit == team
    assert _audited(tenant, "accounts.user.create", caseworker)
    assert AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="accounts.membership.add", object_id=str(held.pk)
    ).exists()

    response = admin_client.post(
        _detail(caseworker), {"action": "revoke_role", "membership": str(held.pk)}
    )
    assert response.status_code == 302
    assert "entzogen" in admin_client.get(response["Location"]).content.decode()
    assert not Membership.objects.for_tenant(tenant).filter(pk=held.pk).exists()
    assert AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="accounts.membership.remove", object_id=str(held.pk)
    ).exists()


def test_last_role_is_not_taken_but_the_account_deactivated(
    tenant: Mandant, admin_client: Client, caseworker: User
) -> None:
    only = Membership.objects.for_tenant(tenant).get(user=caseworker)
    response = admin_client.post(
        _detail(caseworker), {"action": "revoke_role", "membership": str(only.pk)}
    )
    assert response.status_code == 400
    assert "letzte Rolle" in response.content.decode()
    assert Membership.objects.for_tenant(tenant).filter(pk=only.pk).exists()


def test_foreign_membership_is_404(
    tenant: Mandant, other_tenant: Mandant, admin_client: Client, caseworker: User
) -> None:
    foreign = factories.user(other_tenant)
    held = Membership.objects.for_tenant(other_tenant).get(user=foreign)
    response = admin_client.post(
        _detail(caseworker), {"action": "revoke_role", "membership": str(held.pk)}
    )
    assert response.status_code == 404


def test_admin_cannot_change_own_roles(
    tenant: Mandant, admin_user: User, admin_client: Client
) -> None:
    response = admin_client.post(
        _detail(admin_user),
        {"action": "grant", "role": "sachbearbeitung", "unit": str(factories.root_unit(tenant).pk)},
    )
    assert response.status_code == 403
    assert "Ihre eigenen Rollen" in response.content.decode()
    assert list(
        Membership.objects.for_tenant(tenant).filter(user=admin_user).values_list("role", flat=True)
    ) == ["mandant_admin"]


# --- deactivation ---------------------------------------------------------------------------


def test_deactivate_and_reactivate(tenant: Mandant, admin_client: Client, caseworker: User) -> None:
    working = _sign_in(caseworker)
    response = admin_client.post(_detail(caseworker), {"action": "deactivate"})
    assert response.status_code == 302
    assert "ist deaktiviert" in admin_client.get(response["Location"]).content.decode()
    caseworker.refresh_from_db()
    assert not caseworker.is_active
    assert working.get("/").status_code == 302
    assert not Session.objects.filter(session_key=working.session.session_key).exists()
    refused = Client().post(
        reverse("accounts:login"), {"username": caseworker.username, "password": factories.PASSWORD}
    )
    assert refused.status_code == 400
    assert _audited(tenant, "accounts.user.deactivate", caseworker)

    response = admin_client.post(_detail(caseworker), {"action": "reactivate"})
    assert response.status_code == 302
    assert "wieder aktiv" in admin_client.get(response["Location"]).content.decode()
    _sign_in(caseworker)
    assert _audited(tenant, "accounts.user.reactivate", caseworker)


def test_admin_cannot_deactivate_themselves(
    tenant: Mandant, admin_user: User, admin_client: Client
) -> None:
    response = admin_client.post(_detail(admin_user), {"action": "deactivate"})
    assert response.status_code == 403
    assert "Ihr eigenes Konto" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active
    with pytest.raises(services.AccountError) as refused:
        services.set_active(actor=admin_user, tenant=tenant, user=admin_user, active=False)
    assert refused.value.code == "self_deactivate"


def test_deactivated_machine_account_loses_its_keys(tenant: Mandant, admin_client: Client) -> None:
    token, secret = factories.api_token(tenant, ["inbox.upload"], role="scandienst", name="Scan")
    assert admin_client.post(_detail(token.user), {"action": "deactivate"}).status_code == 302
    with pytest.raises(services.TokenRefused):
        services.authenticate_token(secret)


# --- second factor and sessions -------------------------------------------------------------


def test_second_factor_reset(tenant: Mandant, admin_client: Client, caseworker: User) -> None:
    TOTPDevice.objects.create(user=caseworker, name="Telefon", confirmed=True)
    working = _sign_in(caseworker)
    page = admin_client.get(_detail(caseworker)).content.decode()
    assert "Zweiten Faktor zurücksetzen" in page
    response = admin_client.post(_detail(caseworker), {"action": "otp_reset"})
    assert response.status_code == 302
    assert (
        "Zweiter Faktor zurückgesetzt (1 Gerät(e) entfernt)"
        in admin_client.get(response["Location"]).content.decode()
    )
    assert not TOTPDevice.objects.filter(user=caseworker).exists()
    assert working.get("/").status_code == 302
    assert _audited(tenant, "accounts.user.otp_reset", caseworker)


def test_session_revocation_is_confirmed_and_audited(
    tenant: Mandant, admin_client: Client, caseworker: User
) -> None:
    working = _sign_in(caseworker)
    response = admin_client.post(_detail(caseworker), {"action": "revoke"})
    assert "1 Sitzung(en)" in admin_client.get(response["Location"]).content.decode()
    assert working.get("/").status_code == 302
    assert _audited(tenant, "accounts.user.sessions_revoked", caseworker)


def test_forms_need_csrf(tenant: Mandant, admin_user: User, caseworker: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(_detail(caseworker), {"action": "deactivate"}).status_code == 403
    caseworker.refresh_from_db()
    assert caseworker.is_active
    page = client.get(_detail(caseworker)).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 5


# --- the right is checked in the services ----------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda actor, tenant, user: services.revoke_sessions(actor=actor, tenant=tenant, user=user),
        lambda actor, tenant, user: services.set_active(
            actor=actor, tenant=tenant, user=user, active=False
        ),
        lambda actor, tenant, user: services.reset_second_factor(
            actor=actor, tenant=tenant, user=user
        ),
        lambda actor, tenant, user: services.reset_password(
            actor=actor, tenant=tenant, user=user, new_password="ganz-neues-passwort-9"
        ),
        lambda actor, tenant, user: services.grant_role(
            actor=actor,
            tenant=tenant,
            user=user,
            unit=factories.root_unit(tenant),
            role="teamleitung",
        ),
    ],
)
def test_a_caseworker_cannot_administer(tenant: Mandant, caseworker: User, call) -> None:  # type: ignore[no-untyped-def]
    colleague = factories.user(tenant)
    with pytest.raises(services.AccountError):
        call(caseworker, tenant, colleague)
    colleague.refresh_from_db()
    assert colleague.is_active and colleague.check_password(factories.PASSWORD)


@pytest.mark.parametrize("action", ["reset", "deactivate", "otp_reset"])
def test_account_of_another_mandant_is_not_taken_over(
    tenant: Mandant, other_tenant: Mandant, admin_client: Client, action: str
) -> None:
    """A person who also works in another Mandant: this Mandant's admin must not reset
    their password or second factor (and so sign in as them there), nor lock them out."""
    both = factories.user(other_tenant)
    factories.add_role(both, tenant, "sachbearbeitung")
    TOTPDevice.objects.create(user=both, name="Telefon", confirmed=True)
    response = admin_client.post(
        _detail(both), {"action": action, "password": "ganz-neues-passwort-9"}
    )
    assert response.status_code == 403
    assert "die Sie nicht verwalten" in response.content.decode()
    both.refresh_from_db()
    assert both.is_active and both.check_password(factories.PASSWORD)
    assert TOTPDevice.objects.filter(user=both).exists()


def test_admin_of_both_mandanten_may(
    tenant: Mandant, other_tenant: Mandant, admin_user: User
) -> None:
    both = factories.user(other_tenant)
    factories.add_role(both, tenant, "sachbearbeitung")
    factories.add_role(admin_user, other_tenant, "mandant_admin")
    services.set_active(actor=admin_user, tenant=tenant, user=both, active=False)
    both.refresh_from_db()
    assert not both.is_active
    assert _audited(tenant, "accounts.user.deactivate", both)
    assert _audited(other_tenant, "accounts.user.deactivate", both)


# --- user names are global --------------------------------------------------------------------


def test_taken_user_name_says_it_is_global(
    tenant: Mandant, other_tenant: Mandant, admin_client: Client
) -> None:
    factories.user(other_tenant, username="m.mueller")
    response = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "M.Mueller",
            "first_name": "Max",
            "last_name": "Müller",
            "unit": str(factories.root_unit(tenant).pk),
            "role": "sachbearbeitung",
            "password": "ein-langes-passwort-7",
        },
    )
    assert response.status_code == 400
    assert (
        "Dieser Benutzername ist bereits vergeben (Benutzernamen gelten für alle Mandanten "
        "dieser Installation)." in response.content.decode()
    )


def test_user_name_may_not_be_another_accounts_email(tenant: Mandant, admin_user: User) -> None:
    factories.user(tenant, email="anna@example.org")
    with pytest.raises(services.AccountError) as refused:
        services.create_user(
            actor=admin_user,
            tenant=tenant,
            username="Anna@example.org",
            first_name="Anna",
            last_name="Andere",
            email=None,
            password="ein-langes-passwort-7",
            unit=factories.root_unit(tenant),
            role="sachbearbeitung",
        )
    assert refused.value.code == "username_taken"


# --- one's own account, and accounts one does not wholly administer ---------------------------


def test_admin_cannot_reset_own_password(admin_user: User, admin_client: Client) -> None:
    """A stolen session of an admin must not be enough to take the account over: the own
    password is changed with the current one, under "Passwort ändern"."""
    page = admin_client.get(_detail(admin_user)).content.decode()
    assert "Passwort setzen" not in page and "Zweiten Faktor zurücksetzen" not in page
    assert reverse("accounts:password_change") in page
    response = admin_client.post(
        _detail(admin_user), {"action": "reset", "password": "ganz-neues-passwort-9"}
    )
    assert response.status_code == 403
    assert "Passwort ändern" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.check_password(factories.PASSWORD) and not admin_user.must_change_password


def test_admin_cannot_reset_own_second_factor(tenant: Mandant, admin_user: User) -> None:
    TOTPDevice.objects.create(user=admin_user, name="Telefon", confirmed=True)
    response = signed_in(admin_user).post(_detail(admin_user), {"action": "otp_reset"})
    assert response.status_code == 403
    assert "andere Administration" in response.content.decode()
    with pytest.raises(services.AccountError) as refused:
        services.reset_second_factor(actor=admin_user, tenant=tenant, user=admin_user)
    assert refused.value.code == "own_second_factor_reset"
    assert TOTPDevice.objects.filter(user=admin_user).exists()


def test_unit_admin_cannot_end_sessions_in_another_unit(tenant: Mandant) -> None:
    team = factories.unit(tenant, "ASD Nord")
    team_admin = factories.user(tenant, role="mandant_admin", unit_=team)
    elsewhere = factories.user(tenant, unit_=factories.unit(tenant, "ASD Süd"))
    working = _sign_in(elsewhere)
    response = signed_in(team_admin).post(_detail(elsewhere), {"action": "revoke"})
    assert response.status_code == 403
    assert "die Sie nicht verwalten" in response.content.decode()
    assert working.get("/").status_code == 200
    assert not _audited(tenant, "accounts.user.sessions_revoked", elsewhere)


def test_admin_of_one_mandant_cannot_end_sessions_in_another(
    tenant: Mandant, jobcenter: Mandant, jobcenter_admin: User
) -> None:
    both = factories.user(tenant)
    factories.add_role(both, jobcenter, "sachbearbeitung")
    working = _sign_in(both)
    with pytest.raises(services.AccountError) as refused:
        services.revoke_sessions(actor=jobcenter_admin, tenant=jobcenter, user=both)
    assert refused.value.code == "account_forbidden"
    assert working.get("/").status_code == 200


def test_page_of_an_account_one_does_not_manage_shows_no_sessions_or_actions(
    tenant: Mandant,
) -> None:
    """Decision: the page (name, roles) shows, since roles in one's own units may be granted
    from it; the sessions (addresses, browsers) and the actions on the whole account only to
    an admin who may manage the whole account."""
    team = factories.unit(tenant, "ASD Nord")
    team_admin = factories.user(tenant, role="mandant_admin", unit_=team)
    elsewhere = factories.user(tenant, unit_=factories.unit(tenant, "ASD Süd"))
    _sign_in(elsewhere)
    page = signed_in(team_admin).get(_detail(elsewhere))
    assert page.status_code == 200
    body = page.content.decode()
    assert elsewhere.username in body
    assert page.context["sessions"] is None
    for hidden in (
        "angemeldete Sitzung(en)",
        "Alle Sitzungen beenden",
        "Passwort setzen",
        "Konto deaktivieren",
    ):
        assert hidden not in body
    assert "die Sie nicht verwalten" in body
    mine = factories.user(tenant, unit_=team)
    _sign_in(mine)
    body = signed_in(team_admin).get(_detail(mine)).content.decode()
    assert "1 angemeldete Sitzung(en)" in body
    assert "Alle Sitzungen beenden" in body and "Konto deaktivieren" in body
