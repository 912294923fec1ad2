"""The ingest pipeline and the document services: each step alone, then the whole chain
with real files, bad input, versions, move and cancel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import override_settings

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.audit.reasons import ReasonError
from koffer.blobs.store import get_store
from koffer.records import selectors
from koffer.records.dokumente import content, detect, inspection, limits, naming
from koffer.records.dokumente import services as documents
from koffer.records.errors import DocumentRejected, RecordsError
from koffer.records.models import (
    Akte,
    AkteSubjekt,
    Dokument,
    DokumentVersion,
    Vorgang,
    VorgangSchritt,
)
from koffer.records.suche import services as search
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import (
    docx_bytes,
    incoming,
    jpeg_bytes,
    odt_bytes,
    pdf_bytes,
    png_bytes,
    scan_pdf,
    stored,
    text_pdf,
    tiff_bytes,
)

HAS_SOFFICE = shutil.which("soffice") is not None


def _docs(akte: Akte) -> int:
    return Dokument.objects.for_tenant(akte.tenant_id).filter(akte=akte).count()


def _events(akte: Akte, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(tenant_id=akte.tenant_id, action=action).order_by("seq"))


# --- Single steps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system.ini", "system.ini"),
        ("C:\\Users\\erika\\Antrag.pdf", "Antrag.pdf"),
        ("Rechnung\u202efdp.exe", "Rechnungfdp.exe"),  # right-to-left override removed
        ("Brief\x00\x07\n.pdf", "Brief.pdf"),
        ("..", "Dokument"),
        ("", "Dokument"),
        ("/", "Dokument"),
        (".htaccess", "htaccess"),
    ],
)
def test_clean_filename_keeps_only_a_harmless_base_name(raw: str, clean: str) -> None:
    assert naming.clean_filename(raw) == clean


def test_clean_filename_shortens_long_names_but_keeps_the_extension() -> None:
    name = naming.clean_filename("a" * 400 + ".pdf")
    assert len(name) <= 200
    assert name.endswith(".pdf")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (text_pdf(1), "pdf"),
        (png_bytes(), "png"),
        (jpeg_bytes(), "jpeg"),
        (tiff_bytes(2), "tiff"),
        (docx_bytes(), "docx"),
        (odt_bytes(), "odt"),
        ("Grüße aus Prüfstadt\n".encode(), "text"),
        ("Grüße aus Prüfstadt\n".encode("cp1252"), "text"),
    ],
)
def test_the_content_decides_the_type(data: bytes, code: str) -> None:
    assert detect.detect_type(data).code == code


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"MZ\x90\x00\x03" + b"\x00" * 100, "Programme"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "Programme"),
        (b"\x00\x01\x02\x03\x04binary\x00\x00", "nicht angenommen"),
    ],
)
def test_unsupported_content_is_refused(data: bytes, fragment: str) -> None:
    with pytest.raises(DocumentRejected) as exc:
        detect.detect_type(data)
    assert fragment in exc.value.message


def test_a_plain_zip_archive_is_refused_with_advice() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", "x")
    with pytest.raises(DocumentRejected) as exc:
        detect.detect_type(out.getvalue())
    assert "entpacken" in exc.value.message


def test_cp1252_text_is_decoded() -> None:
    assert detect.decode_text("Maßnahme für Jürgen".encode("cp1252")) == "Maßnahme für Jürgen"
    assert detect.decode_text("Maßnahme".encode()) == "Maßnahme"


def test_name_follows_the_content_and_says_so() -> None:
    name, notes = naming.name_for_type("Antrag.docx", detect.TYPES["pdf"])
    assert name == "Antrag.pdf"
    assert ".docx" in notes[0] and "PDF" in notes[0]
    assert naming.name_for_type("scan.JPG", detect.TYPES["jpeg"]) == ("scan.JPG", [])
    assert naming.name_for_type("ohne_endung", detect.TYPES["png"]) == ("ohne_endung.png", [])


def test_pdf_inspection_reads_pages_and_text(tmp_path: Path) -> None:
    facts = inspection.pdf_facts(
        text_pdf(3, marker="Kennwort4711"),
        inspection.Bounds(text_pages=None),
        str(tmp_path / "entschluesselt.pdf"),
    )
    assert facts["page_count"] == 3
    assert "Kennwort4711" in "\n".join(facts["texts"])
    assert facts["text_complete"]


# --- The whole chain ---------------------------------------------------------------------------


def test_text_pdf_is_stored_with_text_version_and_audit(
    akte: Akte, team_caseworker: User, vorgang: Vorgang, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexed: list[DokumentVersion] = []
    monkeypatch.setattr(search, "index_version", indexed.append)
    data = text_pdf(2, marker="Zahlungsaufforderung")
    result = documents.ingest_file(
        actor=team_caseworker,
        akte=akte,
        file=incoming("Bescheid 2025.pdf", data),
        vorgang=vorgang,
        meta=documents.DocumentMeta(kind="Bescheid", sender="Jobcenter", direction="out"),
    )
    assert result.ok, result.message
    assert result.message == "Gespeichert (2 Seiten)."
    dokument = Dokument.objects.for_tenant(akte.tenant_id).get(pk=result.dokument.pk)  # type: ignore[union-attr]
    version = dokument.current_version
    assert version is not None
    assert (version.number, version.page_count, version.mime_type) == (1, 2, "application/pdf")
    assert "Zahlungsaufforderung" in version.text
    assert (dokument.title, dokument.kind, dokument.sender, dokument.direction) == (
        "Bescheid 2025",
        "Bescheid",
        "Jobcenter",
        "out",
    )
    assert dokument.vorgang_id == vorgang.pk and not dokument.needs_ocr
    assert get_store().exists(version.sha256)
    assert indexed == [version]
    [event] = _events(akte, "records.dokument.create")
    subject = AkteSubjekt.objects.for_tenant(akte.tenant_id).get(akte=akte).person
    assert event.object_id == str(dokument.pk)
    assert event.subject_id == str(subject.pk)
    assert event.changes["sha256"] == version.sha256
    assert (
        VorgangSchritt.objects.for_tenant(akte.tenant_id)
        .filter(vorgang=vorgang, action="dokument")
        .exists()
    )


def test_scan_without_text_layer_is_marked_for_ocr(akte: Akte, team_caseworker: User) -> None:
    result = documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("scan.pdf", scan_pdf(2))
    )
    assert result.ok
    assert result.dokument is not None and result.dokument.needs_ocr
    assert content.NEEDS_OCR_NOTE in result.notes


def test_images_count_pages_and_need_ocr(akte: Akte, team_caseworker: User) -> None:
    tiff = stored(akte, team_caseworker, "fax.tif", tiff_bytes(3))
    png = stored(akte, team_caseworker, "foto.png", png_bytes())
    assert (tiff.page_count, tiff.needs_ocr) == (3, True)
    assert (png.page_count, png.current_version.mime_type) == (1, "image/png")  # type: ignore[union-attr]


def test_plain_text_in_cp1252_is_readable(akte: Akte, team_caseworker: User) -> None:
    doc = stored(akte, team_caseworker, "notiz.txt", "Rückruf bei Frau Öztürk".encode("cp1252"))
    assert doc.current_version is not None
    assert doc.current_version.text == "Rückruf bei Frau Öztürk"
    assert not doc.needs_ocr


@pytest.mark.parametrize(
    ("name", "data", "code", "fragment"),
    [
        ("leer.pdf", b"", "empty_file", "leer"),
        (
            "kaputt.pdf",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage",
            "corrupt_pdf",
            "beschädigt",
        ),
        ("halb.pdf", text_pdf(2)[:300], "corrupt_pdf", "beschädigt"),
        ("geheim.pdf", pdf_bytes(["Vertraulich"], encrypt="geheim"), "encrypted_pdf", "Passwort"),
        ("kaputt.png", png_bytes()[:200], "corrupt_image", "beschädigt"),
        ("kaputt.docx", b"PK\x03\x04" + b"\x00" * 60, "corrupt_file", "beschädigt"),
        ("setup.pdf", b"MZ" + b"\x00" * 200, "unsupported_type", "Programme"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_leave_no_rows(
    akte: Akte, team_caseworker: User, name: str, data: bytes, code: str, fragment: str
) -> None:
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming(name, data))
    assert (result.outcome, result.code) == ("rejected", code)
    assert fragment in result.message
    assert _docs(akte) == 0
    assert DokumentVersion.objects.for_tenant(akte.tenant_id).count() == 0
    assert _events(akte, "records.dokument.create") == []


def test_file_over_the_limit_is_refused_before_reading_it(
    akte: Akte, team_caseworker: User
) -> None:
    class Unreadable:
        def read(self, n: int = -1) -> bytes:
            raise AssertionError("must not be read")

    with override_settings(KOFFER_MAX_UPLOAD_BYTES=1000):
        big = naming.IncomingFile(name="gross.pdf", size=5 * 1024 * 1024, stream=Unreadable())  # type: ignore[arg-type]
        result = documents.ingest_file(actor=team_caseworker, akte=akte, file=big)
        assert result.code == "too_large"
        assert "1 KB" in result.message
        # a client that lies about the size is caught while reading
        liar = naming.IncomingFile.from_bytes("x.pdf", text_pdf(4))
        liar.size = 10
        assert (
            documents.ingest_file(actor=team_caseworker, akte=akte, file=liar).code == "too_large"
        )
    assert _docs(akte) == 0


def test_path_traversal_name_is_harmless(akte: Akte, team_caseworker: User) -> None:
    doc = stored(akte, team_caseworker, "../../../../etc/cron.d/evil.pdf", text_pdf(1))
    assert doc.current_version is not None
    assert doc.current_version.filename == "evil.pdf"
    assert doc.title == "evil"


def test_content_that_contradicts_the_extension_is_stored_as_what_it_is(
    akte: Akte, team_caseworker: User
) -> None:
    result = documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("Foto.docx", png_bytes())
    )
    assert result.ok
    assert result.version is not None
    assert (result.version.filename, result.version.mime_type) == ("Foto.png", "image/png")
    assert any("nicht wie die Endung .docx" in n for n in result.notes)


def test_same_file_twice_is_reported_as_already_there(
    akte: Akte, team_caseworker: User, tenant
) -> None:  # type: ignore[no-untyped-def]
    data = text_pdf(1, marker="Einmalig")
    first = stored(akte, team_caseworker, "a.pdf", data)
    again = documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("kopie.pdf", data)
    )
    assert (again.outcome, again.code) == ("duplicate", "duplicate")
    assert again.message == documents.DUPLICATE_MESSAGE
    assert again.dokument is not None and again.dokument.pk == first.pk
    assert _docs(akte) == 1
    # a cancelled document no longer blocks its bytes
    documents.cancel_dokument(actor=team_caseworker, dokument=first, reason="falsche Akte")
    assert documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("a.pdf", data)).ok


def test_multi_file_upload_stores_the_good_files_and_explains_the_bad(
    akte: Akte, team_caseworker: User
) -> None:
    files = [
        incoming("eins.pdf", text_pdf(1, marker="eins")),
        incoming("kaputt.pdf", b"%PDF-1.4 kaputt"),
        incoming("zwei.png", png_bytes("yellow")),
        incoming("leer.txt", b""),
        incoming("drei.txt", b"Telefonnotiz"),
    ]
    results = documents.ingest_files(
        actor=team_caseworker,
        akte=akte,
        files=files,
        meta=documents.DocumentMeta(title="ignoriert"),
    )
    assert [r.outcome for r in results] == ["stored", "rejected", "stored", "rejected", "stored"]
    assert [r.filename for r in results] == [
        "eins.pdf",
        "kaputt.pdf",
        "zwei.png",
        "leer.txt",
        "drei.txt",
    ]
    assert _docs(akte) == 3
    assert len(_events(akte, "records.dokument.create")) == 3
    # several files: each takes its own name as title, not the one title given
    titles = set(Dokument.objects.for_tenant(akte.tenant_id).values_list("title", flat=True))
    assert titles == {"eins", "zwei", "drei"}


def test_a_failure_inside_the_transaction_leaves_nothing_half_stored(
    akte: Akte, team_caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_index(version: DokumentVersion) -> None:
        raise RuntimeError("Suchindex nicht erreichbar")

    monkeypatch.setattr(search, "index_version", broken_index)
    files = [incoming("a.pdf", text_pdf(1, marker="a")), incoming("b.txt", b"Notiz")]
    results = documents.ingest_files(actor=team_caseworker, akte=akte, files=files)
    assert [r.code for r in results] == ["processing_failed", "processing_failed"]
    assert "nicht gespeichert" in results[0].message
    assert _docs(akte) == 0
    assert DokumentVersion.objects.for_tenant(akte.tenant_id).count() == 0
    assert _events(akte, "records.dokument.create") == []


def test_long_pdf_gets_the_rest_of_its_text_after_commit(
    akte: Akte,
    team_caseworker: User,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    pages = [f"Seite {i + 1} Stichwort{i + 1}" for i in range(limits.SYNC_TEXT_PAGES + 3)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        doc = stored(akte, team_caseworker, "lang.pdf", pdf_bytes(pages))
    assert len(callbacks) == 1
    version = DokumentVersion.objects.for_tenant(akte.tenant_id).get(pk=doc.current_version_id)
    assert f"Stichwort{limits.SYNC_TEXT_PAGES + 3}" in version.text
    assert version.page_count == limits.SYNC_TEXT_PAGES + 3


def test_documents_go_only_into_open_akten_and_their_own_vorgaenge(
    akte: Akte,
    team_caseworker: User,
    tenant,
    plan,
    team,  # type: ignore[no-untyped-def]
) -> None:
    from koffer.records import services

    other = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="Andere"
    )
    typ = selectors.vorgang_typen(tenant.pk).first()
    foreign_vorgang = services.create_vorgang(actor=None, akte=other, typ=typ, title="fremd")
    with pytest.raises(RecordsError) as exc:
        documents.ingest_file(
            actor=team_caseworker,
            akte=akte,
            file=incoming("a.pdf", text_pdf(1)),
            vorgang=foreign_vorgang,
        )
    assert exc.value.code == "vorgang_foreign"
    services.change_akte(
        actor=team_caseworker, akte=other, reason="erledigt", status=Akte.Status.CLOSED
    )
    with pytest.raises(RecordsError) as exc:
        documents.ingest_file(
            actor=team_caseworker, akte=other, file=incoming("a.pdf", text_pdf(1))
        )
    assert exc.value.code == "akte_not_open"


# --- Versions, move, cancel, metadata ---------------------------------------------------------


def test_new_version_keeps_the_old_one_unchanged(akte: Akte, team_caseworker: User) -> None:
    doc = stored(akte, team_caseworker, "antrag.pdf", text_pdf(1, marker="alt"))
    first = doc.current_version
    assert first is not None
    new_bytes = text_pdf(
        3, marker="neu"
    )  # generated once: a second run may differ in its timestamp
    result = documents.add_version(
        actor=team_caseworker,
        dokument=doc,
        file=incoming("antrag-neu.pdf", new_bytes),
        note="unterschrieben",
    )
    assert result.ok and result.message == "Als Version 2 gespeichert (3 Seiten)."
    doc.refresh_from_db()
    versions = list(
        DokumentVersion.objects.for_tenant(akte.tenant_id).filter(dokument=doc).order_by("number")
    )
    assert [v.number for v in versions] == [1, 2]
    assert doc.current_version_id == versions[1].pk
    assert (doc.page_count, versions[1].note) == (3, "unterschrieben")
    assert versions[0].sha256 == first.sha256 and "alt" in versions[0].text
    [event] = _events(akte, "records.dokument.version")
    assert event.changes["version"] == 2 and event.reason == "unterschrieben"
    # the same bytes again are no new version
    again = documents.add_version(
        actor=team_caseworker, dokument=doc, file=incoming("x.pdf", new_bytes)
    )
    assert again.outcome == "duplicate"
    assert DokumentVersion.objects.for_tenant(akte.tenant_id).filter(dokument=doc).count() == 2


def test_move_to_another_vorgang_is_audited_with_reason(
    akte: Akte, team_caseworker: User, vorgang: Vorgang, other_vorgang: Vorgang
) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1), vorgang=vorgang)
    with pytest.raises(ReasonError):
        documents.move_dokument(
            actor=team_caseworker, dokument=doc, vorgang=other_vorgang, reason="  "
        )
    documents.move_dokument(
        actor=team_caseworker, dokument=doc, vorgang=other_vorgang, reason="gehört zum Widerspruch"
    )
    doc.refresh_from_db()
    assert doc.vorgang_id == other_vorgang.pk
    [event] = _events(akte, "records.dokument.move")
    assert event.reason == "gehört zum Widerspruch"
    assert event.changes["vorgang"] == {"old": str(vorgang.pk), "new": str(other_vorgang.pk)}
    with pytest.raises(RecordsError) as exc:
        documents.move_dokument(
            actor=team_caseworker, dokument=doc, vorgang=other_vorgang, reason="nochmal"
        )
    assert exc.value.code == "same_vorgang"


def test_cancel_keeps_the_document_visible_and_audited(akte: Akte, team_caseworker: User) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1))
    documents.cancel_dokument(actor=team_caseworker, dokument=doc, reason="doppelt erfasst")
    doc.refresh_from_db()
    assert (doc.status, doc.cancel_reason) == ("cancelled", "doppelt erfasst")
    assert list(selectors.akte_documents(akte)) == [doc]
    [event] = _events(akte, "records.dokument.cancel")
    assert event.reason == "doppelt erfasst"
    with pytest.raises(RecordsError):
        documents.cancel_dokument(actor=team_caseworker, dokument=doc, reason="nochmal")
    with pytest.raises(RecordsError):
        documents.add_version(
            actor=team_caseworker, dokument=doc, file=incoming("b.pdf", text_pdf(2))
        )


def test_metadata_change_is_audited_as_a_diff(akte: Akte, team_caseworker: User) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1))
    meta = documents.DocumentMeta(
        title="Mietvertrag", kind="Nachweis", direction="in", sender="Vermieter"
    )
    documents.change_metadata(actor=team_caseworker, dokument=doc, meta=meta)
    [event] = _events(akte, "records.dokument.change")
    assert event.changes["title"] == {"old": "a", "new": "Mietvertrag"}
    assert "direction" not in event.changes


# --- Office ------------------------------------------------------------------------------------


def test_office_file_without_libreoffice_is_kept_without_preview(
    akte: Akte, team_caseworker: User
) -> None:
    with override_settings(KOFFER_SOFFICE="/nicht/vorhanden/soffice"):
        result = documents.ingest_file(
            actor=team_caseworker, akte=akte, file=incoming("vermerk.odt", odt_bytes())
        )
    assert result.ok
    assert content.NO_OFFICE_PREVIEW in result.notes
    assert result.version is not None
    assert result.version.mime_type == "application/vnd.oasis.opendocument.text"
    assert result.version.pdf_sha256 == ""
    assert get_store().exists(result.version.sha256)


@pytest.mark.skipif(not HAS_SOFFICE, reason="LibreOffice (soffice) ist nicht installiert")
def test_docx_is_converted_to_pdf_and_the_original_kept(akte: Akte, team_caseworker: User) -> None:
    data = docx_bytes("Vermerk Hausbesuch Wohnungsbesichtigung")
    result = documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("Vermerk.docx", data)
    )
    assert result.ok, result.notes
    version = result.version
    assert version is not None
    assert version.filename == "Vermerk.docx" and version.size == len(data)
    assert version.pdf_sha256 and get_store().exists(version.pdf_sha256)
    assert version.page_count == 1
    assert "Wohnungsbesichtigung" in version.text


def test_the_text_task_keeps_its_stored_path() -> None:
    """Queued task rows name the task by its dotted path; moving the code must not change it."""
    from koffer.records.documents import complete_text

    assert complete_text.module_path == "koffer.records.documents.complete_text"
