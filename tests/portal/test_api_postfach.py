"""The portal's API for the mailbox and the messages (issue 19, item 8): the letters with
date, opened or not and Bekanntgabe, a letter's PDF whose first open is the receipt
exactly as on the page, the Vorgänge a citizen may write about, a thread (read marks the
answers read) and a new message, limited to 10 an hour (429 with Retry-After). Every
answer is checked against the committed docs/openapi.json."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from koffer.audit.models import AuditEvent
from koffer.outbox.models import Brief, Vorlage
from koffer.portal.models import Nachricht
from koffer.portal.nachrichten import services as nachrichten
from koffer.records.models import Dokument
from tests.factories import portal as portal_factories
from tests.factories import records as rf
from tests.inbox.openapi import conforms
from tests.outbox.briefe.conftest import Welt, welt
from tests.portal.test_nachrichten import _ablegen
from tests.portal.test_nachrichten import _konto as _schreiber
from tests.portal.test_postfach import _benachrichtigen, _brief, _erlauben, _konto

__all__ = ["welt"]

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]

POSTFACH = "/api/v1/portal/postfach"
BRIEF = "/api/v1/portal/postfach/{brief_id}/brief.pdf"
VORGAENGE = "/api/v1/portal/nachrichten"
VERLAUF = "/api/v1/portal/nachrichten/{vorgang_id}"


def test_letters_and_the_first_open_is_the_receipt(welt: Welt) -> None:
    _erlauben(welt)
    konto = _konto(welt)
    brief = _brief(welt, art=Vorlage.Art.BESCHEID, mit_vorgang=True)
    _benachrichtigen(welt)
    client = portal_factories.buerger_client(konto)
    [eintrag] = conforms(client.get(POSTFACH), POSTFACH, "get")
    assert eintrag["id"] == str(brief.pk) and eintrag["titel"] == brief.betreff
    assert eintrag["geoeffnet"] is False and eintrag["bekanntgabe_am"] is None
    assert eintrag["abrufbar"] is True and eintrag["pdf"] == BRIEF.format(brief_id=brief.pk)
    geoeffnet = client.get(eintrag["pdf"])
    assert geoeffnet.status_code == 200 and geoeffnet["Content-Type"] == "application/pdf"
    assert b"".join(geoeffnet.streaming_content).startswith(b"%PDF")
    brief.refresh_from_db()
    assert brief.status == Brief.Status.ABGERUFEN and brief.abgerufen_von == konto.anzeigename
    assert brief.bekanntgabe_am == date(2026, 11, 26)  # the day after the retrieval
    [eintrag] = conforms(client.get(POSTFACH), POSTFACH, "get")
    assert eintrag["geoeffnet"] is True and eintrag["bekanntgabe_am"] == "2026-11-26"
    # opened again, by page or API: only a read, the receipt stays the first
    assert client.get(eintrag["pdf"]).status_code == 200
    seite = client.get(f"/portal/{welt.tenant.slug}/postfach/{brief.pk}/brief.pdf")
    assert seite.status_code == 200
    assert AuditEvent.objects.filter(action="outbox.brief.abgerufen").count() == 1
    assert AuditEvent.objects.filter(action="read", object_id=str(brief.pk)).count() >= 2
    # bad input: another citizen's letter, an unknown one
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(welt.tenant))
    assert conforms(fremd.get(POSTFACH), POSTFACH, "get") == []
    nicht = fremd.get(BRIEF.format(brief_id=brief.pk))
    assert nicht.status_code == 404 and conforms(nicht, BRIEF, "get")["code"] == "not_found"


def test_messages_about_a_vorgang(welt: Welt) -> None:
    vorgang = rf.vorgang(welt.akte, actor=welt.writer, title="Weiterbewilligung 2027")
    konto = _schreiber(welt)
    client = portal_factories.buerger_client(konto)
    [eintrag] = conforms(client.get(VORGAENGE), VORGAENGE, "get")
    assert eintrag["id"] == str(vorgang.pk) and eintrag["titel"] == "Weiterbewilligung 2027"
    assert eintrag["aktenzeichen"] == welt.akte.aktenzeichen and eintrag["ungelesen"] == 0
    url = VERLAUF.format(vorgang_id=vorgang.pk)
    gesendet = client.post(
        url, json.dumps({"text": "Mein Kontoauszug folgt morgen."}), "application/json"
    )
    assert gesendet.status_code == 201, gesendet.content
    body = conforms(gesendet, VERLAUF, "post")
    assert body["richtung"] == "eingang" and body["von"] == konto.anzeigename
    _ablegen(welt)
    dokument = Dokument.objects.for_tenant(welt.tenant).get(vorgang=vorgang)
    assert dokument.kind == "Nachricht (online)"
    # the office answers; listed as unread, then read by the thread
    nachrichten.antworten(
        actor=welt.writer, access=welt.access(welt.writer), vorgang=vorgang, text="Danke!"
    )
    [eintrag] = conforms(client.get(VORGAENGE), VORGAENGE, "get")
    assert eintrag["ungelesen"] == 1
    verlauf = conforms(client.get(url), VERLAUF, "get")
    assert [(n["richtung"], n["text"]) for n in verlauf["nachrichten"]] == [
        ("eingang", "Mein Kontoauszug folgt morgen."),
        ("ausgang", "Danke!"),
    ]
    assert verlauf["nachrichten"][1]["von"] == welt.tenant.name
    assert verlauf["vorgang"]["ungelesen"] == 1  # as read now, marked after the answer
    assert Nachricht.objects.for_tenant(welt.tenant).get(text="Danke!").gelesen_am is not None
    assert conforms(client.get(VORGAENGE), VORGAENGE, "get")[0]["ungelesen"] == 0
    assert AuditEvent.objects.filter(
        action="read", actor_id=konto.pk, reason="Nachrichten im Portal"
    ).exists()
    # bad input: an empty message (German), another citizen's Vorgang
    leer = client.post(url, json.dumps({"text": "   "}), "application/json")
    assert leer.status_code == 422
    assert conforms(leer, VERLAUF, "post")["detail"] == "Bitte schreiben Sie Ihre Nachricht."
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(welt.tenant))
    assert conforms(fremd.get(VORGAENGE), VORGAENGE, "get") == []
    assert fremd.get(url).status_code == 404
    fremd_post = fremd.post(url, json.dumps({"text": "Hallo"}), "application/json")
    assert fremd_post.status_code == 404
    assert Nachricht.objects.for_tenant(welt.tenant).filter(richtung="eingang").count() == 1


def test_messages_are_limited_with_retry_after(welt: Welt, settings: Any) -> None:
    settings.KOFFER_PORTAL_NACHRICHTEN_PRO_STUNDE = 2
    vorgang = rf.vorgang(welt.akte, actor=welt.writer)
    client = portal_factories.buerger_client(_schreiber(welt))
    url = VERLAUF.format(vorgang_id=vorgang.pk)
    for n in range(2):
        antwort = client.post(url, json.dumps({"text": f"Nachricht {n}"}), "application/json")
        assert antwort.status_code == 201
    zu_viel = client.post(url, json.dumps({"text": "Noch eine"}), "application/json")
    assert zu_viel.status_code == 429
    problem = conforms(zu_viel, VERLAUF, "post")
    assert problem["code"] == "zu_viele_nachrichten" and "2 Nachrichten" in problem["detail"]
    assert 3500 <= int(zu_viel["Retry-After"]) <= 3600
    assert Nachricht.objects.for_tenant(welt.tenant).count() == 2
