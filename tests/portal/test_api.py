"""The portal's API (issue 19, item 8): citizens only — by their portal session (CSRF for
changes) or a short-lived bearer token —, the account and the persons it may act for, the
online offers, an application from beginning to receipt, and every endpoint's bad input
(stale version, another citizen's application, invalid answers, a refused upload). Every
answer is checked against the committed docs/openapi.json."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from PIL import Image

from koffer.accounts import services as accounts
from koffer.accounts.models import User
from koffer.accounts.roles import Perm
from koffer.audit.models import AuditEvent
from koffer.inbox.models import Stapel
from koffer.portal.models import Antrag, Buergerkonto, OnlineAngebot, Vertretung
from koffer.records import services as records
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.inbox.openapi import conforms
from tests.portal.test_antrag import admin_access, akte, angebot, formular, konto

__all__ = ["admin_access", "akte", "angebot", "formular", "konto"]

pytestmark = pytest.mark.django_db

KONTO = "/api/v1/portal/konto"
TOKEN = "/api/v1/portal/token"
ANGEBOTE = "/api/v1/portal/angebote"
ANTRAEGE = "/api/v1/portal/antraege"
ANTRAG = "/api/v1/portal/antraege/{antrag_id}"
DATEIEN = "/api/v1/portal/antraege/{antrag_id}/dateien/{feld}"
DATEI = "/api/v1/portal/antraege/{antrag_id}/dateien/{feld}/{blob}"
EINREICHEN = "/api/v1/portal/antraege/{antrag_id}/einreichen"
QUITTUNG = "/api/v1/portal/antraege/{antrag_id}/eingangsbestaetigung.pdf"

# The answers of every step as a citizen's app sends them (the page's typed form).
SCHRITTE: dict[str, dict[str, Any]] = {
    "person": {"nachname": "Mustermann", "vorname": "Erika"},
    "haushalt": {"umgezogen": "nein"},
    "einkommen": {"lohn": "1.234,50", "bemerkung": "Minijob im Café"},
}


def _json(client: Client, method: str, url: str, body: object) -> Any:
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def _beginnen(client: Client, angebot: OnlineAngebot) -> dict[str, Any]:
    antwort = _json(client, "POST", ANTRAEGE, {"angebot": str(angebot.pk)})
    assert antwort.status_code == 201, antwort.content[:500]
    return conforms(antwort, ANTRAEGE, "post")  # type: ignore[no-any-return]


def _speichern(client: Client, antrag_id: str, schritt: str, antworten: dict[str, Any]) -> Any:
    version = json.loads(client.get(ANTRAG.format(antrag_id=antrag_id)).content)["version"]
    body = {"schritt": schritt, "antworten": antworten, "version": version}
    return _json(client, "PATCH", ANTRAG.format(antrag_id=antrag_id), body)


def _png(name: str = "foto.png") -> SimpleUploadedFile:
    puffer = io.BytesIO()
    Image.new("RGB", (24, 24), (200, 10, 10)).save(puffer, format="PNG")
    return SimpleUploadedFile(name, puffer.getvalue(), content_type="image/png")


def _token(client: Client) -> str:
    antwort = client.post(TOKEN)
    assert antwort.status_code == 201, antwort.content[:300]
    return str(conforms(antwort, TOKEN, "post")["token"])


# --- Signing in: citizens only ---------------------------------------------------------------


def test_the_account_answers_with_the_persons_it_may_act_for(
    tenant: Mandant, konto: Buergerkonto, akte: Akte, admin_user: User
) -> None:
    person = akte.subjects.get()
    konto.person = person
    konto.save()
    vertreten = records.create_person(
        actor=None,
        tenant=tenant,
        family_name="Sorge",
        given_names="Paul",
        birth_date=date(1950, 5, 1),
    )
    Vertretung.objects.create(
        tenant=tenant,
        konto=konto,
        person=vertreten,
        family_name="Sorge",
        given_names="Paul",
        birth_date=vertreten.birth_date,
        art=Vertretung.Art.VOLLMACHT,
        nachweis="Vollmacht vom 1. 3. 2026",
        bestaetigt_von=admin_user,
        bestaetigt_am=akte.opened_at,
    )
    antwort = portal_factories.buerger_client(konto, niveau="hoch").get(KONTO)
    assert antwort.status_code == 200
    body = conforms(antwort, KONTO, "get")
    assert body["id"] == str(konto.pk) and body["vertrauensniveau"] == "hoch"
    assert body["street"] == "Heidestraße 17"
    assert [(p["id"], p["beziehung"]) for p in body["personen"]] == [
        (str(person.pk), "selbst"),
        (str(vertreten.pk), "vertretung"),
    ]


def test_staff_are_no_citizens_and_a_citizens_token_is_no_staff_key(
    tenant: Mandant, konto: Buergerkonto, admin_user: User
) -> None:
    with override_settings(KOFFER_REQUIRE_OTP=False):
        staff = signed_in(admin_user)
        assert staff.get("/api/v1/me").status_code == 200
        refused = staff.get(KONTO)
    assert refused.status_code == 401
    assert conforms(refused, KONTO, "get")["code"] == "not_authenticated"
    _, secret = accounts.create_api_token(
        actor=None,
        tenant=tenant,
        user=factories.user(tenant, role="druckdienst", is_machine=True),
        name="Druck",
        permissions=[Perm.OUTBOX_FETCH],
        units=[factories.root_unit(tenant)],
    )
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(KONTO).status_code == 401
    token = _token(portal_factories.buerger_client(konto))
    mit_token = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert mit_token.get(KONTO).status_code == 200
    assert mit_token.get("/api/v1/me").status_code == 401
    assert mit_token.get("/api/v1/units").status_code == 401
    assert Client().get(KONTO).status_code == 401


def test_a_token_is_issued_to_a_session_with_csrf_and_expires(
    konto: Buergerkonto, settings: Any
) -> None:
    client = portal_factories.buerger_client(konto)
    client.handler.enforce_csrf_checks = True
    ohne = client.post(TOKEN)
    assert ohne.status_code == 403
    assert conforms(ohne, TOKEN, "post")["code"] == "csrf_failed"
    client.get(KONTO)  # any answer: the test client keeps no CSRF cookie yet, so set one
    client.cookies["csrftoken"] = "a" * 32
    mit = client.post(TOKEN, headers={"X-CSRFToken": "a" * 32})
    assert mit.status_code == 201, mit.content
    token = conforms(mit, TOKEN, "post")["token"]
    assert token.startswith("kb_")
    event = AuditEvent.objects.get(action="portal.zugang.create")
    assert event.actor_id == konto.pk and token not in json.dumps(event.changes)
    # a token cannot make itself a new one: only the session can
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(TOKEN).status_code == 401
    # changes by token need no CSRF token (no cookie is involved)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(KONTO).status_code == 200
    settings.KOFFER_PORTAL_API_TOKEN_SECONDS = -1
    abgelaufen = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(KONTO)
    assert abgelaufen.status_code == 401
    assert conforms(abgelaufen, KONTO, "get")["code"] == "token_expired"
    settings.KOFFER_PORTAL_API_TOKEN_SECONDS = 900
    gefaelscht = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {gefaelscht}").get(KONTO).status_code == 401


def test_a_session_change_needs_the_csrf_token(angebot: OnlineAngebot, konto: Buergerkonto) -> None:
    client = portal_factories.buerger_client(konto)
    client.handler.enforce_csrf_checks = True
    antwort = _json(client, "POST", ANTRAEGE, {"angebot": str(angebot.pk)})
    assert antwort.status_code == 403 and json.loads(antwort.content)["code"] == "csrf_failed"
    assert not Antrag.objects.unscoped().exists()


# --- Offers and applications -----------------------------------------------------------------


def test_offers_and_an_application_from_beginning_to_receipt(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    token = _token(portal_factories.buerger_client(konto))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    [angeboten] = conforms(client.get(ANGEBOTE), ANGEBOTE, "get")
    assert angeboten["id"] == str(angebot.pk) and angeboten["formular"] == "wba-online"
    antrag = _beginnen(client, angebot)
    assert antrag["version"] == 1 and antrag["status"] == "offen"
    assert antrag["antworten"]["nachname"] == "Mustermann"  # prefilled from the account
    assert [s["id"] for s in antrag["schritte"]] == ["person", "haushalt", "einkommen", "nachweise"]
    # begun again: the same application, resumed
    assert _beginnen(client, angebot)["id"] == antrag["id"]
    [kurz] = conforms(client.get(ANTRAEGE), ANTRAEGE, "get")
    assert kurz["id"] == antrag["id"]
    for schritt, antworten in SCHRITTE.items():
        gespeichert = _speichern(client, antrag["id"], schritt, antworten)
        assert gespeichert.status_code == 200, gespeichert.content
        assert conforms(gespeichert, ANTRAG, "patch")["fehler"] == {}
    gelesen = conforms(client.get(ANTRAG.format(antrag_id=antrag["id"])), ANTRAG, "get")
    assert gelesen["version"] == 4 and gelesen["antworten"]["bemerkung"] == "Minijob im Café"
    assert gelesen["quittung"] is None
    offen = client.get(QUITTUNG.format(antrag_id=antrag["id"]))
    assert offen.status_code == 409 and json.loads(offen.content)["code"] == "antrag_offen"
    url = EINREICHEN.format(antrag_id=antrag["id"])
    eingereicht = client.post(url)
    assert eingereicht.status_code == 201, eingereicht.content
    body = conforms(eingereicht, EINREICHEN, "post")
    assert body["antrag"]["status"] == "eingereicht" and len(body["pruefsumme"]) == 64
    # again: the same submission, delivered once
    nochmal = client.post(url)
    assert nochmal.status_code == 200
    assert conforms(nochmal, EINREICHEN, "post")["pruefsumme"] == body["pruefsumme"]
    assert Stapel.objects.for_tenant(tenant).filter(source="portal").count() == 1
    quittung = client.get(body["quittung"])
    assert quittung.status_code == 200 and quittung["Content-Type"] == "application/pdf"
    assert quittung.streaming  # from the blob store, never read whole
    row = Antrag.objects.for_tenant(tenant).get(pk=antrag["id"])
    assert hashlib.sha256(b"".join(quittung.streaming_content)).hexdigest() == row.quittung_sha256
    assert AuditEvent.objects.filter(action="portal.antrag.submit").count() == 1
    assert AuditEvent.objects.filter(action="portal.antrag.change").count() == 3
    # submitted: no more changes
    spaeter = _speichern(client, antrag["id"], "person", {"vorname": "Eva"})
    assert spaeter.status_code == 409


def test_an_unknown_offer_is_not_found(konto: Buergerkonto, angebot: OnlineAngebot) -> None:
    client = portal_factories.buerger_client(konto)
    antwort = _json(client, "POST", ANTRAEGE, {"angebot": "0" * 8 + "-0000-4000-8000-" + "0" * 12})
    assert antwort.status_code == 404
    assert conforms(antwort, ANTRAEGE, "post")["code"] == "not_found"


def test_a_stale_version_is_a_conflict_and_saves_nothing(
    angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    handy = portal_factories.buerger_client(konto)
    laptop = portal_factories.buerger_client(konto)
    antrag = _beginnen(handy, angebot)
    url = ANTRAG.format(antrag_id=antrag["id"])
    body = {"schritt": "person", "antworten": {"nachname": "Vom Handy"}, "version": 1}
    assert _json(handy, "PATCH", url, body).status_code == 200
    alt = {"schritt": "person", "antworten": {"nachname": "Vom Laptop"}, "version": 1}
    antwort = _json(laptop, "PATCH", url, alt)
    assert antwort.status_code == 409
    problem = conforms(antwort, ANTRAG, "patch")
    assert problem["code"] == "antrag_veraltet" and "anderen Gerät" in problem["detail"]
    gelesen = json.loads(laptop.get(url).content)
    assert gelesen["antworten"]["nachname"] == "Vom Handy" and gelesen["version"] == 2


def test_invalid_answers_are_named_in_german(angebot: OnlineAngebot, konto: Buergerkonto) -> None:
    client = portal_factories.buerger_client(konto)
    antrag = _beginnen(client, angebot)
    url = ANTRAG.format(antrag_id=antrag["id"])
    # the wrong shape: pydantic's findings, in German
    kaputt = _json(client, "PATCH", url, {"schritt": "person", "antworten": [], "version": "x"})
    assert kaputt.status_code == 422
    problem = conforms(kaputt, ANTRAG, "patch")
    meldungen = {tuple(e["loc"]): e["msg"] for e in problem["errors"]}
    assert meldungen[("body", "body", "version")] == "Erwartet wird eine ganze Zahl."
    assert meldungen[("body", "body", "antworten")] == "Erwartet wird ein Objekt."
    # a file named as an answer instead of uploaded
    fremd = {"blob": "a" * 64, "name": "x.pdf", "typ": "application/pdf", "groesse": 1}
    datei = _json(
        client,
        "PATCH",
        url,
        {"schritt": "nachweise", "antworten": {"belege": [fremd]}, "version": 1},
    )
    assert datei.status_code == 422
    body = conforms(datei, ANTRAG, "patch")
    assert body["code"] == "antworten_ungueltig" and "hochgeladen" in body["fehler"]["belege"][0]
    unbekannt = _json(
        client, "PATCH", url, {"schritt": "person", "antworten": {"hobby": "Golf"}, "version": 1}
    )
    assert unbekannt.status_code == 422
    assert conforms(unbekannt, ANTRAG, "patch")["fehler"] == {
        "hobby": ["Dieses Feld gibt es in diesem Antrag nicht."]
    }
    # saved with findings of the step (as the page does), answered with them
    mit_fehler = _speichern(client, antrag["id"], "haushalt", {"umgezogen": "ja"})
    assert mit_fehler.status_code == 200
    assert conforms(mit_fehler, ANTRAG, "patch")["fehler"]["umzug_am"]
    # submitting an incomplete application: every finding by field, in German
    unvollstaendig = client.post(EINREICHEN.format(antrag_id=antrag["id"]))
    assert unvollstaendig.status_code == 422
    befunde = conforms(unvollstaendig, EINREICHEN, "post")
    assert befunde["code"] == "form_answers_invalid"
    assert befunde["fehler"]["umzug_am"] == ["Bitte füllen Sie „Umzug am“ aus."]
    assert Antrag.objects.unscoped().get(pk=antrag["id"]).status == "offen"


def test_files_are_uploaded_inspected_and_removed(
    angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    client = portal_factories.buerger_client(konto)
    antrag = _beginnen(client, angebot)
    url = DATEIEN.format(antrag_id=antrag["id"], feld="belege")
    kaputt = SimpleUploadedFile("beleg.pdf", b"%PDF-1.7\nkaputt", content_type="application/pdf")
    refused = client.post(url, {"version": "1", "dateien": [_png(), kaputt]})
    assert refused.status_code == 422, refused.content
    problem = conforms(refused, DATEIEN, "post")
    assert problem["code"] == "datei_abgelehnt" and "beleg.pdf" in problem["fehler"]["belege"][0]
    row = Antrag.objects.unscoped().get(pk=antrag["id"])
    assert row.version == 1 and "belege" not in row.antworten  # none kept, not even the photo
    stored = client.post(url, {"version": "1", "dateien": [_png()]})
    assert stored.status_code == 201, stored.content
    body = conforms(stored, DATEIEN, "post")
    [datei] = body["dateien"]
    assert datei["name"] == "foto.png" and body["antrag"]["version"] == 2
    stale = client.post(url, {"version": "1", "dateien": [_png("zwei.png")]})
    assert stale.status_code == 409
    unknown = client.post(
        DATEIEN.format(antrag_id=antrag["id"], feld="nachname"),
        {"version": "2", "dateien": [_png()]},
    )
    assert unknown.status_code == 404
    loeschen = DATEI.format(antrag_id=antrag["id"], feld="belege", blob=datei["blob"])
    assert client.delete(loeschen).status_code == 204
    assert "belege" not in Antrag.objects.unscoped().get(pk=antrag["id"]).antworten
    again = client.delete(loeschen)
    assert (
        again.status_code == 404 and conforms(again, DATEI, "delete")["code"] == "datei_not_found"
    )


def test_another_citizens_application_is_not_found(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    antrag = _beginnen(portal_factories.buerger_client(konto), angebot)
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    ids = {"antrag_id": antrag["id"]}
    assert fremd.get(ANTRAG.format(**ids)).status_code == 404
    body = {"schritt": "person", "antworten": {"nachname": "Fremd"}, "version": 1}
    assert _json(fremd, "PATCH", ANTRAG.format(**ids), body).status_code == 404
    assert fremd.post(EINREICHEN.format(**ids)).status_code == 404
    assert fremd.get(QUITTUNG.format(**ids)).status_code == 404
    upload = fremd.post(DATEIEN.format(feld="belege", **ids), {"version": "1", "dateien": [_png()]})
    assert upload.status_code == 404
    assert fremd.delete(DATEI.format(feld="belege", blob="0" * 64, **ids)).status_code == 404
    assert conforms(fremd.get(ANTRAEGE), ANTRAEGE, "get") == []
    assert Antrag.objects.unscoped().get(pk=antrag["id"]).antworten["nachname"] == "Mustermann"
