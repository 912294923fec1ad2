from __future__ import annotations

import pytest
from django.test import Client, override_settings

from koffer.accounts.models import User
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in


def test_start_page_lists_modules_for_role(admin_client: Client) -> None:
    body = admin_client.get("/").content.decode()
    assert "Verwaltung" in body and 'lang="de"' in body and "Zum Inhalt springen" in body


def test_csp_forbids_inline_script(admin_client: Client) -> None:
    response = admin_client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in response.content.decode()


def test_german_404(admin_client: Client) -> None:
    response = admin_client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_user_in_two_tenants_switches(
    tenant: Mandant, other_tenant: Mandant, caseworker: User
) -> None:
    from koffer.accounts import services

    services.add_membership(
        actor=None, user=caseworker, unit=factories.root_unit(other_tenant), role="poststelle"
    )
    client = signed_in(caseworker)
    assert tenant.name in client.get("/").content.decode()
    response = client.post("/mandant-wechseln/", {"tenant": str(other_tenant.pk)})
    assert response.status_code == 302
    assert (
        "Landkreis Anderswo"
        in client.get("/").content.decode().split("koffer-brand__tenant")[1][:80]
    )


def test_switch_to_foreign_tenant_is_404(caseworker: User, other_tenant: Mandant) -> None:
    assert (
        signed_in(caseworker)
        .post("/mandant-wechseln/", {"tenant": str(other_tenant.pk)})
        .status_code
        == 404
    )


@override_settings(KOFFER_MAX_REQUEST_BYTES=1000)
def test_oversized_body_gets_413(caseworker: User) -> None:
    response = signed_in(caseworker).post("/", data="x" * 5000, content_type="text/plain")
    assert response.status_code == 413
    assert "größer als" in response.content.decode()


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_icon_without_signing_in(client: Client) -> None:
    """Browsers ask for /favicon.ico on their own (a page image opened alone): a 404 there
    showed in every console. It leads to the SVG that the pages name in <link rel=icon>."""
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/koffer/favicon.svg"
    assert "max-age=86400" in response["Cache-Control"]
    page = client.get("/anmelden/").content.decode()
    assert '<link rel="icon" href="/static/koffer/favicon.svg"' in page
