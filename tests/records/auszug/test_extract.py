"""Aktenauszug: a real extract of an Akte with a PDF, an image, a text, an Office file
without PDF rendering and cancelled documents; sheet numbers on every page, contents,
bookmarks, PDF/A metadata; the job resumes without repeating steps; pages and audit."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest
from django.test import Client, override_settings

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.jobs import runner
from koffer.jobs import services as jobs
from koffer.jobs.models import Job, JobStep
from koffer.pdf import pdfa
from koffer.records.auszug import pdf as extract_pdf
from koffer.records.auszug import services as extract
from koffer.records.dokumente import blob_ledger, naming
from koffer.records.dokumente import services as documents
from koffer.records.errors import RecordsError
from koffer.records.models import Akte, Aktenauszug, Dokument, PendingBlob, Vorgang
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import docx_bytes, png_bytes, stored, text_pdf

PURPOSE = "Aktenauszug für das Sozialgericht Musterstadt, Az. S 12 SB 345/26"


@pytest.fixture(autouse=True)
def _no_ghostscript(settings: Any) -> None:
    """The sample PDFs use Helvetica without embedding it; without Ghostscript (on every
    machine alike) an extract with them is a plain PDF that says why
    (tests/pdf/test_pdfa.py converts them with a stand-in)."""
    settings.KOFFER_GHOSTSCRIPT = ""


@pytest.fixture
def filled(
    akte: Akte, team_caseworker: User, vorgang: Vorgang, other_vorgang: Vorgang
) -> dict[str, Dokument]:
    """An Akte with: a 3-page PDF (Antrag), a PNG scan, a text note, a cancelled PDF, and
    a Word file without PDF rendering (no LibreOffice)."""
    cw = team_caseworker
    docs = {
        "antrag": stored(
            akte,
            cw,
            "antrag.pdf",
            text_pdf(3, marker="Antrag"),
            meta=documents.DocumentMeta(
                title="Antrag", kind="Antrag", received_on=date(2026, 1, 5)
            ),
            vorgang=vorgang,
        ),
        "scan": stored(
            akte,
            cw,
            "befund.png",
            png_bytes(),
            meta=documents.DocumentMeta(
                title="Befundbericht", kind="Nachweis", received_on=date(2026, 1, 10)
            ),
            vorgang=vorgang,
        ),
        "vermerk": stored(
            akte,
            cw,
            "vermerk.txt",
            b"Telefonvermerk: Frau Beispiel ruft an.\nZweite Zeile mit #set und $x$.",
            meta=documents.DocumentMeta(
                title="Telefonvermerk", kind="Vermerk", received_on=date(2026, 1, 12)
            ),
        ),
        "storno": stored(
            akte,
            cw,
            "falsch.pdf",
            text_pdf(2, marker="Falsch"),
            meta=documents.DocumentMeta(
                title="Bescheid falsch", kind="Bescheid", received_on=date(2026, 1, 15)
            ),
            vorgang=other_vorgang,
        ),
    }
    with override_settings(KOFFER_SOFFICE=""):
        docs["word"] = stored(
            akte,
            cw,
            "gutachten.docx",
            docx_bytes(),
            meta=documents.DocumentMeta(
                title="Gutachten", kind="Gutachten", received_on=date(2026, 1, 20)
            ),
            vorgang=other_vorgang,
        )
    documents.cancel_dokument(actor=cw, dokument=docs["storno"], reason="Falsche Adresse")
    return docs


def _order(capture: Callable[..., Any], actor: User, akte: Akte, **selection: Any) -> Aktenauszug:
    with capture(execute=True):
        auszug = extract.create_auszug(
            actor=actor, akte=akte, auswahl=extract.Auswahl(**selection), purpose=PURPOSE
        )
    auszug.refresh_from_db()
    return auszug


def _pdf(auszug: Aktenauszug) -> bytes:
    with get_store().open(auszug.sha256) as stream:
        return stream.read()


def _page_texts(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    try:
        texts = []
        for index in range(len(doc)):
            page = doc[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            # Every page renders.
            bitmap = page.render(scale=0.3)
            assert bitmap.to_pil().size[0] > 0
            textpage.close()
            page.close()
        return texts
    finally:
        doc.close()


def test_whole_akte_extract(
    akte: Akte,
    team_caseworker: User,
    filled: dict[str, Dokument],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    auszug = _order(django_capture_on_commit_callbacks, team_caseworker, akte, ganze_akte=True)
    assert auszug.status == Aktenauszug.Status.DONE, auszug.error
    assert auszug.job is not None and auszug.job.status == Job.Status.DONE
    # Antrag 3 + scan 1 + text 1; the Word file is named with its reason; no cancelled one.
    assert auszug.sheet_count == 5 and auszug.document_count == 3
    titles = [e["title"] for e in auszug.contents]
    assert titles == ["Antrag", "Befundbericht", "Telefonvermerk", "Gutachten"]
    sheets = [e["sheets"] for e in auszug.contents]
    assert sheets == ["Bl. 1–3", "Bl. 4", "Bl. 5", ""]
    assert "Office-Dokument ohne PDF-Fassung" in auszug.contents[3]["reason"]
    assert auszug.job.needs_attention  # one document could not be included

    data = _pdf(auszug)
    texts = _page_texts(data)
    front = auszug.page_count - auszug.sheet_count
    assert front == 2 and len(texts) == auszug.page_count
    cover, contents = texts[0], texts[1]
    assert "Aktenauszug" in cover and PURPOSE in cover
    assert akte.aktenzeichen in cover and "Beispiel, Anna" in cover
    assert "5 Blatt" in cover
    for title in ("Antrag", "Befundbericht", "Telefonvermerk", "Gutachten"):
        assert title in contents
    assert "Bl. 1–3" in contents and "Nicht enthalten" in contents
    for sheet, text in enumerate(texts[front:], start=1):
        assert f"Bl. {sheet}" in text, (sheet, text[:200])
        assert akte.aktenzeichen in text
        assert "STORNIERT" not in text
    assert "Antrag Seite 2" in texts[front + 1]  # the document's own content is there
    assert "Telefonvermerk: Frau Beispiel" in texts[front + 4]
    assert "#set und $x$" in texts[front + 4]  # text is printed as written, not as markup

    with pikepdf.open(io.BytesIO(data)) as pdf:
        with pdf.open_outline() as outline:
            marks = [(item.title, item.destination) for item in outline.root]
        assert [m[0] for m in marks] == [
            "Deckblatt",
            "Inhaltsverzeichnis",
            "Bl. 1–3: Antrag",
            "Bl. 4: Befundbericht",
            "Bl. 5: Telefonvermerk",
        ]
        with pdf.open_metadata() as meta:
            # The Antrag's Helvetica is not embedded: no PDF/A claim, and the cover says why.
            assert meta.pdfa_status == ""
            assert meta["dc:title"] == f"Aktenauszug {akte.aktenzeichen}"
        assert "/OutputIntents" in pdf.Root
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
        assert "/PageLabels" in pdf.Root
    assert auszug.pdfa == Aktenauszug.Pdfa.NONE
    assert "kein PDF/A" in cover and "„Antrag“" in cover and "Helvetica" in cover
    assert "Ghostscript" in cover

    events = AuditEvent.objects.filter(tenant_id=akte.tenant_id, object_id=str(auszug.pk))
    actions = list(events.order_by("seq").values_list("action", flat=True))
    assert actions == ["records.aktenauszug.create", "records.aktenauszug.done"]


def test_extract_of_conforming_documents_claims_pdfa_and_passes_the_check(
    akte: Akte,
    team_caseworker: User,
    filled: dict[str, Dokument],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """A scan and a text note become pages koffer wrote itself: the extract is PDF/A-2b,
    and koffer's own check of the finished file agrees."""
    chosen = [filled["scan"].pk, filled["vermerk"].pk]
    auszug = _order(django_capture_on_commit_callbacks, team_caseworker, akte, dokument_ids=chosen)
    assert auszug.status == Aktenauszug.Status.DONE, auszug.error
    assert auszug.pdfa == Aktenauszug.Pdfa.BEST_EFFORT  # no veraPDF here
    data = _pdf(auszug)
    report = pdfa.check(data)
    assert report.ok and (report.part, report.conformance) == (2, "B"), report.summary()
    assert "PDF/A-2b" in _page_texts(data)[0]


def test_cancelled_document_only_when_chosen(
    akte: Akte,
    team_caseworker: User,
    filled: dict[str, Dokument],
    vorgang: Vorgang,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    storno = filled["storno"]
    auszug = _order(
        django_capture_on_commit_callbacks,
        team_caseworker,
        akte,
        vorgang_ids=[vorgang.pk],
        dokument_ids=[storno.pk],
    )
    assert [e["title"] for e in auszug.contents] == ["Antrag", "Befundbericht", "Bescheid falsch"]
    assert [e["cancelled"] for e in auszug.contents] == [False, False, True]
    assert auszug.sheet_count == 6
    texts = _page_texts(_pdf(auszug))
    assert "STORNIERT" in texts[1]  # contents
    assert "Storniert: Falsche Adresse" in texts[1]
    front = auszug.page_count - auszug.sheet_count
    sheets = texts[front:]
    assert all("STORNIERT" not in t for t in sheets[:4])
    assert all("STORNIERT" in t for t in sheets[4:])
    assert "Falsch Seite 1" in sheets[4]


def test_selection_is_checked(
    akte: Akte, team_caseworker: User, filled: dict[str, Dokument], tenant, plan, team
) -> None:  # type: ignore[no-untyped-def]
    from koffer.records import services

    with pytest.raises(RecordsError) as empty:
        extract.create_auszug(
            actor=team_caseworker, akte=akte, auswahl=extract.Auswahl(), purpose=PURPOSE
        )
    assert empty.value.code == "selection_empty"
    with pytest.raises(RecordsError) as no_purpose:
        extract.create_auszug(
            actor=team_caseworker,
            akte=akte,
            auswahl=extract.Auswahl(ganze_akte=True),
            purpose="   ",
        )
    assert no_purpose.value.code == "purpose_required"
    other = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="Andere"
    )
    with pytest.raises(RecordsError) as foreign:
        extract.create_auszug(
            actor=team_caseworker,
            akte=other,
            auswahl=extract.Auswahl(dokument_ids=[filled["antrag"].pk]),
            purpose=PURPOSE,
        )
    assert foreign.value.code == "dokument_foreign"
    assert not Aktenauszug.objects.for_tenant(akte.tenant_id).exists()


def test_pinned_versions(
    akte: Akte,
    team_caseworker: User,
    filled: dict[str, Dokument],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """A version uploaded after ordering does not change what the extract contains."""
    antrag = filled["antrag"]
    auszug = extract.create_auszug(
        actor=team_caseworker,
        akte=akte,
        auswahl=extract.Auswahl(dokument_ids=[antrag.pk]),
        purpose=PURPOSE,
    )
    result = documents.add_version(
        actor=team_caseworker,
        dokument=antrag,
        file=naming.IncomingFile.from_bytes("neu.pdf", text_pdf(7, marker="Neu")),
    )
    assert result.ok
    assert auszug.job is not None
    runner.execute(auszug.job.pk)
    auszug.refresh_from_db()
    assert auszug.sheet_count == 3


class Counting:
    """Wraps extract.prepare: counts calls per version, can ask the worker to stop."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.stop_after: int | None = None
        self.original = extract.prepare

    def __call__(self, version: Any, heading: str = "") -> dict[str, Any]:
        self.calls.append(str(version.pk))
        result = self.original(version, heading)
        if self.stop_after is not None and len(self.calls) == self.stop_after:
            runner.request_stop()
        return result


def test_restarted_job_does_not_repeat_steps(
    akte: Akte,
    team_caseworker: User,
    filled: dict[str, Dokument],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = Counting()
    counting.stop_after = 2
    monkeypatch.setattr(extract, "prepare", counting)
    auszug = extract.create_auszug(
        actor=team_caseworker,
        akte=akte,
        auswahl=extract.Auswahl(ganze_akte=True),
        purpose=PURPOSE,
    )
    assert auszug.job is not None
    try:
        assert runner.execute(auszug.job.pk) == "interrupted"
    finally:
        runner.clear_stop()
    job = Job.objects.for_tenant(akte.tenant_id).get(pk=auszug.job.pk)
    assert job.status == Job.Status.WAITING
    assert len(counting.calls) == 2
    auszug.refresh_from_db()
    assert auszug.status == Aktenauszug.Status.BUILDING

    # The PDF step fails once: the job fails, the extract says so; then a retry.
    real_assemble = extract_pdf.assemble
    failures = {"left": 1}

    def flaky_assemble(*args: Any, **kwargs: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise extract_pdf.Unusable("Platte voll")
        return real_assemble(*args, **kwargs)

    monkeypatch.setattr(extract_pdf, "assemble", flaky_assemble)
    assert runner.execute(job.pk) == "failed"
    auszug.refresh_from_db()
    assert auszug.status == Aktenauszug.Status.FAILED and auszug.error
    assert len(counting.calls) == 4  # the two remaining documents, once each

    jobs.retry_job(actor=team_caseworker, job=job)
    assert runner.execute(job.pk) == "done"
    auszug.refresh_from_db()
    assert auszug.status == Aktenauszug.Status.DONE and auszug.sheet_count == 5
    assert len(counting.calls) == 4 and len(set(counting.calls)) == 4
    keys = list(
        JobStep.objects.for_tenant(akte.tenant_id).filter(job=job).values_list("key", flat=True)
    )
    assert len(keys) == len(set(keys)) == 4 + 2  # four documents, pdf, abschluss
    done_events = AuditEvent.objects.filter(
        tenant_id=akte.tenant_id, action="records.aktenauszug.done"
    )
    assert done_events.count() == 1


def test_pages_create_follow_and_download(
    akte: Akte,
    team_caseworker: User,
    filled: dict[str, Dokument],
    vorgang: Vorgang,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = signed_in(team_caseworker)
    page = client.get(f"/akten/{akte.pk}/auszuege/neu/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Alle auswählen" in body and "Vorgang: Antrag auf Leistungen" in body
    assert "Bescheid falsch" in body and "storniert" in body
    assert f'value="{filled["storno"].pk}" id="dok-{filled["storno"].pk}" aria-describedby' in body
    # The cancelled document is offered but not ticked.
    assert (
        f'id="dok-{filled["storno"].pk}" aria-describedby="dok-{filled["storno"].pk}-hint" data-storniert>'
        in body
    )

    missing = client.post(f"/akten/{akte.pk}/auszuege/neu/", {"purpose": PURPOSE})
    assert missing.status_code == 400
    assert "Bitte wählen Sie die ganze Akte" in missing.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/akten/{akte.pk}/auszuege/neu/",
            {"purpose": PURPOSE, "vorgaenge": [str(vorgang.pk)]},
        )
    assert response.status_code == 302
    auszug = Aktenauszug.objects.for_tenant(akte.tenant_id).get()
    assert response["Location"] == f"/auszuege/{auszug.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "PDF herunterladen" in detail and "kein PDF/A" in detail
    assert "Bl. 1–3" in detail and "Befundbericht" in detail
    live = client.get(f"/auszuege/{auszug.pk}/stand/")
    assert live.status_code == 286  # finished: htmx stops polling

    download = client.get(f"/auszuege/{auszug.pk}/pdf/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert "Aktenauszug-" in download["Content-Disposition"]
    reads = AuditEvent.objects.filter(
        tenant_id=akte.tenant_id, action="read", object_id=str(auszug.pk)
    ).order_by("seq")
    assert [(r.actor_id, r.reason) for r in reads] == [
        (team_caseworker.pk, "Aktenauszug angesehen"),
        (team_caseworker.pk, "Aktenauszug heruntergeladen"),
    ]
    assert reads[0].subject_type == "records.person"

    akte_page = client.get(f"/akten/{akte.pk}/").content.decode()
    assert "Aktenauszug erstellen" in akte_page and PURPOSE in akte_page
    listing = client.get(f"/akten/{akte.pk}/auszuege/").content.decode()
    assert PURPOSE in listing and "Herunterladen" in listing


def test_other_team_sees_nothing(
    akte: Akte,
    team_caseworker: User,
    filled: dict[str, Dokument],
    tenant,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # type: ignore[no-untyped-def]
    from tests import factories

    auszug = _order(django_capture_on_commit_callbacks, team_caseworker, akte, ganze_akte=True)
    outsider = factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant, "X"))
    other = signed_in(outsider)
    assert other.get(f"/auszuege/{auszug.pk}/").status_code == 404
    assert other.get(f"/auszuege/{auszug.pk}/pdf/").status_code == 404
    assert other.get(f"/akten/{akte.pk}/auszuege/neu/").status_code == 404
    assert other.post(f"/auszuege/{auszug.pk}/einsicht/", {"recipient": "x"}).status_code == 404


def test_not_ready_download_is_409(
    akte: Akte, team_caseworker: User, filled: dict[str, Dokument]
) -> None:
    auszug = extract.create_auszug(
        actor=team_caseworker,
        akte=akte,
        auswahl=extract.Auswahl(ganze_akte=True),
        purpose=PURPOSE,
    )
    client: Client = signed_in(team_caseworker)
    response = client.get(f"/auszuege/{auszug.pk}/pdf/")
    assert response.status_code == 409
    assert "noch nicht fertig" in response.content.decode()
    live = client.get(f"/auszuege/{auszug.pk}/stand/")
    assert live.status_code == 200 and "Fortschritt" in live.content.decode()


def test_failed_extract_is_retried_from_its_page(
    akte: Akte,
    team_caseworker: User,
    filled: dict[str, Dokument],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
    tenant,
    team,
) -> None:  # type: ignore[no-untyped-def]
    from tests import factories

    real_assemble = extract_pdf.assemble

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise extract_pdf.Unusable("Die Seitenzahl von „Antrag“ hat sich geändert.")

    monkeypatch.setattr(extract_pdf, "assemble", broken)
    auszug = _order(django_capture_on_commit_callbacks, team_caseworker, akte, ganze_akte=True)
    assert auszug.status == Aktenauszug.Status.FAILED
    assert auszug.error == "Die Seitenzahl von „Antrag“ hat sich geändert."
    # A colleague of the same team (who did not order it) sees the error and retries.
    colleague = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=team))
    page = colleague.get(f"/auszuege/{auszug.pk}/").content.decode()
    assert "hat sich geändert" in page and "Erneut versuchen" in page
    monkeypatch.setattr(extract_pdf, "assemble", real_assemble)
    with django_capture_on_commit_callbacks(execute=True):
        response = colleague.post(f"/auszuege/{auszug.pk}/wiederholen/")
    assert response.status_code == 302
    auszug.refresh_from_db()
    assert auszug.status == Aktenauszug.Status.DONE and auszug.sheet_count == 5
    again = colleague.post(f"/auszuege/{auszug.pk}/wiederholen/", follow=True)
    assert "Nur ein fehlgeschlagener Aktenauszug" in again.content.decode()


def test_the_pdf_is_announced_in_the_blob_ledger_until_the_extract_row_points_to_it(
    akte: Akte,
    team_caseworker: User,
    filled: dict[str, Dokument],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # A finished extract leaves no mark behind.
    done = _order(django_capture_on_commit_callbacks, team_caseworker, akte, ganze_akte=True)
    assert done.status == Aktenauszug.Status.DONE
    assert not PendingBlob.objects.unscoped().filter(sha256=done.sha256).exists()

    # The last step fails after the PDF was stored: the PDF stays announced ...
    real_finish = extract._finish
    monkeypatch.setattr(extract, "_finish", _raises(RuntimeError("Datenbank weg")))
    auszug = extract.create_auszug(
        actor=team_caseworker,
        akte=akte,
        auswahl=extract.Auswahl(dokument_ids=[filled["antrag"].pk]),
        purpose=PURPOSE,
    )
    assert auszug.job is not None
    assert runner.execute(auszug.job.pk) == "failed"
    [mark] = PendingBlob.objects.unscoped().filter(tenant_id=akte.tenant_id)
    assert get_store().exists(mark.sha256)
    # ... so the collector removes it once the job has lain unfinished for too long,
    assert blob_ledger.collect(older_than=timedelta(0)).removed == [mark.sha256]
    assert not get_store().exists(mark.sha256)
    # and a retry after that says so in German instead of pointing the extract at nothing.
    monkeypatch.setattr(extract, "_finish", real_finish)
    job = Job.objects.for_tenant(akte.tenant_id).get(pk=auszug.job.pk)
    jobs.retry_job(actor=team_caseworker, job=job)
    assert runner.execute(job.pk) == "failed"
    job.refresh_from_db()
    auszug.refresh_from_db()
    assert "fehlt im Dokumentenspeicher" in job.error
    assert auszug.status == Aktenauszug.Status.FAILED and not auszug.sha256


def _raises(error: Exception) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    return fail
