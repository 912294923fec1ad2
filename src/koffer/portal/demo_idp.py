"""The demo identity provider (demo mode without configured IdP metadata only).

A real pysaml2 IdP inside koffer: it verifies the SP's signed AuthnRequest, lets the
visitor pick a fictional citizen and a level, and signs a real SAML Response with its
own key (generated under ``KOFFER_PORTAL_SAML_DIR``), which goes through the same ACS and
the same checks as an answer of BundID. Nothing here is trusted outside demo mode:
without demo mode the SP does not load this IdP's metadata.

Some citizens match persons of the demo district (Jobcenter Musterland) by name and
birth date, so a sign-in at level "hoch" links them and prefilled forms show data.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

from koffer.portal import saml, schluessel
from koffer.portal.models import Vertrauensniveau


@dataclass(frozen=True)
class DemoBuerger:
    key: str
    given_names: str
    family_name: str
    birth_date: str
    street: str
    postal_code: str
    city: str
    email: str
    hinweis: str

    @property
    def geboren(self) -> str:
        """The birth date as people read it (``12.04.1986``)."""
        jahr, monat, tag = self.birth_date.split("-")
        return f"{tag}.{monat}.{jahr}"

    @property
    def kennung(self) -> str:
        return f"demo-bpk2-{self.key}"

    def attribute(self) -> dict[str, list[str]]:
        felder = {
            "given_names": self.given_names,
            "family_name": self.family_name,
            "birth_date": self.birth_date,
            "street": self.street,
            "postal_code": self.postal_code,
            "city": self.city,
            "email": self.email,
        }
        oid = {name: key for key, name in saml.ATTRIBUTE.items()}
        return {oid[name]: [value] for name, value in felder.items()}


BUERGER: tuple[DemoBuerger, ...] = (
    DemoBuerger(
        "anna-beispiel",
        "Anna",
        "Beispiel",
        "1986-04-12",
        "Lindenweg 4",
        "99999",
        "Musterstadt",
        "anna.beispiel@example.org",
        "hat eine Leistungsakte beim Jobcenter Musterland",
    ),
    DemoBuerger(
        "deniz-yilmaz",
        "Deniz",
        "Yılmaz",
        "1979-11-03",
        "Am Markt 12",
        "99999",
        "Musterstadt",
        "deniz.yilmaz@example.org",
        "hat eine Leistungsakte beim Jobcenter Musterland",
    ),
    DemoBuerger(
        "jonas-neumann",
        "Jonas",
        "Neumann",
        "1995-06-30",
        "Bahnhofstraße 1",
        "99998",
        "Beispieldorf",
        "jonas.neumann@example.org",
        "ist der Verwaltung noch unbekannt",
    ),
    DemoBuerger(
        "petra-sorge",
        "Petra",
        "Sorge",
        "1968-02-14",
        "Kirchgasse 7",
        "99999",
        "Musterstadt",
        "petra.sorge@example.org",
        "rechtliche Betreuerin: kann eine Vertretung beantragen",
    ),
)

NIVEAUS = (Vertrauensniveau.SUBSTANTIELL, Vertrauensniveau.HOCH)


def entity_id() -> str:
    return saml.base_url() + reverse("portal:demo_idp")


def _config() -> IdPConfig:
    key, cert = schluessel.paar(settings.KOFFER_PORTAL_SAML_DIR, "demo-idp")
    config = IdPConfig()
    config.load(
        {
            "entityid": entity_id(),
            "key_file": str(key),
            "cert_file": str(cert),
            "metadata": {"inline": [saml.metadaten()]},
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [
                            (saml.base_url() + reverse("portal:demo_idp"), BINDING_HTTP_REDIRECT)
                        ]
                    },
                    "policy": {
                        "default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_URI}
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": True,
                }
            },
        }
    )
    return config


@functools.lru_cache(maxsize=2)
def _server(_einstellungen: tuple[Any, ...]) -> Server:
    return Server(config=_config())


def server() -> Server:
    return _server((saml.base_url(), str(settings.KOFFER_PORTAL_SAML_DIR)))


def metadaten() -> str:
    """This IdP's metadata, which the SP trusts in demo mode."""
    return str(entity_descriptor(server().config))


def anfrage_lesen(query: dict[str, str]) -> Any:
    """The SP's AuthnRequest from the redirect's parameters, its signature verified."""
    return (
        server()
        .parse_authn_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        .message
    )


def erbetenes_niveau(request: Any) -> str:
    kontext = request.requested_authn_context
    if kontext is None or not kontext.authn_context_class_ref:
        return Vertrauensniveau.SUBSTANTIELL
    return saml.KLASSE_NIVEAU.get(
        str(kontext.authn_context_class_ref[0].text), Vertrauensniveau.SUBSTANTIELL
    )


def antwort(request: Any, buerger: DemoBuerger, niveau: str, relay_state: str) -> dict[str, str]:
    """A signed Response for ``buerger`` at ``niveau``: the fields to post to the ACS."""
    idp = server()
    response = idp.create_authn_response(
        identity=buerger.attribute(),
        in_response_to=request.id,
        destination=saml.acs_url(),
        sp_entity_id=saml.entity_id(),
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=buerger.kennung),
        authn={"class_ref": saml.NIVEAU_KLASSE[niveau], "authn_auth": entity_id()},
        sign_assertion=True,
        sign_response=False,
    )
    return {
        "SAMLResponse": base64.b64encode(str(response).encode()).decode(),
        "RelayState": relay_state,
    }
