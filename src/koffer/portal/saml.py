"""BundID sign-in by SAML 2.0, koffer as the service provider (pysaml2).

One SP per installation (settings ``KOFFER_PORTAL_SAML_*``). The flow:

1. :func:`anfrage` builds a signed AuthnRequest (HTTP-Redirect binding) asking for a
   level of assurance; the request id, the Mandant, the level and the page to return to
   travel in a signed, short-lived cookie (:data:`COOKIE`) instead of the session: the
   IdP posts the answer cross-site, and the session cookie (SameSite=Lax) is not sent
   with such a POST. The cookie binds the answer to the browser that asked.
2. :func:`pruefen` checks the posted Response: signature (the assertion must be signed
   by the IdP's key from its metadata), audience, time window (with
   ``KOFFER_PORTAL_SAML_CLOCK_SKEW_SECONDS``), InResponseTo against the cookie's request
   id, and the level at least the one asked for. Replays are refused by the caller
   (``services.bundid_anmelden``), which stores the assertion id until its NotOnOrAfter.

Levels (AuthnContextClassRef): BundID names them as STORK-QAA levels; eIDAS URIs are
accepted in answers too. Attributes are read by their urn:oid names (:data:`ATTRIBUTE`).
"""

from __future__ import annotations

import calendar
import functools
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, time_util

if TYPE_CHECKING:  # pysaml2's signing modules load XML schemas (about 1 s): at first use
    from saml2.client import Saml2Client
    from saml2.config import SPConfig

from koffer.portal import schluessel
from koffer.portal.errors import AnmeldungAbgelehnt
from koffer.portal.models import RANG, Vertrauensniveau

COOKIE = "koffer_portal_saml"
COOKIE_SALT = "koffer.portal.saml.anfrage"

# What koffer asks for (RequestedAuthnContext, comparison "minimum") and how an answer's
# AuthnContextClassRef maps back to a level.
NIVEAU_KLASSE: dict[str, str] = {
    Vertrauensniveau.NIEDRIG: "STORK-QAA-Level-1",
    Vertrauensniveau.SUBSTANTIELL: "STORK-QAA-Level-3",
    Vertrauensniveau.HOCH: "STORK-QAA-Level-4",
}
KLASSE_NIVEAU: dict[str, str] = {
    "STORK-QAA-Level-1": Vertrauensniveau.NIEDRIG,
    "STORK-QAA-Level-2": Vertrauensniveau.NIEDRIG,
    "STORK-QAA-Level-3": Vertrauensniveau.SUBSTANTIELL,
    "STORK-QAA-Level-4": Vertrauensniveau.HOCH,
    "http://eidas.europa.eu/LoA/low": Vertrauensniveau.NIEDRIG,
    "http://eidas.europa.eu/LoA/substantial": Vertrauensniveau.SUBSTANTIELL,
    "http://eidas.europa.eu/LoA/high": Vertrauensniveau.HOCH,
}

# BundID attribute names (urn:oid, NameFormat uri) → Buergerkonto fields.
ATTRIBUTE: dict[str, str] = {
    "urn:oid:2.5.4.42": "given_names",
    "urn:oid:2.5.4.4": "family_name",
    "urn:oid:1.2.40.0.10.2.1.1.55": "birth_date",
    "urn:oid:2.5.4.16": "street",
    "urn:oid:2.5.4.17": "postal_code",
    "urn:oid:2.5.4.7": "city",
    "urn:oid:0.9.2342.19200300.100.1.3": "email",
}

ABGELAUFEN = "Die Anmeldung ist abgelaufen. Bitte melden Sie sich erneut an."
UNGUELTIG = (
    "Die Antwort des Identitätsanbieters ist ungültig und wurde abgelehnt. "
    "Bitte melden Sie sich erneut an."
)
FALSCHE_SIGNATUR = (
    "Die Antwort des Identitätsanbieters ist nicht gültig unterschrieben und wurde "
    "abgelehnt. Bitte melden Sie sich erneut an."
)
NICHT_FUER_UNS = (
    "Die Antwort des Identitätsanbieters ist nicht für dieses Portal bestimmt und wurde "
    "abgelehnt. Bitte melden Sie sich erneut an."
)
WIEDERHOLT = "Diese Anmeldung wurde bereits verwendet. Bitte melden Sie sich erneut an."
NIVEAU_ZU_NIEDRIG = (
    "Für diesen Dienst ist eine Anmeldung mit dem Vertrauensniveau „{niveau}“ nötig, "
    "zum Beispiel mit der Online-Ausweisfunktion. Bitte melden Sie sich erneut an."
)
ABGEBROCHEN = "Die Anmeldung wurde beim Identitätsanbieter abgebrochen oder abgelehnt."


@dataclass(frozen=True)
class Anfrage:
    """A started sign-in, as the cookie carries it."""

    request_id: str
    tenant_id: uuid.UUID
    niveau: str
    weiter: str = ""

    def wert(self) -> dict[str, str]:
        return {"r": self.request_id, "t": str(self.tenant_id), "n": self.niveau, "w": self.weiter}

    @classmethod
    def aus(cls, wert: Any) -> Anfrage:
        return cls(
            request_id=str(wert["r"]),
            tenant_id=uuid.UUID(str(wert["t"])),
            niveau=str(wert["n"]),
            weiter=str(wert.get("w", "")),
        )


@dataclass(frozen=True)
class Identitaet:
    """What an accepted answer says about the citizen."""

    kennung: str
    niveau: str
    assertion_id: str
    gueltig_bis: datetime
    attribute: dict[str, Any] = field(default_factory=dict)


def verfuegbar() -> bool:
    """Whether the BundID sign-in is offered: an IdP is configured, or demo mode."""
    return bool(settings.KOFFER_PORTAL_SAML_IDP_METADATA) or settings.DEMO_MODE


# The base URL of the request being answered, for installations that name none (demo,
# development): set by the portal's views from the validated Host (ALLOWED_HOSTS).
_basis: ContextVar[str] = ContextVar("koffer_portal_basis", default="")


def basis_aus(request: HttpRequest) -> None:
    """Take the base URL from ``request`` when the settings name none."""
    _basis.set(f"{request.scheme}://{request.get_host()}")


def base_url() -> str:
    """How browsers reach koffer: ``KOFFER_PORTAL_SAML_BASE_URL``, else the request's."""
    return str(settings.KOFFER_PORTAL_SAML_BASE_URL) or _basis.get() or "http://localhost:8000"


def acs_url() -> str:
    return base_url() + reverse("portal:saml_acs")


def entity_id() -> str:
    return str(settings.KOFFER_PORTAL_SAML_ENTITY_ID) or base_url() + reverse(
        "portal:saml_metadaten"
    )


def _sp_schluessel() -> tuple[str, str]:
    """The SP's key and certificate as files, the same on every machine: the configured
    files where this machine has them (kept in the database for the others), else the
    database's pair (``portal.schluessel``), else — demo mode only — a generated one."""
    key, cert = settings.KOFFER_PORTAL_SAML_KEY_FILE, settings.KOFFER_PORTAL_SAML_CERT_FILE
    if key and cert and Path(key).is_file() and Path(cert).is_file():
        schluessel.festlegen(
            "sp", Path(key).read_bytes(), Path(cert).read_bytes(), quelle=f"Datei {Path(key).name}"
        )
        return str(key), str(cert)
    folder = Path(settings.KOFFER_PORTAL_SAML_DIR)
    gefunden = schluessel.pem(folder, "sp", erzeugen=settings.DEMO_MODE and not (key or cert))
    if gefunden is None:
        raise ImproperlyConfigured(
            "KOFFER_PORTAL_SAML_KEY_FILE und KOFFER_PORTAL_SAML_CERT_FILE fehlen auf diesem "
            "Rechner, und die Datenbank hält noch keinen SAML-Schlüssel des Portals."
        )
    key_path, cert_path = schluessel.dateien(folder, "sp", *gefunden)
    return str(key_path), str(cert_path)


def _idp_metadaten() -> dict[str, Any]:
    quelle = str(settings.KOFFER_PORTAL_SAML_IDP_METADATA)
    if quelle.startswith(("https://", "http://")):
        return {"remote": [{"url": quelle}]}
    if quelle:
        return {"local": [quelle]}
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured("KOFFER_PORTAL_SAML_IDP_METADATA fehlt.")
    from koffer.portal.demo_idp import metadaten as demo_metadaten

    return {"inline": [demo_metadaten()]}


def _config_dict(*, mit_idp: bool, key_file: str, cert_file: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "entityid": entity_id(),
        "key_file": key_file,
        "cert_file": cert_file,
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
        "accepted_time_diff": settings.KOFFER_PORTAL_SAML_CLOCK_SKEW_SECONDS,
        "allow_unknown_attributes": True,
        "service": {
            "sp": {
                "name": "koffer Online-Dienste",
                "endpoints": {"assertion_consumer_service": [(acs_url(), BINDING_HTTP_POST)]},
                "allow_unsolicited": False,
                "authn_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "name_id_format_allow_create": True,
            }
        },
    }
    if mit_idp:
        values["metadata"] = _idp_metadaten()
    return values


@functools.lru_cache(maxsize=4)
def _config(schluessel_: tuple[Any, ...], mit_idp: bool) -> SPConfig:
    from saml2.config import SPConfig

    *_, key_file, cert_file = schluessel_
    config = SPConfig()
    config.load(_config_dict(mit_idp=mit_idp, key_file=key_file, cert_file=cert_file))
    return config


def _einstellungen() -> tuple[Any, ...]:
    return (
        base_url(),
        settings.KOFFER_PORTAL_SAML_ENTITY_ID,
        settings.KOFFER_PORTAL_SAML_KEY_FILE,
        settings.KOFFER_PORTAL_SAML_CERT_FILE,
        settings.KOFFER_PORTAL_SAML_IDP_METADATA,
        settings.KOFFER_PORTAL_SAML_CLOCK_SKEW_SECONDS,
        settings.DEMO_MODE,
        str(settings.KOFFER_PORTAL_SAML_DIR),
        # the key pair's files, named by content: a pair changed in the database is a
        # new configuration
        *_sp_schluessel(),
    )


def client() -> Saml2Client:
    """A fresh client per sign-in (its identity cache must not grow in the process); the
    parsed configuration with the IdP's metadata is kept."""
    from saml2.client import Saml2Client

    return Saml2Client(config=_config(_einstellungen(), True))


def metadaten() -> str:
    """The SP's metadata XML (entity id, ACS, signing certificate)."""
    from saml2.metadata import entity_descriptor

    return str(entity_descriptor(_config(_einstellungen(), False)))


def _idp_entity_id(saml_client: Saml2Client) -> str:
    idps = list(saml_client.metadata.identity_providers())
    if len(idps) != 1:
        raise ImproperlyConfigured("Die IdP-Metadaten müssen genau einen IdP nennen.")
    return str(idps[0])


def anfrage(*, tenant_id: uuid.UUID, niveau: str, weiter: str) -> tuple[Anfrage, str]:
    """Start a sign-in: the AuthnRequest's redirect URL and what the cookie keeps."""
    from saml2.saml import AuthnContextClassRef
    from saml2.samlp import RequestedAuthnContext

    saml_client = client()
    kontext = RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=NIVEAU_KLASSE[niveau])],
        comparison="minimum",
    )
    request_id, info = saml_client.prepare_for_authenticate(
        entityid=_idp_entity_id(saml_client),
        relay_state=str(tenant_id),
        binding=BINDING_HTTP_REDIRECT,
        sign=True,
        requested_authn_context=kontext,
    )
    location = dict(info["headers"])["Location"]
    return Anfrage(request_id, tenant_id, niveau, weiter), str(location)


def _zeit(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromtimestamp(calendar.timegm(time_util.str_to_time(value)), tz=UTC)


def _gueltig_bis(assertion: Any) -> datetime:
    """The latest NotOnOrAfter of the assertion (conditions, subject confirmations)."""
    kandidaten: list[datetime] = []
    conditions = assertion.conditions
    if conditions is not None and (t := _zeit(conditions.not_on_or_after)) is not None:
        kandidaten.append(t)
    if assertion.subject is not None:
        for confirmation in assertion.subject.subject_confirmation or []:
            data = confirmation.subject_confirmation_data
            if data is not None and (t := _zeit(data.not_on_or_after)) is not None:
                kandidaten.append(t)
    if not kandidaten:  # no bound given: keep it as long as a request may take
        kandidaten.append(
            timezone.now() + timedelta(seconds=settings.KOFFER_PORTAL_SAML_REQUEST_SECONDS)
        )
    return max(kandidaten) + timedelta(seconds=settings.KOFFER_PORTAL_SAML_CLOCK_SKEW_SECONDS)


def _attribute(assertion: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute or []:
            name = ATTRIBUTE.get(attribute.name)
            values = [v.text for v in attribute.attribute_value or [] if v.text]
            if name and values:
                found[name] = str(values[0]).strip()
    if "birth_date" in found:
        try:
            found["birth_date"] = date.fromisoformat(found["birth_date"][:10])
        except ValueError:
            del found["birth_date"]
    return found


def _abgelehnt(code: str, message: str) -> AnmeldungAbgelehnt:
    return AnmeldungAbgelehnt(code, message)


def pruefen(saml_response: str, anfrage_: Anfrage) -> Identitaet:
    """Check a posted SAMLResponse against the sign-in the cookie names; the accepted
    identity, or :class:`AnmeldungAbgelehnt` with a stable code and a German message."""
    from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse
    from saml2.sigver import SignatureError
    from saml2.validate import ResponseLifetimeExceed, ToEarly

    saml_client = client()
    try:
        response = saml_client.parse_authn_request_response(
            saml_response,
            BINDING_HTTP_POST,
            outstanding={anfrage_.request_id: anfrage_.weiter or "/"},
        )
    except (ResponseLifetimeExceed, ToEarly) as exc:
        raise _abgelehnt("abgelaufen", ABGELAUFEN) from exc
    except (SignatureError, IncorrectlySigned) as exc:
        raise _abgelehnt("signatur", FALSCHE_SIGNATUR) from exc
    except UnsolicitedResponse as exc:
        raise _abgelehnt("unerwartet", ABGELAUFEN) from exc
    except StatusError as exc:
        raise _abgelehnt("abgebrochen", ABGEBROCHEN) from exc
    except Exception as exc:  # pysaml2 raises bare Exceptions for some checks
        if "AudienceRestriction" in str(exc):
            raise _abgelehnt("audience", NICHT_FUER_UNS) from exc
        raise _abgelehnt("ungueltig", UNGUELTIG) from exc
    if response is None or response.assertion is None or response.name_id is None:
        raise _abgelehnt("ungueltig", UNGUELTIG)
    if response.in_response_to != anfrage_.request_id:
        raise _abgelehnt("unerwartet", ABGELAUFEN)
    niveau = _niveau(response)
    if RANG.get(niveau, 0) < RANG[anfrage_.niveau]:
        raise _abgelehnt(
            "niveau",
            NIVEAU_ZU_NIEDRIG.format(niveau=Vertrauensniveau(anfrage_.niveau).label),
        )
    kennung = str(response.name_id.text or "").strip()
    if not kennung or len(kennung) > 300 or kennung.startswith("email:"):
        raise _abgelehnt("ungueltig", UNGUELTIG)
    return Identitaet(
        kennung=kennung,
        niveau=niveau,
        assertion_id=str(response.assertion.id),
        gueltig_bis=_gueltig_bis(response.assertion),
        attribute=_attribute(response.assertion),
    )


def _niveau(response: Any) -> str:
    """The highest level the answer's AuthnStatements name; "" for none known."""
    best = ""
    for klasse, *_ in response.authn_info():
        niveau = KLASSE_NIVEAU.get(str(klasse), "")
        if RANG.get(niveau, 0) > RANG.get(best, 0):
            best = niveau
    return best
