"""Returned mail (Rückläufer, issue 16 item 6): one of koffer's letters the Post brought
back is recognised in the Posteingang (the Lieferschein says so, the Post's sticker is
read, or the mail room marks it), filed into the letter's Akte, and the letter is
„unzustellbar“ with the reason, a Wiedervorlage for its caseworker and a link to the
scan, once however often the scan is processed. A reply carrying the same code is no
returned mail; a code of a letter that does not exist goes to triage.

The letters here are born digital (the Postausgang's real typesetting with the sticker
as text), so the real pipeline runs without OCR; ``test_rueckpost_scan`` scans one."""

from __future__ import annotations

import io
import json
import re
import uuid
from io import StringIO

import pikepdf
import pytest
from django.core.management import call_command
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.inbox.errors import Conflict, InboxError
from koffer.inbox.klaerung import services as klaerung
from koffer.inbox.lieferung import manifest
from koffer.inbox.models import Eingangsdokument, Stapel
from koffer.inbox.rueckpost import services as rueckpost
from koffer.inbox.verarbeitung import schritte
from koffer.inbox.verarbeitung.tasks import process_stapel
from koffer.outbox.models import Brief, BriefEreignis
from koffer.records.models import Akte, Dokument, Wiedervorlage
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests.conftest import signed_in
from tests.factories import records as record_factories
from tests.inbox import rueckpost as letters
from tests.inbox import scans
from tests.inbox.conftest import Deliver, checked
from tests.inbox.warteschlange import waiting
from tests.outbox.factories import released_letter

pytestmark = pytest.mark.django_db
State = Eingangsdokument.State
STICKER = ["Zurück", "Empfänger unbekannt"]


@pytest.fixture
def akte(tenant: Mandant, team: Organisationseinheit, team_caseworker: User) -> Akte:
    return record_factories.akte(
        caseworker=team_caseworker,
        plan=record_factories.leistungsplan(tenant),
        unit=team,
        family_name="Beispiel",
        given_names="Erika",
    )


@pytest.fixture
def brief(tenant: Mandant, akte: Akte, team_caseworker: User) -> Brief:
    letter = released_letter(tenant, akte, actor=team_caseworker)
    Brief.objects.for_tenant(tenant).filter(pk=letter.pk).update(status=Brief.Status.VERSENDET)
    letter.refresh_from_db()
    return letter


def _run(deliver: Deliver, files: dict[str, bytes], **note: object) -> Stapel:
    stapel = checked(deliver(files, scans.manifest(files, pages=_pages(files), **note)).stapel)
    return process_stapel(stapel=stapel)


def _pages(files: dict[str, bytes]) -> dict[str, int]:

    return {name: len(pikepdf.open(io.BytesIO(data)).pages) for name, data in files.items()}


def _returned(tenant: Mandant, brief: Brief, doc: Eingangsdokument, grund: str) -> None:
    """The letter is „unzustellbar“ for this scan, once, with its caseworker's desk."""
    brief.refresh_from_db()
    assert brief.status == Brief.Status.UNZUSTELLBAR
    assert brief.zustellung.unzustellbar_grund == grund
    [event] = BriefEreignis.objects.for_tenant(tenant).filter(brief=brief, dokument__isnull=False)
    assert event.key == f"posteingang:{doc.pk}" and event.dokument_id == doc.dokument_id
    assert event.status == Brief.Status.UNZUSTELLBAR and event.detail == grund
    [wv] = Wiedervorlage.objects.for_tenant(tenant).filter(akte=brief.akte)
    assert wv.assignee == brief.akte.caseworker and "unzustellbar" in wv.note
    assert AuditEvent.objects.filter(action="outbox.brief.ruecklaeufer").count() == 1
    assert AuditEvent.objects.filter(action="inbox.dokument.ruecklaeufer").count() == 1


def test_the_posts_sticker_marks_the_letter_undeliverable_once(
    tenant: Mandant, brief: Brief, deliver: Deliver, mail_room: User
) -> None:
    scan = letters.with_text(letters.koffer_letter(letters.code_of(brief)), STICKER)
    stapel = _run(deliver, {"0001.pdf": scan})

    doc = Eingangsdokument.objects.for_tenant(tenant).get()
    assert doc.state == State.ABGELEGT and doc.akte_id == brief.akte_id
    assert doc.filed_rule == schritte.RUECKLAEUFER_RULE
    assert (doc.rueckpost_grund, doc.rueckpost_quelle) == ("Empfänger unbekannt", "vermerk")
    filed = Dokument.objects.for_tenant(tenant).get(pk=doc.dokument_id)
    assert filed.direction == Dokument.Direction.INCOMING and filed.source == Dokument.Source.SCAN
    _returned(tenant, brief, doc, "Empfänger unbekannt")

    # The batch protocol says so (JSON, the batch's page with a way to the document).
    out = StringIO()
    call_command("inbox_report", str(stapel.pk), "--json", stdout=out)
    [reported] = json.loads(out.getvalue())["dokumente"]
    assert reported["rueckpost"] == {"grund": "Empfänger unbekannt", "quelle": "vermerk"}
    assert reported["rule"] == schritte.RUECKLAEUFER_RULE
    page = signed_in(mail_room).get(reverse("inbox:stapel_detail", args=[stapel.pk]))
    assert "(Rückläufer: Empfänger unbekannt)" in page.content.decode()
    assert reverse("inbox:klaerung_dokument", args=[doc.pk]) in page.content.decode()

    # Processed again (a worker restarted), the filing step repeated: nothing twice.
    process_stapel(stapel=Stapel.objects.for_tenant(tenant).get(pk=stapel.pk))
    rueckpost.record_filing(actor=None, doc=doc, dokument=filed, regeln=None)  # type: ignore[arg-type]
    _returned(tenant, brief, doc, "Empfänger unbekannt")
    assert Dokument.objects.for_tenant(tenant).filter(source=Dokument.Source.SCAN).count() == 1

    # The letter's pages say so, with the scan for whoever may read the Akte.
    page = (
        signed_in(brief.akte.caseworker)
        .get(reverse("outbox:brief_versand", args=[brief.pk]))
        .content.decode()
    )
    assert "unzustellbar zurück (Posteingang, 24.11.2026): Empfänger unbekannt" in page
    assert reverse("records:dokument", args=[filed.pk]) in page
    page = signed_in(brief.akte.caseworker).get(reverse("outbox:brief", args=[brief.pk]))
    assert "unzustellbar zurück (Posteingang, 24.11.2026)" in page.content.decode()


def test_a_reply_carrying_the_code_is_no_returned_mail(
    tenant: Mandant, brief: Brief, deliver: Deliver
) -> None:
    letter = letters.koffer_letter(letters.code_of(brief))
    reply = letters.with_text(
        letter,
        [
            "Mein früherer Vermieter hat die Annahme verweigert, deshalb schicke ich Ihnen",
            "die Unterlagen selbst. Er ist unbekannt verzogen und ich weiß nicht wohin.",
        ],
    )
    _run(deliver, {"0001.pdf": letter, "0002.pdf": reply})

    for doc in Eingangsdokument.objects.for_tenant(tenant):
        assert doc.state == State.ABGELEGT and doc.akte_id == brief.akte_id
        assert doc.filed_rule == "Antwortcode eines koffer-Schreibens"
        assert doc.rueckpost_grund == ""
    brief.refresh_from_db()
    assert brief.status == Brief.Status.VERSENDET
    assert not BriefEreignis.objects.for_tenant(tenant).filter(dokument__isnull=False).exists()
    notes = Wiedervorlage.objects.for_tenant(tenant).values_list("note", flat=True)
    assert len(notes) == 2 and all(n.startswith("Neuer Posteingang") for n in notes)


@pytest.mark.parametrize("marked_by", ["datei", "stapel"])
def test_the_lieferschein_marks_returned_mail(
    tenant: Mandant, brief: Brief, deliver: Deliver, marked_by: str
) -> None:
    letter = letters.koffer_letter(letters.code_of(brief))  # no sticker to read
    files = {"0001.pdf": letter}
    note = json.loads(scans.manifest(files, pages={"0001.pdf": 2}))
    if marked_by == "datei":
        note["dateien"][0]["rueckpost"] = True
    else:
        note["art"] = "rueckpost"
    stapel = checked(deliver(files, json.dumps(note).encode()).stapel)
    assert stapel.art == ("rueckpost" if marked_by == "stapel" else "post")
    assert stapel.dateien.get().rueckpost == (marked_by == "datei")
    process_stapel(stapel=stapel)

    doc = Eingangsdokument.objects.for_tenant(tenant).get()
    assert doc.state == State.ABGELEGT
    assert (doc.rueckpost_grund, doc.rueckpost_quelle) == (
        "Rückläufer laut Lieferschein",
        "lieferschein",
    )
    _returned(tenant, brief, doc, "Rückläufer laut Lieferschein")


def test_the_lieferschein_flag_is_checked() -> None:
    files = {"0001.pdf": scans.pdf()}
    note = json.loads(scans.manifest(files))
    note["dateien"][0]["rueckpost"] = "ja"
    with pytest.raises(
        InboxError, match=re.escape("„rueckpost“ von „0001.pdf“ muss true oder false")
    ):
        manifest.parse(json.dumps(note).encode())
    note["dateien"][0]["rueckpost"] = False
    note["art"] = "rueckpost"
    parsed = manifest.parse(json.dumps(note).encode())
    assert parsed.art == "rueckpost" and parsed.files[0].rueckpost is False


def test_a_code_of_a_letter_that_does_not_exist_waits_in_triage(
    tenant: Mandant, brief: Brief, deliver: Deliver
) -> None:
    code = letters.code_of(
        Brief(tenant_id=tenant.pk, akte_id=brief.akte_id, vorgang_id=None, pk=uuid.uuid4())
    )
    unknown = letters.with_text(letters.koffer_letter(code), STICKER)
    files = {"0001.pdf": unknown, "0002.pdf": scans.pdf()}
    note = json.loads(scans.manifest(files, pages={"0001.pdf": 2}))
    note["dateien"][1]["rueckpost"] = True  # returned, but no code to say which letter
    process_stapel(stapel=checked(deliver(files, json.dumps(note).encode()).stapel))

    first, second = Eingangsdokument.objects.for_tenant(tenant).order_by("datei__position")
    assert first.state == State.ZU_PRUEFEN and first.akte_id is None
    assert "Brief, den es hier nicht (mehr) gibt" in first.reason
    assert second.state == State.ZU_PRUEFEN and second.reason == schritte.NO_LETTER_CODE
    assert not Dokument.objects.for_tenant(tenant).filter(source=Dokument.Source.SCAN).exists()
    assert not BriefEreignis.objects.for_tenant(tenant).filter(dokument__isnull=False).exists()


def _in_triage(deliver: Deliver, brief: Brief | None, *, batch: str = "B-1") -> Eingangsdokument:
    """A scan waiting in triage whose reply code names ``brief`` (no sticker was read)."""
    code = (
        {
            "tenant_id": str(brief.tenant_id),
            "akte_id": str(brief.akte_id),
            "vorgang_id": None,
            "letter_id": str(brief.pk),
        }
        if brief
        else None
    )
    return waiting(
        deliver,
        ["Erika Beispiel", f"Scan {batch}"],
        batch=batch,
        text="Erika Beispiel",
        kind="sonstiges",
        antwortcode=code,
        reason="Die Akte war geschlossen.",
    )


def test_the_mail_room_marks_a_waiting_document_as_returned_mail(
    tenant: Mandant, brief: Brief, deliver: Deliver, mail_room: User
) -> None:
    doc = _in_triage(deliver, brief)
    client = signed_in(mail_room)
    url = reverse("inbox:rueckpost_markieren", args=[doc.pk])
    page = client.get(reverse("inbox:klaerung_dokument", args=[doc.pk])).content.decode()
    assert "Als Rückläufer erfassen" in page and url in page

    refused = client.post(url, {"rueckpost_grund": "  "}, follow=True).content.decode()
    assert "Bitte geben Sie den Grund der Post an" in refused
    client.post(url, {"rueckpost_grund": "Annahme verweigert"})

    doc.refresh_from_db()
    assert doc.state == State.ABGELEGT and doc.akte_id == brief.akte_id
    assert doc.filed_by == mail_room and doc.filed_rule == rueckpost.POSTSTELLE_RULE
    assert (doc.rueckpost_grund, doc.rueckpost_quelle) == ("Annahme verweigert", "poststelle")
    _returned(tenant, brief, doc, "Annahme verweigert")
    event = AuditEvent.objects.get(action="inbox.dokument.ruecklaeufer")
    assert event.changes["quelle"] == "poststelle"
    page = client.get(reverse("inbox:klaerung_dokument", args=[doc.pk])).content.decode()
    assert "Unzustellbar zurück: Annahme verweigert" in page
    assert "Als Rückläufer erfassen" not in page


def test_the_mail_room_marks_a_filed_document_once(
    tenant: Mandant, brief: Brief, deliver: Deliver, mail_room: User
) -> None:
    doc = _in_triage(deliver, brief)
    klaerung.accept(actor=mail_room, doc=doc, akte=brief.akte)  # filed as a reply
    doc.refresh_from_db()
    assert doc.state == State.ABGELEGT

    rueckpost.mark(actor=mail_room, doc=doc, grund=" Empfänger  verstorben ")
    doc.refresh_from_db()
    assert doc.rueckpost_grund == "Empfänger verstorben"
    brief.refresh_from_db()
    assert brief.status == Brief.Status.UNZUSTELLBAR
    [event] = BriefEreignis.objects.for_tenant(tenant).filter(dokument__isnull=False)
    assert event.dokument_id == doc.dokument_id and event.actor == mail_room
    with pytest.raises(Conflict, match="schon als Rückläufer erfasst"):
        rueckpost.mark(actor=mail_room, doc=doc, grund="Nicht abgeholt")
    assert BriefEreignis.objects.for_tenant(tenant).filter(dokument__isnull=False).count() == 1


def test_the_mail_room_cannot_mark_without_a_known_letter(
    tenant: Mandant, brief: Brief, deliver: Deliver, mail_room: User
) -> None:
    without = _in_triage(deliver, None)
    with pytest.raises(InboxError, match="kein Antwortcode eines koffer-Briefs"):
        rueckpost.mark(actor=mail_room, doc=without, grund="Empfänger unbekannt")
    unknown = _in_triage(deliver, brief, batch="B-2")
    unknown.antwortcode = {**unknown.antwortcode, "letter_id": str(uuid.uuid4())}  # type: ignore[dict-item]
    unknown.save()
    with pytest.raises(InboxError, match="den es hier nicht"):
        rueckpost.mark(actor=mail_room, doc=unknown, grund="Empfänger unbekannt")
    draft = released_letter(tenant, brief.akte, actor=brief.created_by)
    Brief.objects.for_tenant(tenant).filter(pk=draft.pk).update(status=Brief.Status.ENTWURF)
    unsent = _in_triage(deliver, draft, batch="B-3")
    with pytest.raises(InboxError, match="nie versandt"):
        rueckpost.mark(actor=mail_room, doc=unsent, grund="Empfänger unbekannt")
    for doc in (without, unknown, unsent):
        doc.refresh_from_db()
        assert doc.state == State.ZU_PRUEFEN and doc.rueckpost_grund == ""
