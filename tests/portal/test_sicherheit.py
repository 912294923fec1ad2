"""Security rules of the portal (issue 19, item 7): a new session key at every sign-in
(no fixation), CSRF on every POST of the portal and its staff pages (generated from the
URL configuration), citizens and staff apart on the new staff pages, no account
enumeration by the e-mail pages' answers or their timing, no open redirect by ``next``
or the SAML RelayState."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client, TestCase, override_settings

from koffer.accounts.passwords import Argon2Hasher
from koffer.portal import sitzung
from koffer.portal.models import Buergerkonto, PortalEinstellung
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.isolation.test_isolation import PORTAL_PREFIX, _routes
from tests.isolation.test_portal import PORTAL_OBJECT_FACTORIES
from tests.portal.conftest import ACS, zum_idp
from tests.portal.idp import TestIdp

pytestmark = pytest.mark.django_db

PASSWORT = "Richtig-geheim-42"
STAFF_PAGES = ("/verwaltung/portal/konten/", "/verwaltung/portal/einstellungen/")


@pytest.fixture
def erlaubt(tenant: Mandant, settings: Any) -> Mandant:
    settings.KOFFER_PORTAL_SAML_BASE_URL = "http://testserver"
    PortalEinstellung.objects.create(tenant=tenant, email_konten_erlaubt=True)
    return tenant


def _bestaetigtes_konto(tenant: Mandant, email: str) -> Buergerkonto:
    from django.utils import timezone

    from koffer.portal import emailkonten

    with TestCase.captureOnCommitCallbacks(execute=True):
        emailkonten.registrieren(mandant=tenant, email=email, password=PASSWORT)
    konto = Buergerkonto.objects.for_tenant(tenant).get(email=email)
    konto.email_bestaetigt_am = timezone.now()
    konto.save()
    return konto


def _session_key(client: Client) -> str:
    session = client.session
    session["vorher"] = "ja"  # a session the attacker could have planted
    session.save()
    assert session.session_key
    return session.session_key


def test_an_email_sign_in_gets_a_new_session_key(erlaubt: Mandant) -> None:
    _bestaetigtes_konto(erlaubt, "fix@example.org")
    client = Client()
    vorher = _session_key(client)
    antwort = client.post(
        f"/portal/{erlaubt.slug}/email/anmelden/",
        {"email": "fix@example.org", "password": PASSWORT},
    )
    assert antwort.status_code == 302
    nachher = client.session
    assert nachher.session_key != vorher and "vorher" not in nachher
    assert nachher[sitzung.SESSION_KONTO]


def test_a_bundid_sign_in_gets_a_new_session_key(tenant: Mandant, idp: TestIdp) -> None:
    client = Client()
    vorher = _session_key(client)
    assert client.post(ACS, zum_idp(client, tenant, idp)).status_code == 302
    assert client.session.session_key != vorher and "vorher" not in client.session
    assert client.session[sitzung.SESSION_KONTO]


def _post_routes() -> list[tuple[str, str]]:
    """Every portal URL (public, signed-in, with object ids) and the portal's staff pages."""
    routes = []
    for route in _routes():
        if route.route.startswith(PORTAL_PREFIX) or route.route.startswith("verwaltung/portal/"):
            routes.append((route.name, route.route))
    return routes


@pytest.mark.parametrize(("name", "route"), _post_routes(), ids=lambda v: v)
def test_every_post_needs_the_csrf_token(
    name: str, route: str, erlaubt: Mandant, admin_user: Any
) -> None:
    # The ACS alone is exempt: the IdP posts it cross-site, the signed sign-in cookie
    # and the SAML checks guard it (tests/portal/test_bundid.py).
    if name == "saml_acs":
        pytest.skip("ACS: CSRF-frei, geschützt durch das signierte Cookie")
    [found] = [r for r in _routes() if r.name == name and r.route == route]
    konto = portal_factories.buergerkonto(erlaubt)
    values = {"mandant": erlaubt.slug, "token": "beispiel"}
    # In the route's order: a later parameter's object may need an earlier one's (a
    # file of the application named before it).
    for param in found.params:
        if param not in values:
            values[param] = PORTAL_OBJECT_FACTORIES[param](konto)
    url = found.url(values)
    for client in (
        portal_factories.buerger_client(konto),
        signed_in(admin_user),
    ):
        client.handler.enforce_csrf_checks = True
        assert client.post(url, {}).status_code == 403, url


def test_the_staff_portal_pages_answer_a_citizen_like_no_session(tenant: Mandant) -> None:
    citizen = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    for url in STAFF_PAGES:
        als_buerger, anonym = citizen.get(url), Client().get(url)
        assert als_buerger.status_code == anonym.status_code == 302, url
        assert als_buerger["Location"] == anonym["Location"], url
        assert citizen.post(url, {"email_konten_erlaubt": "on"}).status_code == 302
    assert not PortalEinstellung.objects.for_tenant(tenant).exists()


def test_a_staff_session_is_not_signed_in_at_the_portal(tenant: Mandant) -> None:
    with override_settings(KOFFER_REQUIRE_OTP=False):
        staff = signed_in(factories.user(tenant, role="mandant_admin"))
        antwort = staff.post(f"/portal/{tenant.slug}/antraege/neu/", {"angebot": "x"})
    assert antwort.status_code == 302
    assert antwort["Location"].startswith(f"/portal/{tenant.slug}/anmelden/")


class ZaehlenderHasher(Argon2Hasher):
    """The production hasher, counting the hashes it makes."""

    algorithm = "argon2"
    gemacht = 0

    def encode(self, password: str, salt: str) -> str:
        type(self).gemacht += 1
        return super().encode(password, salt)


def test_registration_answers_known_and_new_addresses_with_the_same_work(
    erlaubt: Mandant, settings: Any
) -> None:
    """Both answers cost one password hash (argon2, as in production): a known address
    used to skip it and answer about three times faster, telling an attacker which
    addresses have an account. Counted, not timed: a shared machine's timings flake."""
    settings.PASSWORD_HASHERS = [f"{__name__}.ZaehlenderHasher"]
    settings.KOFFER_PORTAL_LIMITS = {k: (0, 1) for k in settings.KOFFER_PORTAL_LIMITS}
    _bestaetigtes_konto(erlaubt, "bekannt@example.org")
    client = Client()
    url = f"/portal/{erlaubt.slug}/email/registrieren/"

    def hashes(email: str) -> int:
        vorher = ZaehlenderHasher.gemacht
        antwort = client.post(url, {"email": email, "password": PASSWORT, "password2": PASSWORT})
        assert antwort.status_code == 200
        return ZaehlenderHasher.gemacht - vorher

    assert hashes("neu@example.org") == hashes("bekannt@example.org") == 1


def test_resend_answers_known_and_unknown_addresses_alike(erlaubt: Mandant) -> None:
    _bestaetigtes_konto(erlaubt, "da@example.org")
    mail.outbox.clear()
    url = f"/portal/{erlaubt.slug}/email/erneut-senden/"
    da = Client().post(url, {"email": "da@example.org"})
    weg = Client().post(url, {"email": "weg@example.org"})
    assert da.status_code == weg.status_code == 200
    assert da.content.decode().count("Wenn zu dieser Adresse ein Konto besteht") == 1
    assert weg.content.decode().count("Wenn zu dieser Adresse ein Konto besteht") == 1


@pytest.mark.parametrize(
    "weiter",
    [
        "https://boese.example/portal/",
        "//boese.example/",
        "/\\boese.example/",
        "https:/boese.example",
        "/verwaltung/benutzer/",
        "/portal/anderer-mandant/",
    ],
)
def test_next_never_leaves_the_portal_of_the_mandant(erlaubt: Mandant, weiter: str) -> None:
    _bestaetigtes_konto(erlaubt, f"weiter{abs(hash(weiter))}@example.org")
    client = Client()
    antwort = client.post(
        f"/portal/{erlaubt.slug}/email/anmelden/?next={weiter}",
        {"email": f"weiter{abs(hash(weiter))}@example.org", "password": PASSWORT, "next": weiter},
    )
    assert antwort.status_code == 302
    assert antwort["Location"] == f"/portal/{erlaubt.slug}/"


def test_a_page_of_the_portal_is_a_fine_next(erlaubt: Mandant) -> None:
    _bestaetigtes_konto(erlaubt, "gut@example.org")
    ziel = f"/portal/{erlaubt.slug}/vertretungen/"
    antwort = Client().post(
        f"/portal/{erlaubt.slug}/email/anmelden/",
        {"email": "gut@example.org", "password": PASSWORT, "next": ziel},
    )
    assert antwort["Location"] == ziel


def test_neither_next_nor_a_forged_relaystate_redirect_away_after_bundid(
    tenant: Mandant, idp: TestIdp
) -> None:
    client = Client()
    fields = zum_idp(client, tenant, idp, next_url="https://boese.example/")
    # the RelayState is the IdP's echo and unsigned: it names no place to go
    antwort = client.post(ACS, {**fields, "RelayState": "https://boese.example/"})
    assert antwort.status_code == 302
    assert antwort["Location"] == f"/portal/{tenant.slug}/"
