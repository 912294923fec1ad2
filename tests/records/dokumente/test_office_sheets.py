"""Spreadsheets are converted to PDF like text documents when LibreOffice Calc is there
(scripts/system_packages.py installs it for the tests)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import xlsxwriter

from koffer.accounts.models import User
from koffer.blobs.store import get_store
from koffer.records.dokumente import content
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import incoming

HAS_CALC = Path("/usr/lib/libreoffice/program/libsclo.so").exists()


def _xlsx(label: str, amount: float) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("Kosten der Unterkunft")
    sheet.set_column(0, 0, 30)  # wide enough that the PDF shows the whole label
    sheet.write(0, 0, label)
    sheet.write(0, 1, amount)
    book.close()
    return out.getvalue()


@pytest.mark.skipif(not HAS_CALC, reason="LibreOffice Calc ist nicht installiert")
def test_xlsx_is_converted_to_pdf_and_the_original_kept(akte: Akte, team_caseworker: User) -> None:
    data = _xlsx("Heizkostenabrechnung", 1234.5)
    result = documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("Nebenkosten.xlsx", data)
    )
    assert result.ok, result.notes
    version = result.version
    assert version is not None
    assert version.filename == "Nebenkosten.xlsx" and version.size == len(data)
    assert version.pdf_sha256 and get_store().exists(version.pdf_sha256)
    assert "Heizkostenabrechnung" in version.text
    assert content.FAILED_OFFICE_PREVIEW not in result.notes
