"""Separation around the citizens' portal, generated from the URL configuration.

- Every portal page behind the sign-in answers a staff session like no session: to the
  sign-in page of that Mandant's portal.
- A citizen of one Mandant is not signed in at another Mandant's portal.
- Every staff page (and the API) answers a citizen session like no session at all.
- Portal URLs with object ids: each parameter needs a factory in PORTAL_OBJECT_FACTORIES
  (an object of one citizen); another citizen of the same Mandant gets 404.
- The citizens' API (/api/v1/portal/…) answers a staff session, a staff API key and nobody
  alike (401); another citizen, of this Mandant or another, gets 404 for a citizen's
  objects; a citizen's bearer token opens no staff endpoint (401).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client, override_settings

from koffer.accounts import services as accounts
from koffer.accounts.roles import Perm
from koffer.portal.models import Buergerkonto
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.isolation.test_isolation import (
    API_PREFIX,
    PORTAL_PREFIX,
    Operation,
    Route,
    _operations,
    _routes,
)

# Portal pages a visitor reaches without a citizen session (sign-in, its steps, metadata).
PUBLIC = {
    "saml_acs",
    "saml_metadaten",
    "anmelden",
    "bundid",
    "abmelden",
    "demo_idp",
    "email_anmelden",
    "email_registrieren",
    "email_erneut_senden",
    "email_bestaetigen",
}

# Parameter name → the id of an object that belongs to the given citizen.
PORTAL_OBJECT_FACTORIES: dict[str, Callable[[Buergerkonto], str]] = {
    "antrag_id": lambda konto: str(portal_factories.antrag(konto).pk),
    "schritt_id": lambda konto: "person",
    # after antrag_id: a file attached to that application
    "blob": portal_factories.anlage,
    "nachforderung_id": lambda konto: str(portal_factories.nachforderung(konto).pk),
    # after nachforderung_id: an item of that request
    "posten_id": lambda konto: str(portal_factories.nachforderung_posten(konto).pk),
    "datei_id": lambda konto: str(portal_factories.nachforderung_datei(konto).pk),
    "brief_id": lambda konto: str(portal_factories.postfachbrief(konto).pk),
    "vorgang_id": lambda konto: str(portal_factories.vorgang_des_kontos(konto).pk),
    # after vorgang_id: a document of the Akte an answer about that Vorgang carries
    "anlage_id": portal_factories.nachricht_anlage,
    "wunsch_id": lambda konto: str(portal_factories.besuchswunsch(konto).pk),
}

PORTAL_ROUTES = [r for r in _routes() if r.route.startswith(PORTAL_PREFIX)]
SIGNED_IN_ROUTES = [r for r in PORTAL_ROUTES if r.name not in PUBLIC and "mandant" in r.params]
OBJECT_ROUTES = [r for r in SIGNED_IN_ROUTES if set(r.params) - {"mandant"}]
STAFF_ROUTES = [
    r
    for r in _routes()
    if not r.params
    and not r.route.startswith((PORTAL_PREFIX, API_PREFIX, "api"))
    and r.name not in {"healthz", "readyz"}
]


def _url(route: Route, mandant: Mandant, konto: Buergerkonto | None = None) -> str:
    values = {"mandant": mandant.slug}
    for name in route.params:
        if name == "mandant":
            continue
        if name not in PORTAL_OBJECT_FACTORIES or konto is None:
            pytest.fail(
                f"URL-Parameter „{name}“ ist nicht in PORTAL_OBJECT_FACTORIES "
                "(tests/isolation/test_portal.py): bitte eine Fabrik ergänzen."
            )
        values[name] = PORTAL_OBJECT_FACTORIES[name](konto)
    return route.url(values)


def test_the_walk_finds_the_portal_pages() -> None:
    assert "start" in {r.name for r in SIGNED_IN_ROUTES}
    assert len(STAFF_ROUTES) > 20


@pytest.mark.parametrize("route", SIGNED_IN_ROUTES, ids=lambda r: r.route)
def test_portal_page_answers_a_staff_session_like_none(route: Route, tenant: Mandant) -> None:
    konto = portal_factories.buergerkonto(tenant)
    url = _url(route, tenant, konto)
    with override_settings(KOFFER_REQUIRE_OTP=False):
        staff = signed_in(factories.user(tenant, role="mandant_admin"))
        response = staff.get(url)
    assert response.status_code == 302, (url, response.status_code)
    assert response["Location"].startswith(f"/portal/{tenant.slug}/anmelden/")


@pytest.mark.parametrize("route", SIGNED_IN_ROUTES, ids=lambda r: r.route)
def test_citizen_is_not_signed_in_at_another_mandants_portal(
    route: Route, tenant: Mandant, other_tenant: Mandant
) -> None:
    konto = portal_factories.buergerkonto(tenant)
    fremd = portal_factories.buergerkonto(other_tenant)
    response = portal_factories.buerger_client(fremd).get(_url(route, tenant, konto))
    assert response.status_code in (302, 404), response.status_code
    if response.status_code == 302:
        assert response["Location"].startswith(f"/portal/{tenant.slug}/anmelden/")


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.route)
def test_citizen_cannot_reach_another_citizens_objects(route: Route, tenant: Mandant) -> None:
    eigen = portal_factories.buergerkonto(tenant)
    anderer = portal_factories.buergerkonto(tenant)
    url = _url(route, tenant, eigen)
    assert portal_factories.buerger_client(eigen).get(url).status_code != 404
    client = portal_factories.buerger_client(anderer)
    for method in ("GET", "POST"):
        assert client.generic(method, url).status_code in (404, 405), (method, url)


@pytest.mark.parametrize("route", STAFF_ROUTES, ids=lambda r: r.route)
def test_staff_page_answers_a_citizen_session_like_none(route: Route, tenant: Mandant) -> None:
    url = route.url({})
    citizen = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    anonymous = Client()
    as_citizen, as_anonymous = citizen.get(url), anonymous.get(url)
    assert as_citizen.status_code == as_anonymous.status_code, url
    assert as_citizen.get("Location") == as_anonymous.get("Location"), url


def test_api_answers_a_citizen_session_like_none(tenant: Mandant) -> None:
    citizen = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    for url in ("/api/v1/me", "/api/v1/units"):
        assert citizen.get(url).status_code == Client().get(url).status_code == 401, url


# --- The citizens' API (/api/v1/portal/…) --------------------------------------------------

PORTAL_API = [op for op in _operations() if op.portal]
STAFF_API = [op for op in _operations() if not op.portal and op.secured]
PORTAL_API_OBJECTS = [op for op in PORTAL_API if op.params]
# Path parameters of the citizens' API that name no object of their own (a file field, a
# file's SHA-256): the application is the object.
PORTAL_API_PLAIN = {"feld": "belege", "blob": "0" * 64}
# Path parameters that name an object of the Mandant, open to each of its citizens (an
# online offer's form): only a citizen of another Mandant gets 404.
PORTAL_API_MANDANT: dict[str, Callable[[Buergerkonto], str]] = {
    "angebot_id": lambda konto: str(portal_factories.antrag(konto).angebot_id),
}
ANY_ID = "00000000-0000-4000-8000-000000000000"


def _api_url(op: Operation, konto: Buergerkonto) -> str:
    values = {}
    for name in op.params:
        if name in PORTAL_API_PLAIN:
            values[name] = PORTAL_API_PLAIN[name]
        elif name in PORTAL_API_MANDANT:
            values[name] = PORTAL_API_MANDANT[name](konto)
        elif name in PORTAL_OBJECT_FACTORIES:
            values[name] = PORTAL_OBJECT_FACTORIES[name](konto)
        else:
            pytest.fail(
                f"API-Parameter „{name}“ ist weder in PORTAL_OBJECT_FACTORIES noch in "
                "PORTAL_API_PLAIN (tests/isolation/test_portal.py): bitte ergänzen."
            )
    return op.url(values)


def test_the_walk_finds_the_portal_api() -> None:
    assert {"/api/v1/portal/konto", "/api/v1/portal/antraege/{antrag_id}"} <= {
        op.path for op in PORTAL_API
    }
    assert len(STAFF_API) > 50


@pytest.mark.parametrize("op", PORTAL_API, ids=lambda op: f"{op.method} {op.path}")
def test_portal_api_answers_staff_like_nobody(op: Operation, tenant: Mandant) -> None:
    konto = portal_factories.buergerkonto(tenant)
    url = _api_url(op, konto)
    staff_user = factories.user(tenant, role="mandant_admin")
    _, secret = accounts.create_api_token(
        actor=None,
        tenant=tenant,
        user=factories.user(tenant, role="druckdienst", is_machine=True),
        name="Probe",
        permissions=[Perm.OUTBOX_FETCH],
        units=[factories.root_unit(tenant)],
    )
    with override_settings(KOFFER_REQUIRE_OTP=False):
        staff = signed_in(staff_user)
        for client in (staff, Client(HTTP_AUTHORIZATION=f"Bearer {secret}"), Client()):
            response = op.send(client, url)
            assert response.status_code == 401, (op.method, url, response.status_code)
            assert json.loads(response.content)["code"] == "not_authenticated"


@pytest.mark.parametrize("op", PORTAL_API_OBJECTS, ids=lambda op: f"{op.method} {op.path}")
def test_citizen_cannot_reach_another_citizens_objects_by_api(
    op: Operation, tenant: Mandant, other_tenant: Mandant
) -> None:
    eigen = portal_factories.buergerkonto(tenant)
    url = _api_url(op, eigen)
    if op.method == "GET":
        control = portal_factories.buerger_client(eigen).get(url)
        assert control.status_code != 404, (url, control.content[:300])
    fremde = [portal_factories.buergerkonto(other_tenant)]
    if not set(op.params) & set(PORTAL_API_MANDANT):
        fremde.append(portal_factories.buergerkonto(tenant))
    else:  # the Mandant's object: each of its citizens reaches it
        nachbar = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
        assert op.send(nachbar, url).status_code != 404, url
    for fremd in fremde:
        response = op.send(portal_factories.buerger_client(fremd), url)
        assert response.status_code == 404, (op.method, url, response.status_code)
        assert json.loads(response.content)["code"] == "not_found"


@pytest.mark.parametrize("op", STAFF_API, ids=lambda op: f"{op.method} {op.path}")
def test_a_citizens_token_is_refused_by_the_staff_api(op: Operation, tenant: Mandant) -> None:
    citizen = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    token = json.loads(citizen.post("/api/v1/portal/token").content)["token"]
    url = op.url(dict.fromkeys(op.params, ANY_ID))
    response = op.send(Client(HTTP_AUTHORIZATION=f"Bearer {token}"), url)
    assert response.status_code == 401, (op.method, url, response.status_code)
