"""A real SAML 2.0 identity provider for the tests: pysaml2's ``Server`` with its own keys,
served over HTTP by wsgiref in a thread. It signs in whoever the test sets as ``nutzer``
and answers with an auto-post form, as a real IdP does.

Knobs for bad answers: ``niveau`` (the AuthnContextClassRef sent), ``audience`` (another
SP's entity id), ``lebensdauer`` (minutes the assertion is valid), and ``faelscher``: a
second IdP with the same entity id but another key, which then signs the answers."""

from __future__ import annotations

import html
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

from koffer.portal import schluessel


@dataclass
class Nutzer:
    kennung: str
    attribute: dict[str, list[str]] = field(default_factory=dict)


def schluesseldateien(folder: Path, name: str) -> tuple[Path, Path]:
    """``<folder>/<name>.key`` and ``.crt``: a self-signed pair as files, as an operator
    or a test IdP holds them (made once per folder)."""
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    if not (key_path.exists() and cert_path.exists()):
        key, cert = schluessel.selbstsigniert(f"koffer {name}")
        folder.mkdir(parents=True, exist_ok=True)
        key_path.write_bytes(key)
        key_path.chmod(0o600)
        cert_path.write_bytes(cert)
    return key_path, cert_path


class _Leise(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _config(
    entity_id: str, base: str, folder: Path, name: str, sp_metadaten: str, lebensdauer: int
) -> IdPConfig:
    key, cert = schluesseldateien(folder, name)
    config = IdPConfig()
    config.load(
        {
            "entityid": entity_id,
            "key_file": str(key),
            "cert_file": str(cert),
            "metadata": {"inline": [sp_metadaten]},
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)]
                    },
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": lebensdauer},
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": True,
                }
            },
        }
    )
    return config


class TestIdp:
    __test__ = False

    def __init__(self, folder: Path, sp_metadaten: str) -> None:
        self.folder = folder
        self.sp_metadaten = sp_metadaten
        self._httpd: WSGIServer = make_server("127.0.0.1", 0, self.app, handler_class=_Leise)
        self.base = f"http://127.0.0.1:{self._httpd.server_port}"
        self.entity_id = f"{self.base}/metadata"
        self.nutzer: Nutzer | None = None
        self.niveau = "STORK-QAA-Level-3"
        self.audience: str | None = None
        self.lebensdauer = 5
        self.faelscher = False
        self.letzte_anfrage: Any = None
        self._server = Server(config=self._config("idp"))
        self.metadaten_datei = folder / "idp-metadata.xml"
        self.metadaten_datei.write_text(str(entity_descriptor(self._server.config)))

    def _config(self, name: str) -> IdPConfig:
        return _config(
            self.entity_id, self.base, self.folder, name, self.sp_metadaten, self.lebensdauer
        )

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
        request = self._server.parse_authn_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        self.letzte_anfrage = request.message
        body = self.antwort(request.message, query.get("RelayState", ""))
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]

    def antwort(self, authn_request: Any, relay_state: str) -> str:
        assert self.nutzer is not None, "the test sets who signs in"
        server = Server(config=self._config("faelscher" if self.faelscher else "idp"))
        sp_entity_id = authn_request.issuer.text
        response = server.create_authn_response(
            identity=self.nutzer.attribute,
            in_response_to=authn_request.id,
            destination=authn_request.assertion_consumer_service_url,
            sp_entity_id=self.audience or sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=self.nutzer.kennung),
            authn={"class_ref": self.niveau, "authn_auth": self.entity_id},
            sign_assertion=True,
            sign_response=False,
        )
        info = server.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            authn_request.assertion_consumer_service_url,
            relay_state,
            response=True,
        )
        return str(info["data"])

    @contextmanager
    def laeuft(self) -> Iterator[TestIdp]:
        thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()
            thread.join(timeout=5)


def formular(seite: str) -> tuple[str, dict[str, str]]:
    """The action and fields of the auto-post form an IdP answers with."""
    action = re.search(r'<form[^>]*action="([^"]+)"', seite)
    assert action, seite[:500]
    fields = {
        html.unescape(m.group(1)): html.unescape(m.group(2))
        for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', seite)
    }
    return html.unescape(action.group(1)), fields


def holen(url: str) -> str:
    """GET ``url`` at the IdP (a real HTTP request to its thread)."""
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - local test IdP
        return str(response.read().decode())
