"""Triage changes a waiting document's pages: split it at a page, merge it with another
document of its file, turn a page. The new original is made at once (the page images show
the change), the text, identifiers, kind and suggestions are found again by the job
``inbox.neuerkennung`` (run here by the job runner); meanwhile the document „wird neu
erkannt“ and cannot be filed. Two screens never change one document twice; the second
person is told why. The API does the same, answers checked against docs/openapi.json.
Runs on PostgreSQL too (``python -m tests.pgserver -- pytest tests/inbox/test_klaerung_seiten.py``)."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pikepdf
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.errors import Conflict, DomainError
from koffer.inbox.klaerung import services
from koffer.inbox.models import Eingangsdokument, Protokolleintrag
from koffer.inbox.verarbeitung import schritte, seiten, texterkennung
from koffer.inbox.verarbeitung import services as pipeline
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.factories import records as record_factories
from tests.inbox import scans
from tests.inbox.conftest import Deliver
from tests.inbox.openapi import conforms

pytestmark = pytest.mark.django_db
State = Eingangsdokument.State
needs_ocr = pytest.mark.skipif(bool(texterkennung.availability()), reason="Texterkennung fehlt")


@pytest.fixture
def akte(tenant: Mandant) -> Akte:
    plan = record_factories.leistungsplan(tenant)
    team = factories.unit(tenant, "Leistungsteam 1")
    worker = factories.user(tenant, role="sachbearbeitung", unit_=team)
    return record_factories.akte(
        caseworker=worker, plan=plan, unit=team, family_name="Kowalski", given_names="Erika"
    )


def _letters(akte: Akte | None) -> list[Image.Image]:
    """Three scanned pages: a letter naming ``akte`` and a two-page advert."""
    reference = f"Aktenzeichen: {akte.aktenzeichen}" if akte else "ohne Aktenzeichen"
    return [
        scans.letter(["Erika Kowalski", "", reference, "", "Bitte um Rückruf wegen Miete."]),
        scans.letter(["Gartenmarkt Grünewald", "", "Sonderangebot Gartenmöbel"]),
        scans.letter(["Gartenmarkt Grünewald", "", "Seite zwei des Angebots"]),
    ]


def _stored(tenant_id: Any, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    documents.settle_blobs(documents.store_blobs(tenant_id=tenant_id, blobs=[(sha, data)]))
    return sha


def _waiting(
    deliver: Deliver, pages: list[Image.Image], parts: list[list[int]], *, batch: str = "B-1"
) -> list[Eingangsdokument]:
    """One delivered file of ``pages`` split into waiting documents of ``parts``."""
    data = scans.image_pdf(pages)
    files = {"0001.pdf": data}
    stapel = deliver(files, scans.manifest(files, batch_id=batch)).stapel
    now = timezone.now()
    found = []
    for teil, part in enumerate(parts):
        found.append(
            Eingangsdokument.objects.create(
                tenant_id=stapel.tenant_id,
                stapel=stapel,
                datei=stapel.dateien.get(),
                teil=teil,
                pages=part,
                first_page=part[0],
                state=State.ZU_PRUEFEN,
                original_sha256=_stored(stapel.tenant_id, seiten.extract_pdf(data, part)),
                text="alter Text",
                kind="sonstiges",
                codes=[{"page": p, "format": "QRCode", "text": f"code-{p}"} for p in part],
                reason="Keine passende Akte erkannt.",
                unit=stapel.unit,
                created_at=now,
                updated_at=now,
            )
        )
    return found


def _fresh(doc: Eingangsdokument) -> Eingangsdokument:
    return Eingangsdokument.objects.for_tenant(doc.tenant_id).get(pk=doc.pk)


def _rework(doc: Eingangsdokument) -> str:
    """Run the re-recognition job the document waits for, as a worker would."""
    job = Job.objects.for_tenant(doc.tenant_id).get(pk=_fresh(doc).rework_job_id)
    assert job.kind == services.REWORK_JOB_KIND
    return runner.execute(job.pk)


def _page_count(doc: Eingangsdokument) -> int:
    return seiten.page_count(pipeline.original_bytes(doc))


@needs_ocr
def test_split_makes_two_documents_recognised_again_by_the_job(
    tenant: Mandant, deliver: Deliver, akte: Akte, mail_room: User
) -> None:
    (doc,) = _waiting(deliver, _letters(akte), [[0, 1, 2]])
    with pytest.raises(DomainError) as invalid:
        services.split(actor=mail_room, doc=doc, page=1)
    assert invalid.value.code == "invalid_page"

    new = services.split(actor=mail_room, doc=doc, page=2)

    doc = _fresh(doc)
    assert (doc.pages, new.pages) == ([0], [1, 2])
    assert (doc.first_page, new.first_page) == (0, 1)
    assert new.datei_id == doc.datei_id and new.stapel_id == doc.stapel_id and new.teil == 1
    assert new.state == State.ZU_PRUEFEN and new.created_at == doc.created_at
    assert [c["page"] for c in doc.codes] == [0] and [c["page"] for c in new.codes] == [1, 2]
    assert (_page_count(doc), _page_count(new)) == (1, 2)  # new originals, made at once
    assert doc.rework_job_id is not None and doc.rework_job_id == new.rework_job_id
    assert doc.text == "" and doc.vorschlaege == []
    line = Protokolleintrag.objects.for_tenant(tenant).get(action="aufgeteilt")
    assert (
        line.actor == mail_room and "vor Seite 2 geteilt in Seite 1 und Seiten 2–3" in line.message
    )
    assert AuditEvent.objects.filter(action="inbox.dokument.split", object_id=str(doc.pk)).exists()

    # While the job has not run, nobody files it or changes it again.
    with pytest.raises(Conflict) as busy:
        services.accept(actor=mail_room, doc=doc, akte=akte)
    assert busy.value.code == "being_recognised"
    with pytest.raises(Conflict):
        services.split(actor=mail_room, doc=new, page=2)
    with pytest.raises(Conflict):
        services.mark_unassignable(actor=mail_room, doc=doc, reason="Werbung")

    assert _rework(doc) == "done"
    doc, new = _fresh(doc), _fresh(new)
    assert doc.rework_job_id is None and new.rework_job_id is None
    assert "Kowalski" in doc.text and "Gartenmarkt" in new.text
    assert doc.ocr_done and doc.searchable_sha256
    assert doc.vorschlaege and doc.vorschlaege[0]["akte_id"] == str(akte.pk)
    assert doc.state == State.ZU_PRUEFEN and doc.reason  # a person files it
    assert Protokolleintrag.objects.for_tenant(tenant).filter(action="neu_erkannt").count() == 2
    filed = services.accept(actor=mail_room, doc=doc, akte=akte)
    assert filed.state == State.ABGELEGT


@needs_ocr
def test_merge_keeps_the_other_document_as_merged_and_recognises_the_whole(
    tenant: Mandant, deliver: Deliver, mail_room: User
) -> None:
    first, second, third = _waiting(deliver, _letters(None), [[0], [1], [2]])
    with pytest.raises(DomainError):
        services.merge(actor=mail_room, doc=second, other=second)

    merged = services.merge(actor=mail_room, doc=third, other=second)  # the earlier one

    assert merged.pk == third.pk and merged.pages == [1, 2]  # the file's order
    assert _fresh(merged).first_page == 1
    assert [c["page"] for c in merged.codes] == [1, 2] and _page_count(merged) == 2
    gone = _fresh(second)
    assert gone.state == State.ZUSAMMENGEFUEHRT and gone.merged_into_id == third.pk
    assert gone.pages == [1] and gone.original_sha256  # kept, nothing deleted
    assert "Zusammengeführt mit" in gone.reason
    with pytest.raises(Conflict) as late:
        services.merge(actor=mail_room, doc=first, other=gone)
    assert "bereits mit einem anderen Dokument zusammengeführt" in late.value.message
    assert AuditEvent.objects.filter(action="inbox.dokument.merge").count() == 1

    assert _rework(merged) == "done"
    merged = _fresh(merged)
    assert merged.rework_job_id is None and "Angebot" in merged.text
    assert merged.text.count("\f") == 1  # two pages of text

    # The batch's protocol tells what became of both.
    out = io.StringIO()
    call_command("inbox_report", str(merged.stapel_id), "--json", stdout=out)
    report = json.loads(out.getvalue())
    rows = {d["id"]: d for d in report["dokumente"]}
    assert rows[str(second.pk)]["state"] == "zusammengefuehrt"
    assert rows[str(second.pk)]["merged_into"] == str(third.pk)
    assert rows[str(third.pk)]["seiten"] == [2, 3]
    actions = [line["action"] for line in report["protokoll"]]
    assert "zusammengefuehrt" in actions and "neu_erkannt" in actions


@needs_ocr
def test_a_turned_page_shows_turned_at_once_and_is_read_again(
    tenant: Mandant, deliver: Deliver, mail_room: User
) -> None:
    upside_down = scans.letter(
        ["Gartenmarkt Grünewald", "", "Sonderangebot für Gartenmöbel, nur diese Woche."],
        upside_down=True,
    )
    (doc,) = _waiting(deliver, [scans.letter(["Erika Kowalski"]), upside_down], [[0, 1]])
    client = signed_in(mail_room)
    before = client.get(reverse("inbox:klaerung_seite", args=[doc.pk, 2])).content
    with pytest.raises(DomainError) as invalid:
        services.turn(actor=mail_room, doc=doc, page=3, degrees=180)
    assert invalid.value.code == "invalid_page"

    turned = services.turn(actor=mail_room, doc=doc, page=2, degrees=180)

    assert turned.turns == {"1": 180}
    with pikepdf.open(io.BytesIO(pipeline.original_bytes(turned))) as pdf:
        assert int(pdf.pages[1].obj.get("/Rotate", 0)) == 180
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) == 0
    after = client.get(reverse("inbox:klaerung_seite", args=[doc.pk, 2])).content
    old_image = Image.open(io.BytesIO(before))
    new_image = Image.open(io.BytesIO(after))
    assert old_image.size == new_image.size
    assert old_image.transpose(Image.Transpose.ROTATE_180).tobytes() == new_image.tobytes()
    assert (
        Protokolleintrag.objects.for_tenant(tenant)
        .get(action="gedreht")
        .message.startswith("Seite 2: um 180° im Uhrzeigersinn gedreht")
    )

    assert _rework(turned) == "done"
    turned = _fresh(turned)
    assert "Gartenm" in turned.text and turned.rotated == []  # upright now: no turn by OCR
    # Turned back: the turn is gone from the record.
    services.turn(actor=mail_room, doc=turned, page=2, degrees=180)
    assert _fresh(turned).turns == {}


def test_two_screens_never_change_one_document_twice(
    tenant: Mandant, deliver: Deliver, mail_room: User, poststelle: Organisationseinheit
) -> None:
    (doc,) = _waiting(deliver, _letters(None), [[0, 1, 2]])
    colleague = factories.user(
        tenant, role="poststelle", unit_=poststelle, first_name="Jonas", last_name="Weber"
    )
    signed_in(mail_room).get(reverse("inbox:klaerung_dokument", args=[doc.pk]))  # opened
    with pytest.raises(Conflict) as refused:
        services.split(actor=colleague, doc=_fresh(doc), page=2)
    assert refused.value.code == "claimed_by_other"
    assert mail_room.get_full_name() in refused.value.message

    seen_by_both = _fresh(doc)
    services.split(actor=mail_room, doc=seen_by_both, page=3)
    with pytest.raises(Conflict) as again:
        services.split(actor=mail_room, doc=seen_by_both, page=2)
    assert again.value.code == "being_recognised"
    assert Eingangsdokument.objects.for_tenant(tenant).count() == 2
    # The job superseded by a later change writes nothing.
    job_id = _fresh(doc).rework_job_id
    Eingangsdokument.objects.for_tenant(tenant).update(rework_job_id=None)
    services.turn(actor=mail_room, doc=_fresh(doc), page=1, degrees=90)
    assert runner.execute(job_id) == "done"
    assert _fresh(doc).rework_job_id is not None and _fresh(doc).text == ""


def test_the_page_offers_split_merge_and_turn_by_keyboard(
    tenant: Mandant, deliver: Deliver, mail_room: User
) -> None:
    doc, other = _waiting(deliver, _letters(None), [[0, 1], [2]])
    client = signed_in(mail_room)
    page = client.get(reverse("inbox:klaerung_dokument", args=[doc.pk])).content.decode()
    for text in ("Dokument teilen", "Taste X", "Zusammenführen", "Taste Z", "Seite drehen"):
        assert text in page
    assert 'data-shortcut-focus="x"' in page and 'data-shortcut-focus="d"' in page
    assert "Seite 3 (das folgende)" in page
    keys = [line.split("<dt>")[1][0] for line in page.split("\n") if "<dt>" in line]
    assert len(keys) == len(set(keys)) and {"X", "Z", "D"} <= set(keys)

    wrong = client.post(
        reverse("inbox:klaerung_teilen", args=[doc.pk]), {"seite": "7"}, follow=True
    ).content.decode()
    assert "nur vor einer Seite von 2 bis 2 teilen" in wrong
    done = client.post(reverse("inbox:klaerung_teilen", args=[doc.pk]), {"seite": "2"})
    assert done.status_code == 302
    assert done["Location"] == reverse("inbox:klaerung_dokument", args=[doc.pk])
    shown = client.get(done["Location"]).content.decode()
    assert "Dieses Dokument wird neu erkannt" in shown and 'id="teilen-titel"' not in shown
    refused = client.post(
        reverse("inbox:klaerung_ablegen", args=[doc.pk]), {"akte": str(doc.pk)}, follow=True
    ).content.decode()
    assert "Bitte wählen Sie eine Akte" in refused  # an unknown Akte: nothing filed
    listing = client.get(reverse("inbox:klaerung")).content.decode()
    assert "wird neu erkannt" in listing

    Eingangsdokument.objects.for_tenant(tenant).update(rework_job_id=None)
    turned = client.post(
        reverse("inbox:klaerung_drehen", args=[other.pk]), {"seite": "1", "grad": "90"}
    )
    assert turned.status_code == 302 and _fresh(other).turns == {"2": 90}
    Eingangsdokument.objects.for_tenant(tenant).update(rework_job_id=None)
    merged = client.post(
        reverse("inbox:klaerung_zusammenfuehren", args=[doc.pk]), {"mit": str(other.pk)}
    )
    assert merged.status_code == 302
    assert _fresh(other).state == State.ZUSAMMENGEFUEHRT and _fresh(doc).pages == [0, 2]
    gone = client.get(reverse("inbox:klaerung_dokument", args=[other.pk])).content.decode()
    assert "zusammengeführt mit" in gone
    assert reverse("inbox:klaerung_dokument", args=[doc.pk]) in gone


def test_api_splits_turns_and_merges_with_problems_for_the_rest(
    tenant: Mandant, deliver: Deliver, mail_room: User, poststelle: Organisationseinheit
) -> None:
    doc, other = _waiting(deliver, _letters(None), [[0, 1], [2]])
    client = signed_in(mail_room)
    base = "/api/v1/posteingang/dokumente/{eingang_id}/"

    def post(action: str, eingang: Any, body: dict[str, Any]) -> tuple[int, Any]:
        response = client.post(
            f"/api/v1/posteingang/dokumente/{eingang.pk}/{action}",
            body,
            content_type="application/json",
        )
        return response.status_code, conforms(response, base + action, "post")

    status, body = post("teilen", doc, {"seite": 3})
    assert status == 422 and body["code"] == "invalid_page"
    status, body = post("drehen", doc, {"seite": 1, "grad": 45})
    assert status == 422
    status, body = post("teilen", doc, {"seite": 2})
    assert status == 200, body
    assert body["dokument"]["seiten"] == [1] and body["abgetrennt"]["seiten"] == [2]
    assert body["dokument"]["wird_neu_erkannt"] and body["abgetrennt"]["wird_neu_erkannt"]
    status, body = post("teilen", doc, {"seite": 2})
    assert status == 409 and body["code"] == "being_recognised"

    Eingangsdokument.objects.for_tenant(tenant).update(rework_job_id=None)
    status, body = post("drehen", other, {"seite": 1, "grad": 270})
    assert status == 200 and body["drehungen"] == {"3": 270}

    Eingangsdokument.objects.for_tenant(tenant).update(rework_job_id=None)
    colleague = factories.user(tenant, role="poststelle", unit_=poststelle)
    signed_in(colleague).get(reverse("inbox:klaerung_dokument", args=[other.pk]))
    status, body = post("zusammenfuehren", doc, {"eingang_id": str(other.pk)})
    assert status == 409 and body["code"] == "claimed_by_other"
    Eingangsdokument.objects.for_tenant(tenant).update(claimed_by=None, claimed_at=None)
    status, body = post("zusammenfuehren", doc, {"eingang_id": str(other.pk)})
    assert status == 200 and body["seiten"] == [1, 3]
    status, body = post("zusammenfuehren", other, {"eingang_id": str(doc.pk)})
    assert status == 409 and body["code"] == "already_filed"


def test_seiten_join_copies_pages_in_order() -> None:
    one, two = scans.pdf(1), scans.pdf(2)
    turned = seiten.rotate(two, {1: 90})
    joined = seiten.join([one, turned])
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        assert len(pdf.pages) == 3 and int(pdf.pages[2].obj.get("/Rotate", 0)) == 90
    with pytest.raises(IndexError):
        seiten.join([])


def test_a_document_the_job_cannot_read_is_freed_with_the_reason(
    tenant: Mandant, deliver: Deliver, mail_room: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    (doc,) = _waiting(deliver, _letters(None), [[0, 1]])
    services.turn(actor=mail_room, doc=doc, page=1, degrees=90)

    def unreadable(original: bytes, *, jobs: int = 1) -> None:
        raise seiten.ScanUnreadable("Seite 1 des PDF ist beschädigt.")

    monkeypatch.setattr(schritte, "read_text", unreadable)
    assert _rework(doc) == "done"
    doc = _fresh(doc)
    assert doc.rework_job_id is None and doc.reason == pipeline.REWORK_FAILED
    assert doc.turns == {"0": 90}  # the turn stays
