"""The demo identity provider: a real signed SAML answer through the same ACS."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.test import Client

from koffer.portal.models import Buergerkonto
from koffer.records import services as records
from koffer.tenancy.models import Mandant
from tests.portal.conftest import ACS
from tests.portal.idp import formular


@pytest.fixture
def demo(settings: object, tmp_path: Path) -> None:
    settings.DEMO_MODE = True  # type: ignore[attr-defined]
    settings.KOFFER_PORTAL_SAML_IDP_METADATA = ""  # type: ignore[attr-defined]
    settings.KOFFER_PORTAL_SAML_KEY_FILE = ""  # type: ignore[attr-defined]
    settings.KOFFER_PORTAL_SAML_CERT_FILE = ""  # type: ignore[attr-defined]
    settings.KOFFER_PORTAL_SAML_DIR = tmp_path / "saml"  # type: ignore[attr-defined]


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def test_demo_sign_in_at_level_hoch_links_the_demo_person(demo: None, tenant: Mandant) -> None:
    person = records.create_person(
        actor=None,
        tenant=tenant,
        family_name="Yılmaz",
        given_names="Deniz",
        birth_date=date(1979, 11, 3),
    )
    client = Client()
    start = client.post(f"/portal/{tenant.slug}/anmelden/bundid/", {"niveau": "hoch"})
    assert start.status_code == 302
    assert start["Location"].startswith("http://testserver/portal/demo-idp/sso/?SAMLRequest=")

    page = client.get(start["Location"].removeprefix("http://testserver"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Deniz Yılmaz" in html
    assert 'id="niveau-hoch" name="niveau" value="hoch" checked' in html

    fields = {k: v for k, v in _hidden(html).items() if k != "csrfmiddlewaretoken"}
    weiter = client.post(
        "/portal/demo-idp/sso/", {**fields, "buerger": "deniz-yilmaz", "niveau": "hoch"}
    )
    assert weiter.status_code == 200
    action, answer = formular(weiter.content.decode())
    assert action == ACS

    response = client.post(ACS, answer)

    assert response.status_code == 302, response.content.decode()[:800]
    konto = Buergerkonto.objects.for_tenant(tenant).get()
    assert konto.kennung == "demo-bpk2-deniz-yilmaz"
    assert konto.vertrauensniveau == "hoch"
    assert konto.person_id == person.pk


def test_the_demo_idp_refuses_an_unsigned_request(demo: None, db: None) -> None:
    response = Client().get("/portal/demo-idp/sso/?SAMLRequest=abc")
    assert response.status_code == 400
    assert "Anmeldeanfrage ist ungültig" in response.content.decode()


def test_no_demo_idp_outside_demo_mode(settings: object, db: None) -> None:
    settings.DEMO_MODE = False  # type: ignore[attr-defined]
    assert Client().get("/portal/demo-idp/sso/").status_code == 404
