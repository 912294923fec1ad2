"""Rate limits of the portal (issue 19, item 7; ``portal.drossel``): registration and
„Bestätigungslink erneut senden“ per address and per client address, uploads and
submissions per account, the SAML ACS per client address. Each answers 429 with a German
message and ``Retry-After``, and takes requests again once the window has passed (the
pinned clock moved on)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.utils import timezone
from PIL import Image

from koffer.audit.models import AuditEvent
from koffer.portal import saml, sitzung
from koffer.portal.models import Antrag, Buergerkonto, OnlineAngebot, PortalEinstellung
from koffer.tenancy.models import Mandant
from tests.factories import portal as portal_factories
from tests.portal.conftest import ACS, zum_idp
from tests.portal.idp import TestIdp
from tests.portal.test_antrag import admin_access, akte, angebot, formular, konto

__all__ = ["admin_access", "akte", "angebot", "formular", "konto"]

pytestmark = pytest.mark.django_db

PASSWORT = "Richtig-geheim-42"


def _limits(settings: Any, **grenzen: tuple[int, int]) -> None:
    settings.KOFFER_PORTAL_LIMITS = {**django_settings.KOFFER_PORTAL_LIMITS, **grenzen}


@pytest.fixture
def erlaubt(tenant: Mandant, settings: Any) -> Mandant:
    settings.KOFFER_PORTAL_SAML_BASE_URL = "http://testserver"
    PortalEinstellung.objects.create(tenant=tenant, email_konten_erlaubt=True)
    return tenant


@pytest.fixture
def spaeter() -> Iterator[Any]:
    """Move the pinned clock on by ``seconds`` inside a ``with``."""

    def travel(seconds: int) -> Any:
        return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=True)

    yield travel


def _registrieren(tenant: Mandant, email: str, ip: str = "192.0.2.1") -> Any:
    # The link to a new account goes out on commit (the test's transaction never commits).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client(REMOTE_ADDR=ip).post(
            f"/portal/{tenant.slug}/email/registrieren/",
            {"email": email, "password": PASSWORT, "password2": PASSWORT},
        )


def _erneut(tenant: Mandant, email: str, ip: str = "192.0.2.1") -> Any:
    return Client(REMOTE_ADDR=ip).post(
        f"/portal/{tenant.slug}/email/erneut-senden/", {"email": email}
    )


def _retry_after(response: Any) -> int:
    assert response.status_code == 429, response.status_code
    return int(response["Retry-After"])


def test_registration_mails_are_limited_per_address_then_allowed_again(
    erlaubt: Mandant, settings: Any, spaeter: Any
) -> None:
    _limits(settings, email_adresse=(2, 3600))
    assert _registrieren(erlaubt, "anna@example.org", "192.0.2.1").status_code == 200
    assert _registrieren(erlaubt, "Anna@Example.org", "192.0.2.2").status_code == 200
    portal_factories.mails_senden(erlaubt)
    assert len(mail.outbox) == 2  # the link, then the notice for the known address
    dritte = _registrieren(erlaubt, "anna@example.org", "192.0.2.3")
    assert 3500 < _retry_after(dritte) <= 3600
    assert "zu viele E-Mails angefordert" in dritte.content.decode()
    assert "in 60 Minuten erneut" in dritte.content.decode()
    # „erneut senden“ counts against the same address
    assert _erneut(erlaubt, "anna@example.org", "192.0.2.4").status_code == 429
    portal_factories.mails_senden(erlaubt)
    assert len(mail.outbox) == 2
    # another address is not affected
    assert _registrieren(erlaubt, "bert@example.org", "192.0.2.5").status_code == 200
    with spaeter(3601):
        assert _registrieren(erlaubt, "anna@example.org", "192.0.2.6").status_code == 200
    portal_factories.mails_senden(erlaubt)
    assert len(mail.outbox) == 4


def test_registration_mails_are_limited_per_client_address(
    erlaubt: Mandant, settings: Any, spaeter: Any
) -> None:
    _limits(settings, email_client=(3, 3600))
    for n in range(3):
        assert _registrieren(erlaubt, f"person{n}@example.org").status_code == 200
    # unknown addresses count as known ones: the limit says nothing about accounts
    vierte = _erneut(erlaubt, "niemand@example.org")
    assert _retry_after(vierte) > 0
    assert "Von Ihrem Anschluss" in vierte.content.decode()
    assert _registrieren(erlaubt, "x@example.org", "198.51.100.7").status_code == 200
    with spaeter(3601):
        assert _registrieren(erlaubt, "y@example.org").status_code == 200


def test_resend_answers_alike_and_mails_each_address_once(erlaubt: Mandant) -> None:
    assert _registrieren(erlaubt, "offen@example.org").status_code == 200
    assert _registrieren(erlaubt, "fertig@example.org").status_code == 200
    Buergerkonto.objects.for_tenant(erlaubt).filter(email="fertig@example.org").update(
        email_bestaetigt_am=timezone.now()
    )
    portal_factories.mails_senden(erlaubt)
    mail.outbox.clear()
    antworten = []
    for adresse in ("offen@example.org", "fertig@example.org", "niemand@example.org"):
        response = _erneut(erlaubt, adresse)
        assert response.status_code == 200
        antworten.append(_ohne_csrf(response.content.decode()))
    assert antworten[0] == antworten[1] == antworten[2]
    assert "Wenn zu dieser Adresse ein Konto besteht" in antworten[0]
    # one mail each, so that the time of the answer tells nothing either
    portal_factories.mails_senden(erlaubt)
    assert [m.to for m in mail.outbox] == [
        ["offen@example.org"],
        ["fertig@example.org"],
        ["niemand@example.org"],
    ]
    assert "/email/bestaetigen/" in str(mail.outbox[0].body)
    assert "schon ein Konto" in str(mail.outbox[1].body)
    assert "kein Konto" in str(mail.outbox[2].body)
    assert "/email/registrieren/" in str(mail.outbox[2].body)


def _ohne_csrf(html: str) -> str:
    import re

    html = re.sub(r'name="csrf-token" content="[^"]+"', "", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _png(name: str) -> SimpleUploadedFile:
    puffer = io.BytesIO()
    farbe = (ord(name[0]) * 7 % 256, 10, 200)  # another file per name, not one blob
    Image.new("RGB", (24, 24), farbe).save(puffer, format="PNG")
    return SimpleUploadedFile(name, puffer.getvalue(), content_type="image/png")


def _beginnen(client: Client, tenant: Mandant, angebot: OnlineAngebot) -> Antrag:
    antwort = client.post(f"/portal/{tenant.slug}/antraege/neu/", {"angebot": str(angebot.pk)})
    assert antwort.status_code == 302, antwort.content[:300]
    return Antrag.objects.for_tenant(tenant).filter(status="offen").latest("created_at")


def _url(antrag: Antrag, rest: str) -> str:
    return f"/portal/{antrag.tenant.slug}/antraege/{antrag.pk}/{rest}"


def test_uploads_are_limited_per_account_and_hour(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto, settings: Any, spaeter: Any
) -> None:
    _limits(settings, upload=(2, 3600))
    client = portal_factories.buerger_client(konto)
    antrag = _beginnen(client, tenant, angebot)
    schritt = _url(antrag, "schritt/nachweise/")
    antwort = client.post(
        schritt, {"f-belege": [_png("a.png"), _png("b.png")], "version": str(antrag.version)}
    )
    assert antwort.status_code in (200, 302)
    antrag.refresh_from_db()
    assert len(antrag.antworten["belege"]) == 2
    zu_viel = client.post(schritt, {"f-belege": [_png("c.png")], "version": str(antrag.version)})
    assert 3500 < _retry_after(zu_viel) <= 3600
    assert "zu viele Dateien hochgeladen" in zu_viel.content.decode()
    antrag.refresh_from_db()
    assert len(antrag.antworten["belege"]) == 2  # nothing stored, nothing inspected
    # another account of the same Mandant is not affected
    andere = portal_factories.buergerkonto(tenant)
    fremd = portal_factories.buerger_client(andere)
    ihr = _beginnen(fremd, tenant, angebot)
    assert fremd.post(
        _url(ihr, "schritt/nachweise/"), {"f-belege": [_png("d.png")], "version": str(ihr.version)}
    ).status_code in (200, 302)
    with spaeter(3601):
        wieder = client.post(schritt, {"f-belege": [_png("c.png")], "version": str(antrag.version)})
        assert wieder.status_code in (200, 302)
    antrag.refresh_from_db()
    assert len(antrag.antworten["belege"]) == 3


def _ausfuellen(client: Client, antrag: Antrag) -> None:
    import re

    schritte = {
        "person": {"f-nachname": "Mustermann", "f-vorname": "Erika"},
        "haushalt": {"f-umgezogen": "nein"},
        "einkommen": {"f-lohn": "1.234,50"},
        "nachweise": {},
    }
    for schritt, werte in schritte.items():
        seite = client.get(_url(antrag, f"schritt/{schritt}/")).content.decode()
        version = re.search(r'name="version" value="(\d+)"', seite)
        assert version is not None
        antwort = client.post(_url(antrag, f"schritt/{schritt}/"), {**werte, "version": version[1]})
        assert antwort.status_code == 302, schritt


def test_submissions_are_limited_per_account_and_hour(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto, settings: Any, spaeter: Any
) -> None:
    _limits(settings, einreichen=(1, 3600))
    client = portal_factories.buerger_client(konto)
    erster = _beginnen(client, tenant, angebot)
    # an incomplete one does not count: nothing was typeset
    assert client.post(_url(erster, "pruefen/")).status_code == 422
    _ausfuellen(client, erster)
    assert client.post(_url(erster, "pruefen/")).status_code == 302
    zweiter = _beginnen(client, tenant, angebot)
    assert zweiter.pk != erster.pk
    _ausfuellen(client, zweiter)
    antwort = client.post(_url(zweiter, "pruefen/"))
    assert 3500 < _retry_after(antwort) <= 3600
    assert "zu viele Anträge abgesendet" in antwort.content.decode()
    zweiter.refresh_from_db()
    assert zweiter.status == "offen"
    # submitting the first again answers the same submission, no count needed
    assert client.post(_url(erster, "pruefen/")).status_code == 302
    with spaeter(3601):
        assert client.post(_url(zweiter, "pruefen/")).status_code == 302
    zweiter.refresh_from_db()
    assert zweiter.status == "eingereicht"


def test_saml_answers_are_limited_per_client_address(
    tenant: Mandant, idp: TestIdp, settings: Any, spaeter: Any
) -> None:
    _limits(settings, acs_client=(2, 60))
    client = Client(REMOTE_ADDR="203.0.113.9")
    fields = zum_idp(client, tenant, idp)
    # The refusal deletes the sign-in cookie; a flood keeps sending the one it had.
    cookie = client.cookies[saml.COOKIE].value
    for _ in range(2):  # forged answers: refused by the checks, and counted
        client.cookies[saml.COOKIE] = cookie
        assert client.post(ACS, {**fields, "SAMLResponse": "Zm9yZ2Vk"}).status_code == 400
    client.cookies[saml.COOKIE] = cookie
    # the real answer now waits: refused before any signature is checked
    dritte = client.post(ACS, fields)
    assert 0 < _retry_after(dritte) <= 60
    assert "zu viele Anmeldungen" in dritte.content.decode()
    assert sitzung.SESSION_KONTO not in client.session
    assert AuditEvent.objects.filter(
        action="portal.anmeldung.fehlgeschlagen", changes__grund="zu_viele_acs_client"
    ).exists()
    with spaeter(61):
        neu = Client(REMOTE_ADDR="203.0.113.9")
        angemeldet = neu.post(ACS, zum_idp(neu, tenant, idp))
        assert angemeldet.status_code == 302
        assert sitzung.SESSION_KONTO in neu.session


def test_the_api_answers_a_rate_limit_as_problem_json_with_retry_after(tenant: Mandant) -> None:
    """The portal's API (a Land's own portal as front end) gets the same refusal."""
    from ninja import NinjaAPI
    from ninja.testing import TestClient

    from koffer.api import problems
    from koffer.portal import drossel

    api = NinjaAPI(urls_namespace="drossel-test")
    problems.install(api)

    @api.post("/einreichen")
    def einreichen(request: Any) -> dict[str, str]:
        drossel.zaehlen(tenant_id=tenant.pk, grenzen=[("einreichen", "konto-1")])
        return {"ok": "ja"}

    client = TestClient(api)
    limit = django_settings.KOFFER_PORTAL_LIMITS["einreichen"][0]
    for _ in range(limit):
        assert client.post("/einreichen").status_code == 200
    antwort = client.post("/einreichen")
    assert antwort.status_code == 429
    assert antwort["Content-Type"] == "application/problem+json"
    assert 3500 < int(antwort["Retry-After"]) <= 3600
    body = antwort.json()
    assert body["code"] == "zu_viele_einreichen" and body["title"] == "Zu viele Versuche"
    assert "zu viele Anträge abgesendet" in body["detail"]
