"""Document pages over HTTP: upload with and without the script, viewer, page images and
their cache, downloads, read audit, move and cancel, and 404 for everyone who may not see."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.s3 import S3BlobStore
from koffer.blobs.store import BlobCorrupt, get_store
from koffer.records.dokumente import pages
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, DokumentVersion, Vorgang
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import (
    odt_bytes,
    png_bytes,
    stored,
    text_pdf,
    tiff_bytes,
)


def _reads(dokument: Dokument) -> int:
    return AuditEvent.objects.filter(
        tenant_id=dokument.tenant_id, action="read", object_id=str(dokument.pk)
    ).count()


def _upload_url(akte: Akte) -> str:
    return reverse("records:dokument_upload", args=[akte.pk])


def test_akte_page_lists_documents_and_offers_the_drop_zone(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    doc = stored(akte, team_caseworker, "Antrag.pdf", text_pdf(1))
    documents.cancel_dokument(actor=team_caseworker, dokument=doc, reason="doppelt")
    html = client_cw.get(reverse("records:akte_detail", args=[akte.pk])).content.decode()
    assert "data-upload-form" in html and 'name="dateien"' in html and "multiple" in html
    assert reverse("records:dokument", args=[doc.pk]) in html
    assert "koffer-cancelled" in html and "storniert" in html
    assert "<script>" not in html  # CSP: only external scripts
    assert "records/dokumente.js" in html


def test_upload_without_script_posts_all_files_and_lists_every_result(
    akte: Akte, client_cw: Client, vorgang: Vorgang
) -> None:
    files = [
        SimpleUploadedFile("brief.pdf", text_pdf(2, marker="brief"), "application/pdf"),
        SimpleUploadedFile("kaputt.pdf", b"%PDF-1.4 kaputt", "application/pdf"),
        SimpleUploadedFile("../../foto.png", png_bytes(), "image/png"),
    ]
    response = client_cw.post(
        _upload_url(akte),
        {"dateien": files, "kind": "Nachweis", "direction": "in", "vorgang": str(vorgang.pk)},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ergebnis: 2 von 3 Dateien gespeichert" in html
    assert "kaputt.pdf" in html and "Das PDF ist beschädigt" in html
    assert "foto.png" in html and "../" not in html
    docs = Dokument.objects.for_tenant(akte.tenant_id).filter(akte=akte)
    assert sorted(d.title for d in docs) == ["brief", "foto"]
    assert {d.kind for d in docs} == {"Nachweis"} and {d.vorgang_id for d in docs} == {vorgang.pk}


def test_upload_script_gets_one_json_result_per_file(akte: Akte, client_cw: Client) -> None:
    data = text_pdf(1, marker="json")
    first = client_cw.post(
        _upload_url(akte),
        {
            "dateien": [SimpleUploadedFile("a.pdf", data)],
            "kind": "Schreiben",
            "direction": "in",
            "title": "Mein Titel",
        },
        HTTP_ACCEPT="application/json",
    )
    assert first.status_code == 200
    [line] = first.json()["results"]
    assert (line["outcome"], line["title"]) == ("stored", "Mein Titel")
    again = client_cw.post(
        _upload_url(akte),
        {"dateien": [SimpleUploadedFile("b.pdf", data)], "kind": "Schreiben", "direction": "in"},
        HTTP_ACCEPT="application/json",
    ).json()["results"][0]
    assert again["outcome"] == "duplicate" and again["url"] == line["url"]
    nothing = client_cw.post(
        _upload_url(akte), {"kind": "Schreiben", "direction": "in"}, HTTP_ACCEPT="application/json"
    )
    assert nothing.status_code == 400
    assert "mindestens eine Datei" in nothing.json()["errors"][0]


def test_upload_of_an_oversized_file_is_refused_with_the_limit(
    akte: Akte, client_cw: Client
) -> None:
    with override_settings(KOFFER_MAX_UPLOAD_BYTES=2048):
        response = client_cw.post(
            _upload_url(akte),
            {
                "dateien": [
                    SimpleUploadedFile("gross.png", png_bytes(size=(1200, 1600)) + b"\x00" * 4096)
                ],
                "kind": "Schreiben",
                "direction": "in",
            },
            HTTP_ACCEPT="application/json",
        )
    [line] = response.json()["results"]
    assert line["code"] == "too_large" and "2 KB" in line["message"]


def test_viewer_shows_pages_text_and_records_one_read(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    doc = stored(akte, team_caseworker, "Bescheid.pdf", text_pdf(3, marker="Regelbedarf"))
    response = client_cw.get(reverse("records:dokument", args=[doc.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'alt="Seite 1 von 3"' in html and 'alt="Seite 3 von 3"' in html
    assert 'href="#seite-2"' in html and "Nächste Seite" in html
    assert "Regelbedarf" in html  # the text layer, for screen readers
    assert _reads(doc) == 1
    event = AuditEvent.objects.get(tenant_id=akte.tenant_id, action="read", object_id=str(doc.pk))
    assert event.subject_id and event.reason == "Dokument angesehen"
    images = re.findall(r'src="(/dokumente/[^"]+/seiten/[^"]+)"', html)
    assert len(images) == 6  # three thumbnails, three pages
    for url in images[:2]:
        assert client_cw.get(url).status_code == 200
    assert _reads(doc) == 1  # page images are not audited again


@pytest.mark.parametrize("blob_backend", ["local", "s3"], indirect=True)
def test_page_images_are_rendered_once_and_then_served_from_the_cache(
    blob_backend: str,
    akte: Akte,
    team_caseworker: User,
    client_cw: Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(2))
    url = reverse("records:dokument_page", args=[doc.pk, 1, 2, pages.VIEW_WIDTH])
    response = client_cw.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == pages.IMAGE_MIME
    assert "private" in response["Cache-Control"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(body)) as img:
        assert img.width == pages.VIEW_WIDTH
    version = doc.current_version
    assert version is not None
    assert pages.cache_path(version.sha256, 2, pages.VIEW_WIDTH).is_file()

    def no_rendering(*args: object) -> None:
        raise AssertionError("must come from the cache")

    monkeypatch.setattr(pages, "render", no_rendering)
    assert client_cw.get(url).status_code == 200
    # not offered: other widths, missing pages, unknown versions
    for bad in [
        (1, 1, 333),
        (1, 3, pages.VIEW_WIDTH),
        (9, 1, pages.VIEW_WIDTH),
        (1, 0, pages.VIEW_WIDTH),
    ]:
        assert (
            client_cw.get(reverse("records:dokument_page", args=[doc.pk, *bad])).status_code == 404
        )


def test_tiff_pages_and_images_are_rendered(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    doc = stored(akte, team_caseworker, "fax.tiff", tiff_bytes(2))
    thumb = client_cw.get(reverse("records:dokument_page", args=[doc.pk, 1, 2, pages.THUMB_WIDTH]))
    assert thumb.status_code == 200
    html = client_cw.get(reverse("records:dokument", args=[doc.pk])).content.decode()
    assert 'alt="Seite 2 von 2"' in html
    assert "Texterkennung" in html


def test_text_file_is_shown_as_text(akte: Akte, team_caseworker: User, client_cw: Client) -> None:
    doc = stored(akte, team_caseworker, "notiz.txt", "Rückruf erbeten <b>dringend</b>".encode())
    html = client_cw.get(reverse("records:dokument", args=[doc.pk])).content.decode()
    assert "Rückruf erbeten &lt;b&gt;dringend&lt;/b&gt;" in html


def test_a_text_file_whose_version_carries_no_text_is_shown_from_the_file(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    """A Koffer's package leaves a version's text out (the file is the text)."""
    doc = stored(akte, team_caseworker, "notiz.txt", "Rückruf erbeten, Frau Öztürk".encode())
    DokumentVersion.objects.for_tenant(akte.tenant_id).filter(pk=doc.current_version_id).update(
        text=""
    )
    html = client_cw.get(reverse("records:dokument", args=[doc.pk])).content.decode()
    assert "Rückruf erbeten, Frau Öztürk" in html


def test_office_file_without_libreoffice_says_so(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    with override_settings(KOFFER_SOFFICE="/nicht/vorhanden/soffice"):
        doc = stored(akte, team_caseworker, "vermerk.odt", odt_bytes())
        html = client_cw.get(reverse("records:dokument", args=[doc.pk])).content.decode()
    assert "Keine Vorschau: LibreOffice ist nicht installiert" in html
    assert (
        client_cw.get(
            reverse("records:dokument_download", args=[doc.pk]) + "?format=pdf"
        ).status_code
        == 404
    )


@pytest.mark.parametrize("blob_backend", ["local", "s3"], indirect=True)
def test_download_has_a_safe_name_the_right_type_and_is_audited(
    blob_backend: str, akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    data = text_pdf(1)
    doc = stored(akte, team_caseworker, 'Antrag "Müller";\r\n.pdf', data)
    response = client_cw.get(reverse("records:dokument_download", args=[doc.pk]))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition
    assert "filename*=utf-8''Antrag%20%22M%C3%BCller%22%3B.pdf" in disposition
    assert b"".join(response.streaming_content) == data  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(
        tenant_id=akte.tenant_id,
        action="read",
        object_id=str(doc.pk),
        reason="Dokument heruntergeladen",
    ).exists()


def test_a_changed_blob_in_s3_is_never_downloaded_as_fine(
    s3_blob_url: str, akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    data = text_pdf(2)
    doc = stored(akte, team_caseworker, "antrag.pdf", data)
    store = get_store()
    assert isinstance(store, S3BlobStore)
    version = doc.current_version
    assert version is not None
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0xFF  # one byte flipped in the bucket, the length the same
    store.client.put_object(Bucket=store.bucket, Key=store.key(version.sha256), Body=bytes(changed))
    response = client_cw.get(reverse("records:dokument_download", args=[doc.pk]))
    assert response.status_code == 200  # the headers went out before the last byte was read
    with pytest.raises(BlobCorrupt):
        b"".join(response.streaming_content)  # type: ignore[attr-defined]


def test_older_version_can_be_viewed_and_downloaded(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    old = text_pdf(1, marker="ErsteFassung")
    doc = stored(akte, team_caseworker, "a.pdf", old)
    response = client_cw.post(
        reverse("records:dokument_version_add", args=[doc.pk]),
        {
            "datei": SimpleUploadedFile("a2.pdf", text_pdf(2, marker="ZweiteFassung")),
            "note": "korrigiert",
        },
    )
    assert response.status_code == 302
    html = client_cw.get(reverse("records:dokument", args=[doc.pk]) + "?version=1").content.decode()
    assert "ErsteFassung" in html and "ältere Version" in html
    download = client_cw.get(reverse("records:dokument_download", args=[doc.pk]) + "?version=1")
    assert b"".join(download.streaming_content) == old  # type: ignore[attr-defined]
    assert (
        client_cw.get(reverse("records:dokument", args=[doc.pk]) + "?version=7").status_code == 404
    )
    huge = reverse("records:dokument_page", args=[doc.pk, 10**30, 1, pages.THUMB_WIDTH])
    assert client_cw.get(huge).status_code == 404
    viewer = reverse("records:dokument", args=[doc.pk])
    assert client_cw.get(f"{viewer}?version={10**30}").status_code == 404


def test_move_and_cancel_pages(
    akte: Akte, team_caseworker: User, client_cw: Client, vorgang: Vorgang, other_vorgang: Vorgang
) -> None:
    doc = stored(akte, team_caseworker, "a.pdf", text_pdf(1), vorgang=vorgang)
    move_url = reverse("records:dokument_move", args=[doc.pk])
    assert "Widerspruch gegen Bescheid" in client_cw.get(move_url).content.decode()
    missing_reason = client_cw.post(move_url, {"vorgang": str(other_vorgang.pk), "reason": ""})
    assert missing_reason.status_code == 400
    assert (
        client_cw.post(
            move_url, {"vorgang": str(other_vorgang.pk), "reason": "falsch zugeordnet"}
        ).status_code
        == 302
    )
    doc.refresh_from_db()
    assert doc.vorgang_id == other_vorgang.pk
    cancel_url = reverse("records:dokument_cancel", args=[doc.pk])
    assert client_cw.post(cancel_url, {"reason": "Fehlscan"}).status_code == 302
    doc.refresh_from_db()
    assert doc.status == "cancelled"
    html = client_cw.get(reverse("records:dokument", args=[doc.pk])).content.decode()
    assert "Storniert" in html and "Fehlscan" in html and "koffer-cancelled" in html
    assert reverse("records:dokument_move", args=[doc.pk]) not in html
    assert AuditEvent.objects.filter(
        tenant_id=akte.tenant_id, action="records.dokument.move", reason="falsch zugeordnet"
    ).exists()


def test_metadata_edit_page(akte: Akte, team_caseworker: User, client_cw: Client) -> None:
    doc = stored(akte, team_caseworker, "scan0001.pdf", text_pdf(1))
    url = reverse("records:dokument_edit", args=[doc.pk])
    response = client_cw.post(
        url,
        {
            "title": "Mietbescheinigung",
            "kind": "Nachweis",
            "direction": "in",
            "sender": "Vermieter",
            "received_on": "2025-03-04",
        },
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert (doc.title, doc.kind, str(doc.received_on)) == (
        "Mietbescheinigung",
        "Nachweis",
        "2025-03-04",
    )


@pytest.mark.parametrize("who", ["outsider", "foreigner"])
def test_invisible_documents_are_404_everywhere(
    who: str, akte: Akte, team_caseworker: User, request: pytest.FixtureRequest
) -> None:
    doc = stored(akte, team_caseworker, "geheim.pdf", text_pdf(1))
    client = signed_in(request.getfixturevalue(who))
    urls = [
        reverse("records:dokument", args=[doc.pk]),
        reverse("records:dokument_page", args=[doc.pk, 1, 1, pages.THUMB_WIDTH]),
        reverse("records:dokument_download", args=[doc.pk]),
        reverse("records:dokument_move", args=[doc.pk]),
        reverse("records:dokument_cancel", args=[doc.pk]),
        reverse("records:dokument_version_add", args=[doc.pk]),
        reverse("records:dokument_edit", args=[doc.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("records:dokument_cancel", args=[doc.pk]), {"reason": "x"}).status_code
        == 404
    )
    upload = client.post(_upload_url(akte), {"dateien": [SimpleUploadedFile("x.pdf", text_pdf(1))]})
    assert upload.status_code == 404
    assert _reads(doc) == 0
    doc.refresh_from_db()
    assert doc.status == "active"


def test_the_same_file_in_an_invisible_akte_is_filed_again(
    akte: Akte,
    team_caseworker: User,
    outsider: User,
    tenant,
    plan,  # type: ignore[no-untyped-def]
) -> None:
    from koffer.records import services

    data = text_pdf(1, marker="doppelt")
    stored(akte, team_caseworker, "a.pdf", data)
    own = services.create_akte(
        actor=None,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=outsider.memberships.first().unit,
        title="Eigene",  # type: ignore[union-attr]
    )
    response = signed_in(outsider).post(
        _upload_url(own),
        {"dateien": [SimpleUploadedFile("b.pdf", data)], "kind": "Schreiben", "direction": "in"},
        HTTP_ACCEPT="application/json",
    )
    [line] = response.json()["results"]
    # Nothing tells the outsider that the file lies elsewhere (test_documents_duplicates).
    assert line["outcome"] == "stored" and "liegt schon" not in line["message"]


def test_upload_page_without_script_and_its_errors(akte: Akte, client_cw: Client) -> None:
    page = client_cw.get(_upload_url(akte))
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()
    empty = client_cw.post(_upload_url(akte), {"kind": "Schreiben", "direction": "in"})
    assert empty.status_code == 400
    assert "Bitte wählen Sie mindestens eine Datei aus." in empty.content.decode()
    bad = client_cw.post(
        _upload_url(akte),
        {
            "dateien": [SimpleUploadedFile("a.pdf", text_pdf(1))],
            "kind": "Schreiben",
            "direction": "quer",
        },
    )
    assert bad.status_code == 400
    assert Dokument.objects.for_tenant(akte.tenant_id).count() == 0
