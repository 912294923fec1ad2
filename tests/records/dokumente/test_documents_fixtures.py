"""Real sample files (PDF with and without text layer, encrypted PDF, PNG, TIFF, DOCX,
ODT) and fixtures shared by the document tests. No tests live here."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from django.test import Client, override_settings
from PIL import Image, ImageDraw

from koffer.accounts.models import User
from koffer.records import services
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, Vorgang
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in

# Star-importing this module brings just the fixtures into a test module.
__all__ = ["_page_cache", "client_cw", "foreigner", "other_vorgang", "outsider", "vorgang"]

# --- Sample files ------------------------------------------------------------------------------


def pdf_bytes(pages: list[str], *, encrypt: str | None = None) -> bytes:
    """A real PDF whose pages carry ``pages`` as text (Helvetica); an empty string makes a
    page without text layer, like a scan."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    for text in pages:
        lines = [text[i : i + 80] for i in range(0, len(text), 80)] if text else []
        ops = ["q 0.9 g 50 50 495 742 re f Q"]  # a light rectangle: pages are never empty
        if lines:
            ops.append("BT /F1 11 Tf 60 780 Td 14 TL")
            for line in lines:
                safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                ops.append(f"({safe}) '")
            ops.append("ET")
        content = pdf.make_stream("\n".join(ops).encode("cp1252"))
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Contents=content,
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        )
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    if encrypt:
        pdf.save(out, encryption=pikepdf.Encryption(user=encrypt, owner=encrypt + "-owner"))
    else:
        pdf.save(out)
    return out.getvalue()


LETTER = (
    "Bescheid ueber Leistungen zur Sicherung des Lebensunterhalts nach dem SGB II. "
    "Sehr geehrte Frau Beispiel, Ihr Antrag vom 2. Januar wurde bewilligt."
)


def text_pdf(n_pages: int = 2, marker: str = "") -> bytes:
    return pdf_bytes([f"{marker} Seite {i + 1}. {LETTER}" for i in range(n_pages)])


def scan_pdf(n_pages: int = 1) -> bytes:
    return pdf_bytes([""] * n_pages)


def png_bytes(color: str = "white", size: tuple[int, int] = (400, 560)) -> bytes:
    img = Image.new("RGB", size, color)
    ImageDraw.Draw(img).rectangle((40, 40, size[0] - 40, 120), fill="navy")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), "beige").save(out, "JPEG")
    return out.getvalue()


def tiff_bytes(frames: int = 3) -> bytes:
    images = [Image.new("L", (300, 420), 255 - 40 * i) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "TIFF", save_all=True, append_images=images[1:], compression="tiff_lzw")
    return out.getvalue()


def docx_bytes(text: str = "Vermerk zum Hausbesuch am Montag") -> bytes:
    """A minimal but valid Word document (what LibreOffice and Word open)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return out.getvalue()


def odt_bytes(text: str = "Aktenvermerk") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        z.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            f"<office:body><office:text><text:p>{text}</text:p></office:text></office:body>"
            "</office:document-content>",
        )
    return out.getvalue()


def incoming(name: str, data: bytes) -> naming.IncomingFile:
    return naming.IncomingFile.from_bytes(name, data)


# --- Fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _page_cache(tmp_path: Path) -> Iterator[Path]:
    """Each test its own blob store and page cache."""
    with override_settings(KOFFER_BLOB_DIR=tmp_path / "blobs", VAR_DIR=tmp_path / "var"):
        yield tmp_path


@pytest.fixture
def vorgang(akte: Akte, team_caseworker: User) -> Vorgang:
    return _vorgang(akte, team_caseworker, "Antrag auf Leistungen")


@pytest.fixture
def other_vorgang(akte: Akte, team_caseworker: User) -> Vorgang:
    return _vorgang(akte, team_caseworker, "Widerspruch gegen Bescheid")


def _vorgang(akte: Akte, actor: User, title: str) -> Vorgang:
    from koffer.records import selectors

    typ = selectors.vorgang_typen(akte.tenant_id).first()
    assert typ is not None
    return services.create_vorgang(actor=actor, akte=akte, typ=typ, title=title)


@pytest.fixture
def client_cw(team_caseworker: User) -> Client:
    return signed_in(team_caseworker)


@pytest.fixture
def outsider(tenant: Mandant) -> User:
    """A caseworker of the same Mandant in another team: may not see the Akte."""
    return factories.user(
        tenant, role="sachbearbeitung", unit_=factories.unit(tenant, "Fremdes Team")
    )


@pytest.fixture
def foreigner(other_tenant: Mandant) -> User:
    return factories.user(other_tenant, role="sachbearbeitung")


def stored(akte: Akte, actor: User, name: str, data: bytes, **kwargs: object) -> Dokument:
    result = documents.ingest_file(actor=actor, akte=akte, file=incoming(name, data), **kwargs)  # type: ignore[arg-type]
    assert result.ok, result.message
    assert result.dokument is not None
    return result.dokument
