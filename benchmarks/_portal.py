"""What the portal benchmarks share: a Mandant offering a 3-page application online,
citizens signed in to its portal (a session each, as a sign-in leaves it, with a CSRF
cookie), each with the application begun, and one citizen's requests over a kept-alive
connection.

Signing in itself (BundID) is not measured here: the sessions are written as
``portal.sitzung.anmelden`` writes them.
"""

from __future__ import annotations

import http.client
import re
import secrets
import time
import urllib.parse
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.utils import timezone

from koffer.accounts import services as accounts
from koffer.accounts.access import Access
from koffer.forms.katalog import services as katalog
from koffer.portal import sitzung
from koffer.portal.antrag import angebote
from koffer.portal.antrag import services as antraege
from koffer.portal.models import Antrag, Buergerkonto, OnlineAngebot, Vertrauensniveau
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

SLUG = "portal-last"
SCHLUESSEL = "wohngeld-online"


def _text(de: str) -> dict[str, str]:
    return {"de": de}


def definition() -> dict[str, Any]:
    """Three pages as a citizen fills them: the person, the household, income and costs."""
    return {
        "format": 1,
        "schluessel": SCHLUESSEL,
        "titel": _text("Antrag auf Leistungen (online)"),
        "schritte": [
            {
                "id": "person",
                "titel": _text("Angaben zur Person"),
                "felder": [
                    {"id": "nachname", "typ": "text", "label": _text("Nachname"), "pflicht": True},
                    {"id": "vorname", "typ": "text", "label": _text("Vorname"), "pflicht": True},
                    {"id": "geburtsdatum", "typ": "datum", "label": _text("Geburtsdatum")},
                    {"id": "telefon", "typ": "text", "label": _text("Telefon")},
                    {"id": "email", "typ": "text", "label": _text("E-Mail")},
                    {"id": "familienstand", "typ": "text", "label": _text("Familienstand")},
                ],
            },
            {
                "id": "haushalt",
                "titel": _text("Haushalt"),
                "felder": [
                    {
                        "id": "umgezogen",
                        "typ": "janein",
                        "label": _text("Sind Sie in den letzten 6 Monaten umgezogen?"),
                        "pflicht": True,
                    },
                    {
                        "id": "umzug_am",
                        "typ": "datum",
                        "label": _text("Umzug am"),
                        "bedingung": {"feld": "umgezogen", "ist": True},
                    },
                    {"id": "personen", "typ": "zahl", "label": _text("Personen im Haushalt")},
                    {"id": "wohnflaeche", "typ": "zahl", "label": _text("Wohnfläche (m²)")},
                    {"id": "miete", "typ": "geld", "label": _text("Kaltmiete im Monat")},
                    {"id": "nebenkosten", "typ": "geld", "label": _text("Nebenkosten im Monat")},
                ],
            },
            {
                "id": "einkommen",
                "titel": _text("Einkommen"),
                "felder": [
                    {"id": "lohn", "typ": "geld", "label": _text("Lohn im Monat (netto)")},
                    {"id": "kindergeld", "typ": "geld", "label": _text("Kindergeld im Monat")},
                    {"id": "arbeitgeber", "typ": "text", "label": _text("Arbeitgeber")},
                    {
                        "id": "bemerkung",
                        "typ": "mehrzeilig",
                        "label": _text("Was sollen wir noch wissen?"),
                    },
                ],
            },
        ],
    }


# What a citizen types on each page, as the browser posts it (the fields' names ``f-…``).
EINGABEN: dict[str, dict[str, str]] = {
    "person": {
        "f-nachname": "Mustermann",
        "f-vorname": "Erika",
        "f-geburtsdatum": "1980-04-12",
        "f-telefon": "0221 123456",
        "f-email": "erika@example.org",
        "f-familienstand": "ledig",
    },
    "haushalt": {
        "f-umgezogen": "nein",
        "f-personen": "2",
        "f-wohnflaeche": "58",
        "f-miete": "512,40",
        "f-nebenkosten": "143,00",
    },
    "einkommen": {
        "f-lohn": "1.234,50",
        "f-kindergeld": "255,00",
        "f-arbeitgeber": "Bäckerei Sonnenschein",
        "f-bemerkung": "Minijob im Café, seit Oktober zusätzlich 10 Stunden die Woche.",
    },
}
# The same as data (the services' and the API's form of the answers).
ANTWORTEN: dict[str, dict[str, str]] = {
    schritt: {name.removeprefix("f-"): wert for name, wert in felder.items()}
    for schritt, felder in EINGABEN.items()
}


@dataclass(frozen=True)
class Buerger:
    konto: Buergerkonto
    antrag: Antrag
    cookie: str  # the Cookie header: the portal session and a CSRF cookie
    csrf: str


@dataclass(frozen=True)
class Welt:
    mandant: Mandant
    angebot: OnlineAngebot
    buerger: list[Buerger]


def einrichten(anzahl: int) -> Welt:
    """The Mandant, its online offer, ``anzahl`` citizens signed in with the application
    begun (prefilled from their accounts)."""
    mandant = tenancy.create_mandant(
        actor=None, slug=SLUG, name="Jobcenter Lastdorf", kind=Mandant.Kind.JOBCENTER
    )
    wurzel = Organisationseinheit.objects.for_tenant(mandant).get(parent=None)
    admin = accounts.create_user(
        actor=None,
        must_change_password=False,
        tenant=mandant,
        username="portal.admin",
        first_name="Ada",
        last_name="Verwaltung",
        email=None,
        password=None,
        unit=wurzel,
        role="mandant_admin",
    )
    access = Access.for_user(admin.pk, mandant.pk)
    [ergebnis] = katalog.importieren(actor=admin, access=access, tenant=mandant, daten=definition())
    angebot = angebote.angebot_setzen(
        actor=admin, access=access, formular=ergebnis.formular, unit=wurzel, aktiv=True
    )
    assert angebot is not None
    jetzt = timezone.now()
    konten = Buergerkonto.objects.bulk_create(
        [
            Buergerkonto(
                tenant=mandant,
                kennung=f"bpk2-last-{i:05d}",
                art=Buergerkonto.Art.BUNDID,
                vertrauensniveau=Vertrauensniveau.SUBSTANTIELL,
                family_name="Mustermann",
                given_names=f"Erika {i}",
                street="Heidestraße 17",
                postal_code="51147",
                city="Köln",
                email=f"erika{i}@example.org",
                letzte_anmeldung=jetzt,
            )
            for i in range(anzahl)
        ]
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore
    buerger = []
    for konto in konten:
        antrag = antraege.beginnen(actor=konto, angebot=angebot)
        session = store()
        session[sitzung.SESSION_KONTO] = str(konto.pk)
        session[sitzung.SESSION_TENANT] = str(konto.tenant_id)
        session[sitzung.SESSION_NIVEAU] = konto.vertrauensniveau
        session.create()
        csrf = secrets.token_hex(16)  # 32 characters: Django's unmasked CSRF secret
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={csrf}"
        buerger.append(Buerger(konto=konto, antrag=antrag, cookie=cookie, csrf=csrf))
    return Welt(mandant=mandant, angebot=angebot, buerger=buerger)


def ausfuellen(welt: Welt) -> None:
    """Every page of every citizen's application saved through the services."""
    for b in welt.buerger:
        for schritt, antworten in ANTWORTEN.items():
            antraege.speichern(
                actor=b.konto,
                antrag=b.antrag,
                schritt=schritt,
                antworten=antworten,
                version=b.antrag.version,
            )


@dataclass
class Antwort:
    status: int
    body: bytes
    location: str
    seconds: float


class Verbindung:
    """One citizen's browser: a kept-alive connection with its cookies."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.cookie = cookie
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def anfrage(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Antwort:
        kopf = {"Cookie": self.cookie, **(headers or {})}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            kopf["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        try:
            self.http.request(method, path, body=body, headers=kopf)
            response = self.http.getresponse()
        except (http.client.HTTPException, ConnectionError):
            # a connection the server closed meanwhile: once more on a new one, as a browser
            self.http.close()
            self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.http.request(method, path, body=body, headers=kopf)
            response = self.http.getresponse()
        data = response.read()
        seconds = time.perf_counter() - began
        return Antwort(response.status, data, response.getheader("Location") or "", seconds)

    def close(self) -> None:
        self.http.close()


def version(html: bytes) -> str:
    found = re.search(rb'name="version" value="(\d+)"', html)
    if found is None:
        raise RuntimeError("Schrittseite ohne Version")
    return found[1].decode()
