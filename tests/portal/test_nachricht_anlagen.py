"""Attachments to messages both ways (issue 19): the citizen attaches up to five files —
the forms' upload inspection and limits, a refused file stops the message with a German
reason and nothing is kept or sent — each filed as a PDF with the message into the Akte
and Vorgang; the caseworker's answer carries documents of the Akte, which the citizen
downloads (audited)."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from koffer.audit.models import AuditEvent
from koffer.inbox.models import Eingangsdokument, Stapel
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.portal.models import Buergerkonto, Nachricht, NachrichtAnlage
from koffer.records.models import Dokument, Vorgang
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.factories import records as rf
from tests.outbox.briefe.conftest import Welt, welt

__all__ = ["welt"]

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]


def _konto(welt: Welt) -> Buergerkonto:
    return portal_factories.buergerkonto(
        welt.tenant,
        person=welt.akte.subjekte.get().person,
        given_names="Erika",
        family_name="Beispiel",
        email="erika@example.org",
        email_bestaetigt_am=timezone.now(),
    )


def _png(name: str) -> SimpleUploadedFile:
    puffer = io.BytesIO()
    Image.new("RGB", (60, 90), (10, 120, 10)).save(puffer, format="PNG")
    return SimpleUploadedFile(name, puffer.getvalue(), content_type="image/png")


def _pdf(name: str, seiten: int = 2) -> SimpleUploadedFile:
    doc = pikepdf.new()
    for _ in range(seiten):
        doc.add_blank_page(page_size=(595, 842))
    puffer = io.BytesIO()
    doc.save(puffer)
    return SimpleUploadedFile(name, puffer.getvalue(), content_type="application/pdf")


def _url(vorgang: Vorgang) -> str:
    return f"/portal/{vorgang.tenant.slug}/nachrichten/{vorgang.pk}/"


def _ablegen(welt: Welt) -> None:
    for job in Job.objects.for_tenant(welt.tenant).filter(kind="inbox.online", status="waiting"):
        runner.execute(job.pk)


def test_the_citizen_attaches_files_filed_with_the_message(welt: Welt) -> None:
    vorgang = rf.vorgang(welt.akte, actor=welt.writer, title="Weiterbewilligung 2027")
    client = portal_factories.buerger_client(_konto(welt))
    assert 'type="file"' in client.get(_url(vorgang)).content.decode()
    sent = client.post(
        _url(vorgang),
        {
            "text": "Anbei Kontoauszug und Mietvertrag.",
            "anlagen": [_png("konto.png"), _pdf("miete.pdf")],
        },
    )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    nachricht = Nachricht.objects.for_tenant(welt.tenant).get()
    anlagen = list(NachrichtAnlage.objects.for_tenant(welt.tenant).filter(nachricht=nachricht))
    assert [a.name for a in anlagen] == ["konto.png", "miete.pdf"]
    _ablegen(welt)
    for anlage, seiten in zip(anlagen, (1, 2), strict=True):
        eingang = Eingangsdokument.objects.for_tenant(welt.tenant).get(pk=anlage.eingang_id)
        assert eingang.state == Eingangsdokument.State.ABGELEGT, eingang.reason
        dokument = Dokument.objects.for_tenant(welt.tenant).get(pk=eingang.dokument_id)
        assert (dokument.akte_id, dokument.vorgang_id) == (welt.akte.pk, vorgang.pk)
        assert anlage.name in dokument.title and dokument.page_count == seiten
    event = AuditEvent.objects.get(action="portal.nachricht.gesendet")
    assert [a["name"] for a in event.changes["anlagen"]] == ["konto.png", "miete.pdf"]
    # the caseworker sees them in the thread
    staff_url = f"/verwaltung/portal/vorgaenge/{vorgang.pk}/nachrichten/"
    seite = signed_in(welt.writer).get(staff_url).content.decode()
    assert "konto.png" in seite and "miete.pdf" in seite


def test_a_refused_file_stops_the_message_and_keeps_nothing(welt: Welt, settings: Any) -> None:
    vorgang = rf.vorgang(welt.akte, actor=welt.writer)
    client = portal_factories.buerger_client(_konto(welt))
    stapel_vorher = Stapel.objects.for_tenant(welt.tenant).count()
    kaputt = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\nkaputt", content_type="application/pdf")
    antwort = client.post(
        _url(vorgang), {"text": "Hier der Scan.", "anlagen": [_png("gut.png"), kaputt]}
    )
    assert antwort.status_code == 422
    html = antwort.content.decode()
    assert "„scan.pdf“" in html and "Ihre Nachricht wurde nicht gesendet." in html
    exe = SimpleUploadedFile("rechnung.exe", b"MZ\x90\x00" * 64)
    html = client.post(_url(vorgang), {"text": "x", "anlagen": [exe]}).content.decode()
    assert "Programme und Skripte werden nicht angenommen." in html
    sechs = [_png(f"bild{n}.png") for n in range(6)]
    html = client.post(_url(vorgang), {"text": "x", "anlagen": sechs}).content.decode()
    assert "höchstens 5 Dateien" in html
    assert not Nachricht.objects.for_tenant(welt.tenant).exists()
    assert Stapel.objects.for_tenant(welt.tenant).count() == stapel_vorher
    # the files count against the account's upload limit
    settings.KOFFER_PORTAL_LIMITS = {**settings.KOFFER_PORTAL_LIMITS, "upload": (2, 3600)}
    zuviel = client.post(
        _url(vorgang), {"text": "x", "anlagen": [_png("a.png"), _png("b.png"), _png("c.png")]}
    )
    assert zuviel.status_code == 429


def test_the_answer_carries_a_document_the_citizen_downloads(welt: Welt) -> None:
    vorgang = rf.vorgang(welt.akte, actor=welt.writer, title="Umzug")
    konto = _konto(welt)
    staff = signed_in(welt.writer)
    staff_url = f"/verwaltung/portal/vorgaenge/{vorgang.pk}/nachrichten/"
    assert staff.post(staff_url, {"text": "Erste Antwort."}).status_code == 302
    erste = Nachricht.objects.for_tenant(welt.tenant).get()
    dokument = Dokument.objects.for_tenant(welt.tenant).get(pk=erste.dokument_id)
    seite = staff.get(staff_url).content.decode()
    assert "Dokumente der Akte anhängen" in seite and dokument.title in seite
    antwort = staff.post(
        staff_url, {"text": "Anbei das Schreiben.", "dokumente": [str(dokument.pk)]}
    )
    assert antwort.status_code == 302
    anlage = NachrichtAnlage.objects.for_tenant(welt.tenant).get()
    assert anlage.dokument_id == dokument.pk and anlage.nachricht.richtung == "ausgang"
    # the citizen's thread links it; the download is the document, audited
    client = portal_factories.buerger_client(konto)
    thread = client.get(_url(vorgang)).content.decode()
    link = f"/portal/{welt.tenant.slug}/nachrichten/{vorgang.pk}/anlagen/{anlage.pk}/"
    assert f'href="{link}"' in thread
    # an app finds it in the thread and downloads it the same way, audited
    verlauf = client.get(f"/api/v1/portal/nachrichten/{vorgang.pk}").json()
    [mit_anlage] = [n for n in verlauf["nachrichten"] if n["anlagen"]]
    [api_anlage] = mit_anlage["anlagen"]
    assert api_anlage["id"] == str(anlage.pk) and api_anlage["herunterladen"]
    per_api = client.get(api_anlage["herunterladen"])
    assert per_api.status_code == 200
    assert b"".join(per_api.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    download = client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert (
        AuditEvent.objects.filter(
            action="read", actor_id=konto.pk, object_id=str(dokument.pk)
        ).count()
        == 2  # the API's download and the page's
    )
    # another citizen of the Mandant gets 404; a document of another Akte cannot be attached
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(welt.tenant))
    assert fremd.get(link).status_code == 404
    andere = rf.akte(caseworker=welt.writer, plan=welt.akte.aktenplaneinheit, unit=welt.team)
    anderes = rf.vorgang(andere, actor=welt.writer)
    signed_in(welt.writer).post(
        f"/verwaltung/portal/vorgaenge/{anderes.pk}/nachrichten/", {"text": "Andere Akte."}
    )
    fremdes = Dokument.objects.for_tenant(welt.tenant).get(vorgang=anderes)
    refused = staff.post(staff_url, {"text": "Falsch.", "dokumente": [str(fremdes.pk)]})
    assert refused.status_code == 400
    assert NachrichtAnlage.objects.for_tenant(welt.tenant).count() == 1


def test_an_app_sends_a_message_with_attachments_or_nothing(welt: Welt) -> None:
    vorgang = rf.vorgang(welt.akte, actor=welt.writer, title="Umzug")
    client = portal_factories.buerger_client(_konto(welt))
    url = f"/api/v1/portal/nachrichten/{vorgang.pk}/mit-anlagen"
    exe = SimpleUploadedFile("rechnung.exe", b"MZ\x90\x00" * 64)
    refused = client.post(url, {"text": "Hier die Rechnung.", "anlagen": [_png("gut.png"), exe]})
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "Programme und Skripte" in refused.json()["detail"]
    assert not Nachricht.objects.for_tenant(welt.tenant).exists()

    sent = client.post(url, {"text": "Anbei der Mietvertrag.", "anlagen": [_pdf("miete.pdf")]})

    assert sent.status_code == 201, sent.content.decode()[:2000]
    body = sent.json()
    assert body["richtung"] == "eingang" and body["text"] == "Anbei der Mietvertrag."
    assert [(a["name"], a["herunterladen"]) for a in body["anlagen"]] == [("miete.pdf", None)]
    _ablegen(welt)
    anlage = NachrichtAnlage.objects.for_tenant(welt.tenant).get()
    eingang = Eingangsdokument.objects.for_tenant(welt.tenant).get(pk=anlage.eingang_id)
    assert eingang.state == Eingangsdokument.State.ABGELEGT, eingang.reason
