from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from koffer.portal import saml
from koffer.tenancy.models import Mandant
from tests.portal.idp import Nutzer, TestIdp, formular, holen, schluesseldateien

ACS = "/portal/saml/acs/"

ERIKA = Nutzer(
    kennung="bPK2-ERIKA-0001",
    attribute={
        "urn:oid:2.5.4.42": ["Erika"],
        "urn:oid:2.5.4.4": ["Müller"],
        "urn:oid:1.2.40.0.10.2.1.1.55": ["1964-08-12"],
        "urn:oid:2.5.4.16": ["Heidestraße 17"],
        "urn:oid:2.5.4.17": ["51147"],
        "urn:oid:2.5.4.7": ["Köln"],
        "urn:oid:0.9.2342.19200300.100.1.3": ["erika@example.org"],
    },
)


@pytest.fixture
def idp(tmp_path: Path, settings: object, db: None) -> Iterator[TestIdp]:
    """koffer's SP configured against a real pysaml2 IdP running in a thread (the SP's
    key pair is kept in the database, so every machine signs alike)."""
    key, cert = schluesseldateien(tmp_path / "sp", "sp")
    settings.KOFFER_PORTAL_SAML_BASE_URL = "http://testserver"  # type: ignore[attr-defined]
    settings.KOFFER_PORTAL_SAML_KEY_FILE = str(key)  # type: ignore[attr-defined]
    settings.KOFFER_PORTAL_SAML_CERT_FILE = str(cert)  # type: ignore[attr-defined]
    settings.KOFFER_PORTAL_SAML_IDP_METADATA = ""  # type: ignore[attr-defined]
    settings.DEMO_MODE = False  # type: ignore[attr-defined]
    server = TestIdp(tmp_path / "idp", saml.metadaten())
    settings.KOFFER_PORTAL_SAML_IDP_METADATA = str(server.metadaten_datei)  # type: ignore[attr-defined]
    server.nutzer = ERIKA
    with server.laeuft():
        yield server


def zum_idp(
    client: Client, tenant: Mandant, idp: TestIdp, niveau: str = "substantiell", next_url: str = ""
) -> dict[str, str]:
    """Start a BundID sign-in and let the IdP answer: the fields it would post to the ACS."""
    response = client.post(
        f"/portal/{tenant.slug}/anmelden/bundid/", {"niveau": niveau, "next": next_url}
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"].startswith(idp.base + "/sso/redirect?")
    action, fields = formular(holen(response["Location"]))
    assert action == "http://testserver" + ACS
    return fields
