"""The portal's API for „Mein Anliegen“ and the online form (issue 19, item 8): my
applications with their state, one application's timeline as the page shows it, a
request for documents answered by upload per item and a send that delivers once, and an
offer's form definition for an app to render. Every answer is checked against the
committed docs/openapi.json; each endpoint gets one bad input."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from koffer.audit.models import AuditEvent
from koffer.inbox.models import Stapel
from koffer.portal.models import Buergerkonto, Nachforderung, NachforderungDatei, OnlineAngebot
from koffer.tenancy.models import Mandant
from tests.factories import portal as portal_factories
from tests.inbox.openapi import conforms
from tests.portal.test_anliegen import (
    _eingereicht,
    _jobs,
    _pdf,
    _png,
    admin_access,
    akte,
    angebot,
    angefordert,
    formular,
    konto,
    other_team_caseworker,
    verknuepft,
)

__all__ = [
    "admin_access",
    "akte",
    "angebot",
    "angefordert",
    "formular",
    "konto",
    "other_team_caseworker",
    "verknuepft",
]

pytestmark = pytest.mark.django_db

ANLIEGEN = "/api/v1/portal/anliegen"
EIN_ANLIEGEN = "/api/v1/portal/anliegen/{antrag_id}"
NACHFORDERUNG = "/api/v1/portal/nachforderungen/{nachforderung_id}"
POSTEN_DATEIEN = "/api/v1/portal/nachforderungen/{nachforderung_id}/posten/{posten_id}/dateien"
DATEI = "/api/v1/portal/nachforderungen/{nachforderung_id}/dateien/{datei_id}"
SENDEN = "/api/v1/portal/nachforderungen/{nachforderung_id}/senden"
FORMULAR = "/api/v1/portal/angebote/{angebot_id}/formular"
UNBEKANNT = "00000000-0000-4000-8000-000000000000"


def test_my_applications_and_one_timeline_as_the_page_shows_it(
    tenant: Mandant, angebot: OnlineAngebot, verknuepft: Buergerkonto
) -> None:
    client = portal_factories.buerger_client(verknuepft)
    antrag = _eingereicht(client, tenant, angebot)
    [kurz] = conforms(client.get(ANLIEGEN), ANLIEGEN, "get")
    assert kurz["id"] == str(antrag.pk) and kurz["stand"] == "Zugeordnet"
    _jobs(tenant)  # filed into the Akte: a Vorgang of its own
    url = EIN_ANLIEGEN.format(antrag_id=antrag.pk)
    antwort = client.get(url)
    assert antwort.status_code == 200
    body = conforms(antwort, EIN_ANLIEGEN, "get")
    assert [(s["titel"], s["stand"]) for s in body["schritte"]] == [
        ("Eingegangen", "erledigt"),
        ("Zugeordnet", "erledigt"),
        ("In Bearbeitung", "aktuell"),
        ("Entschieden", "offen"),
    ]
    assert body["schritte"][2]["stand_text"] == "aktueller Stand"
    assert body["status"] == "eingereicht" and body["nachforderungen"] == []
    assert AuditEvent.objects.filter(
        action="read", actor_id=verknuepft.pk, reason="Online-Dienste: Stand des Antrags"
    ).exists()
    assert AuditEvent.objects.filter(
        action="read", actor_id=verknuepft.pk, reason="Online-Dienste: Meine Anträge"
    ).exists()
    # bad input: another citizen's application, or no UUID at all
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    nicht = fremd.get(url)
    assert nicht.status_code == 404 and conforms(nicht, EIN_ANLIEGEN, "get")["code"] == "not_found"
    assert conforms(fremd.get(ANLIEGEN), ANLIEGEN, "get") == []
    kaputt = client.get(EIN_ANLIEGEN.format(antrag_id="kein-antrag"))
    assert kaputt.status_code == 422


def test_a_request_is_answered_per_item_and_sent_once(
    tenant: Mandant, verknuepft: Buergerkonto, angefordert: Nachforderung
) -> None:
    client = portal_factories.buerger_client(verknuepft)
    ids = {"nachforderung_id": angefordert.pk}
    gelesen = conforms(client.get(NACHFORDERUNG.format(**ids)), NACHFORDERUNG, "get")
    [posten] = gelesen["posten"]
    assert posten["text"] == "Mietbescheinigung" and posten["dateien"] == []
    assert gelesen["status"] == "offen"
    stand = conforms(
        client.get(EIN_ANLIEGEN.format(antrag_id=angefordert.antrag_id)), EIN_ANLIEGEN, "get"
    )
    assert stand["offene_nachforderungen"] == 1
    assert ("Unterlagen fehlen", "aktuell") in [(s["titel"], s["stand"]) for s in stand["schritte"]]
    hochladen = POSTEN_DATEIEN.format(posten_id=posten["id"], **ids)
    # two files, one refused: the other is kept, the refusal named
    kaputt = SimpleUploadedFile("alt.pdf", b"%PDF-1.7\nkaputt", content_type="application/pdf")
    antwort = client.post(hochladen, {"dateien": [_pdf(), kaputt]})
    assert antwort.status_code == 201, antwort.content
    body = conforms(antwort, POSTEN_DATEIEN, "post")
    assert [d["name"] for d in body["nachforderung"]["posten"][0]["dateien"]] == ["miete.pdf"]
    [grund] = body["abgelehnt"]
    assert "alt.pdf" in grund
    # a second file, then removed again
    zweite = conforms(client.post(hochladen, {"dateien": [_png()]}), POSTEN_DATEIEN, "post")
    datei_id = next(
        d["id"] for d in zweite["nachforderung"]["posten"][0]["dateien"] if d["name"] == "lohn.png"
    )
    entfernen = DATEI.format(datei_id=datei_id, **ids)
    assert client.delete(entfernen).status_code == 204
    weg = client.delete(entfernen)
    assert weg.status_code == 404 and conforms(weg, DATEI, "delete")["code"] == "datei_not_found"
    # sent: one PDF per item, delivered into the Vorgang; again: the same answer, once
    gesendet = client.post(SENDEN.format(**ids))
    assert gesendet.status_code == 200, gesendet.content
    erste = conforms(gesendet, SENDEN, "post")
    assert erste["status"] == "beantwortet" and erste["posten"][0]["beantwortet_am"]
    nochmal = client.post(SENDEN.format(**ids))
    assert nochmal.status_code == 200 and json.loads(nochmal.content) == erste
    assert (
        Stapel.objects.for_tenant(tenant).filter(batch_id__startswith="nachforderung-").count() == 1
    )
    assert AuditEvent.objects.filter(action="portal.nachforderung.answer").count() == 1
    # sent: no more uploads
    spaet = client.post(hochladen, {"dateien": [_png()]})
    assert spaet.status_code == 409
    assert conforms(spaet, POSTEN_DATEIEN, "post")["code"] == "nachforderung_beantwortet"


def test_bad_input_on_a_request_changes_nothing(
    tenant: Mandant, verknuepft: Buergerkonto, angefordert: Nachforderung
) -> None:
    client = portal_factories.buerger_client(verknuepft)
    ids = {"nachforderung_id": angefordert.pk}
    [posten] = angefordert.posten.all()
    hochladen = POSTEN_DATEIEN.format(posten_id=posten.pk, **ids)
    # every file refused: 422 with the reason, nothing kept
    text = SimpleUploadedFile("notiz.txt", b"hallo", content_type="text/plain")
    refused = client.post(hochladen, {"dateien": [text]})
    assert refused.status_code == 422
    problem = conforms(refused, POSTEN_DATEIEN, "post")
    assert problem["code"] == "datei_abgelehnt" and "Dateityp" in problem["detail"]
    assert not NachforderungDatei.objects.for_tenant(tenant).exists()
    # an item of no request of mine
    unbekannt = client.post(
        POSTEN_DATEIEN.format(posten_id=UNBEKANNT, **ids), {"dateien": [_png()]}
    )
    assert unbekannt.status_code == 404
    assert conforms(unbekannt, POSTEN_DATEIEN, "post")["code"] == "posten_not_found"
    # sending without a file
    leer = client.post(SENDEN.format(**ids))
    assert leer.status_code == 422
    assert "mindestens eine Datei" in conforms(leer, SENDEN, "post")["detail"]
    # another citizen: 404 everywhere, nothing changed
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    assert fremd.get(NACHFORDERUNG.format(**ids)).status_code == 404
    assert fremd.post(hochladen, {"dateien": [_png()]}).status_code == 404
    assert fremd.post(SENDEN.format(**ids)).status_code == 404
    angefordert.refresh_from_db()
    assert angefordert.status == "offen"
    assert not NachforderungDatei.objects.for_tenant(tenant).exists()


def test_an_offers_form_is_described_for_an_app(
    tenant: Mandant, other_tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    client = portal_factories.buerger_client(konto)
    url = FORMULAR.format(angebot_id=angebot.pk)
    antwort = client.get(url)
    assert antwort.status_code == 200
    body = conforms(antwort, FORMULAR, "get")
    assert body["formular"] == "wba-online" and body["formularversion"] == 1
    assert [s["id"] for s in body["schritte"]] == ["person", "haushalt", "einkommen", "nachweise"]
    felder = {f["id"]: f for s in body["schritte"] for f in s["felder"]}
    assert felder["nachname"]["pflicht"] is True and felder["nachname"]["typ"] == "text"
    assert felder["umgezogen"]["typ"] == "janein"
    assert [c["id"] for c in felder["mitglieder"]["spalten"]] == ["vorname", "nachname", "person"]
    assert felder["umzug_am"]["bedingung"]  # asked only after a move: the app can tell
    assert (
        felder["belege"]["typ"] == "datei" and "application/pdf" in felder["belege"]["dateitypen"]
    )
    assert [s["hilfe"] for s in body["schritte"] if s["id"] == "nachweise"] == [
        "Fotos oder PDF-Dateien Ihrer Belege, zum Beispiel Lohnabrechnungen."
    ]
    # bad input: an unknown offer, another Mandant's citizen
    unbekannt = client.get(FORMULAR.format(angebot_id=UNBEKANNT))
    assert unbekannt.status_code == 404
    assert conforms(unbekannt, FORMULAR, "get")["code"] == "not_found"
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(other_tenant))
    assert fremd.get(url).status_code == 404


def test_a_token_reads_my_applications_and_staff_cannot(
    angebot: OnlineAngebot, verknuepft: Buergerkonto, tenant: Mandant
) -> None:
    session = portal_factories.buerger_client(verknuepft)
    antrag = _eingereicht(session, tenant, angebot)
    token = json.loads(session.post("/api/v1/portal/token").content)["token"]
    app = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    [kurz] = conforms(app.get(ANLIEGEN), ANLIEGEN, "get")
    assert kurz["id"] == str(antrag.pk)
    assert Client().get(ANLIEGEN).status_code == 401
