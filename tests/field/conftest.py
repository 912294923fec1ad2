"""The Koffer's test data: a field worker of a team, a Koffer registered for them and one
paired, made through the services like real data."""

from __future__ import annotations

import http.cookiejar
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from koffer.accounts.models import User
from koffer.field.geraete import services
from koffer.field.models import Geraet
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.shell import server
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories import records as record_factories
from tests.subprocesses import ROOT, stop_group


@pytest.fixture
def aussendienst(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(
        tenant, role="aussendienst", unit_=team, first_name="Frieda", last_name="Feld"
    )


@pytest.fixture
def angemeldet(aussendienst: User, tenant: Mandant) -> tuple[Geraet, str]:
    """A Koffer registered, not yet paired, with its pairing code."""
    return services.geraet_anlegen(actor=aussendienst, tenant_id=tenant.pk, name="Laptop 1")


@pytest.fixture
def gekoppelt(angemeldet: tuple[Geraet, str]) -> tuple[Geraet, str]:
    """A paired Koffer and its token."""
    return services.koppeln(code=angemeldet[1], client_ip="192.0.2.1")


def koffer_client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def akte(team_caseworker: User, plan: Aktenplaneinheit, team: Organisationseinheit) -> Akte:
    return record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team)


@pytest.fixture
def kollegin(tenant: Mandant, team: Organisationseinheit) -> User:
    """A second field worker of the same team, with a paired Koffer of her own."""
    return factories.user(
        tenant, role="aussendienst", unit_=team, first_name="Karla", last_name="Kollegin"
    )


@pytest.fixture
def anderer_koffer(kollegin: User, tenant: Mandant) -> Geraet:
    _, code = services.geraet_anlegen(actor=kollegin, tenant_id=tenant.pk, name="Laptop 2")
    return services.koppeln(code=code)[0]


# --- real koffer processes (office and Koffer) on loopback ---------------------------------------


START_TIMEOUT = 180.0


@dataclass
class Dienst:
    """A koffer served by ``manage.py serve`` from its own var folder (web and one worker);
    ``stoppen()`` ends it with its children, ``starten()`` again on the same port."""

    var: Path
    env: dict[str, str]
    port: int = field(default_factory=server.free_port)
    live_port: int = field(default_factory=server.free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def starten(self) -> Dienst:
        log = (self.var / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "serve",
                "--no-demo",
                "--workers",
                "1",
                "--port",
                str(self.port),
                "--live-port",
                str(self.live_port),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"serve endete beim Start:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:  # noqa: S310
                    # serve starts the live-update process once the web server answers
                    if response.status == 200 and self._live_offen():
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        pytest.fail(f"{self.url} antwortet nicht:\n{self.log()[-3000:]}")

    def _live_offen(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.live_port), timeout=1).close()
        except OSError:
            return False
        return True

    def stoppen(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None

    def erreichbar(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2):  # noqa: S310
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def log(self) -> str:
        path = self.var / "serve.log"
        return path.read_text(errors="replace") if path.exists() else ""


class _OhneWeiterleitung(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Antwort:
    status: int
    text: str
    location: str


class Sitzung:
    """A browser's session against a served koffer through urllib: cookies, the CSRF
    token sent back as a form field, redirects reported (not followed)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _OhneWeiterleitung()
        )

    def _csrf(self) -> str:
        return next((c.value or "" for c in self.cookies if c.name == "csrftoken"), "")

    def _senden(self, request: urllib.request.Request) -> Antwort:
        try:
            with self.opener.open(request, timeout=60) as response:
                return Antwort(response.status, response.read().decode(), "")
        except urllib.error.HTTPError as exc:
            return Antwort(
                exc.code, exc.read().decode(errors="replace"), exc.headers["Location"] or ""
            )

    def get(self, path: str) -> Antwort:
        return self._senden(urllib.request.Request(self.url + path))  # noqa: S310

    def post(self, path: str, daten: dict[str, str] | None = None) -> Antwort:
        if not self._csrf():
            self.get(path)
        body = urllib.parse.urlencode({**(daten or {}), "csrfmiddlewaretoken": self._csrf()})
        request = urllib.request.Request(  # noqa: S310
            self.url + path,
            data=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": self.url + path,
            },
        )
        return self._senden(request)

    def anmelden(self, username: str, password: str, totp_schluessel: str) -> None:
        """Sign in with password and the TOTP second factor, as a person would."""
        anmelden = reverse("accounts:login")
        self.get(anmelden)
        antwort = self.post(anmelden, {"username": username, "password": password})
        assert antwort.status == 302, antwort.text[:2000]
        code = totp(bytes.fromhex(totp_schluessel), step=30, t0=0, digits=6)
        antwort = self.post(reverse("accounts:otp"), {"token": f"{code:06d}"})
        assert antwort.status == 302, antwort.text[:2000]
        assert self.get(reverse("shell:start")).status == 200


class _Formularleser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.formulare: list[dict[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.formulare.append({})
        if not self.formulare or "name" not in a:
            if tag == "option" and self._select is not None and "selected" in a:
                self.formulare[-1][self._select] = a.get("value", "")
            return
        werte, name = self.formulare[-1], a["name"]
        if tag == "input":
            art = a.get("type", "text")
            if art in ("checkbox", "radio"):
                if "checked" in a:
                    werte[name] = a.get("value", "on")
            elif art not in ("submit", "button", "file"):
                werte[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
            werte.setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            werte[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self.formulare:
            self.formulare[-1][self._textarea] += data


def formularwerte(html: str, feld: str) -> dict[str, str]:
    """What a browser would send from the page's form that has the field ``feld``: its
    inputs' values, checked boxes, selected options (without the CSRF token)."""
    leser = _Formularleser()
    leser.feed(html)
    for werte in leser.formulare:
        if feld in werte:
            werte.pop("csrfmiddlewaretoken", None)
            return werte
    raise AssertionError(f"kein Formular mit dem Feld {feld!r}")


def paket_json(response: Any) -> Any:
    """The package the API streams (``GET /koffer/paket``) read whole and parsed, blanks
    sent while it was built included, as the Koffer reads it."""
    assert response.status_code == 200, response.status_code
    return json.loads(b"".join(response.streaming_content))
