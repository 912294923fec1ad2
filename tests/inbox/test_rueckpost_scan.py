"""End to end with a real scan: a koffer letter typeset by the Postausgang, its first
page rasterised (pdftoppm) with the Post's sticker „Empfänger unbekannt“ over the
address, delivered as a scan batch and run through the real pipeline (QR code read,
OCR in German): the letter is „unzustellbar“ with the reason, its caseworker has a
Wiedervorlage, the scan lies in the letter's Akte and Vorgang, once after reprocessing."""

from __future__ import annotations

import shutil

import pytest

from koffer.inbox.models import Eingangsdokument, Stapel
from koffer.inbox.verarbeitung import schritte, texterkennung
from koffer.inbox.verarbeitung.tasks import process_stapel
from koffer.outbox.models import Brief, BriefEreignis
from koffer.records.models import Dokument, Wiedervorlage
from koffer.tenancy.models import Mandant
from tests import factories
from tests.factories import records as record_factories
from tests.inbox import rueckpost as letters
from tests.inbox import scans
from tests.inbox.conftest import Deliver, checked
from tests.outbox.factories import released_letter

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(bool(texterkennung.availability()), reason="Texterkennung fehlt"),
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm fehlt"),
]


def test_a_scanned_returned_letter_marks_it_undeliverable(
    tenant: Mandant, deliver: Deliver
) -> None:
    team = factories.unit(tenant, "Leistungsteam 1")
    worker = factories.user(tenant, role="sachbearbeitung", unit_=team)
    akte = record_factories.akte(
        caseworker=worker,
        plan=record_factories.leistungsplan(tenant),
        unit=team,
        family_name="Beispiel",
        given_names="Erika",
    )
    vorgang = record_factories.vorgang(akte, actor=worker, title="Weiterbewilligung 2027")
    brief = released_letter(tenant, akte, actor=worker, vorgang=vorgang)
    letter = letters.koffer_letter(letters.code_of(brief))
    scan = letters.scanned_with_sticker(letter, ["Zurück – Retour", "Empfänger unbekannt"])
    files = {"0001.pdf": scan}

    stapel = process_stapel(stapel=checked(deliver(files, scans.manifest(files)).stapel))

    doc = Eingangsdokument.objects.for_tenant(tenant).get()
    assert doc.ocr_done and "Empfänger" in doc.text
    assert doc.antwortcode is not None and doc.antwortcode["letter_id"] == str(brief.pk)
    assert doc.state == Eingangsdokument.State.ABGELEGT
    assert doc.filed_rule == schritte.RUECKLAEUFER_RULE
    assert (doc.rueckpost_grund, doc.rueckpost_quelle) == ("Empfänger unbekannt", "vermerk")
    filed = Dokument.objects.for_tenant(tenant).get(pk=doc.dokument_id)
    assert (filed.akte_id, filed.vorgang_id) == (akte.pk, vorgang.pk)
    assert filed.direction == Dokument.Direction.INCOMING

    def once() -> None:
        brief.refresh_from_db()
        assert brief.status == Brief.Status.UNZUSTELLBAR
        assert brief.zustellung.unzustellbar_grund == "Empfänger unbekannt"
        [event] = BriefEreignis.objects.for_tenant(tenant).filter(brief=brief)
        assert event.dokument_id == filed.pk and event.detail == "Empfänger unbekannt"
        [wv] = Wiedervorlage.objects.for_tenant(tenant).filter(akte=akte)
        assert wv.assignee == worker and "unzustellbar" in wv.note

    once()
    process_stapel(stapel=Stapel.objects.for_tenant(tenant).get(pk=stapel.pk))
    once()
    assert Dokument.objects.for_tenant(tenant).filter(source=Dokument.Source.SCAN).count() == 1
