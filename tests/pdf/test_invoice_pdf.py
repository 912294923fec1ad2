"""The human-readable invoice: made from the XRechnung's XML, tagged, German, PDF/A-2a
claimed only when the check confirms it, and its text laid out without overlaps on both
font stacks."""

from __future__ import annotations

import io
from itertools import pairwise
from pathlib import Path

import pikepdf
import pytest

from koffer.pdf import pdfa
from koffer.placements.abrechnung import pdf as invoice_pdf
from koffer.placements.xrechnung import build_cii
from tests.pdf.samples import DEJAVU, LIBERATION, boxes, only_fonts, overlap
from tests.placements.test_xrechnung import youth_welfare_invoice

FONT_STACKS = {
    "liberation": (LIBERATION, DEJAVU),
    "dejavu-fallback": (DEJAVU,),
}
GAP = 2.5
HEADERS = ["Pos.", "Leistung und Zeitraum", "Tage", "Preis je Tag", "Betrag"]


def _stack(name: str) -> tuple[str, ...]:
    dirs = FONT_STACKS[name]
    if not all(Path(d).is_dir() for d in dirs):
        pytest.skip(f"fonts missing: {dirs} (scripts/system_packages.py installs them)")
    return dirs


def _xml() -> bytes:
    return build_cii(youth_welfare_invoice())


def test_the_pdf_shows_what_the_xml_says() -> None:
    data = invoice_pdf.invoice_data(_xml())
    assert data["art"] == "Rechnung" and data["nummer"] == "SH-2026-00123"
    facts = dict(data["angaben"])
    assert facts["Kostenzusage/Aktenzeichen"] == "51.2-34-2026-017"
    assert facts["Leitweg-ID"] == "05334-12345-96"
    assert facts["Leistungszeitraum"] == "01.10.2026–31.10.2026"
    assert [p["zeitraum"] for p in data["positionen"]] == [
        "01.10.2026–31.10.2026",
        "01.10.2026–31.10.2026",
        "01.10.2026–15.10.2026",
    ]
    assert [p["betrag"] for p in data["positionen"]] == ["5.110,00 €", "410,64 €", "2.190,00 €"]
    assert data["summen"][-1] == ["Rechnungsbetrag", "7.710,64 €"]
    assert data["empfaenger"] == [
        "Landkreis Prüfstadt, Jugendamt",
        "Kreishausplatz 1",
        "52070 Prüfstadt",
    ]
    assert "§ 4 Nr. 25 UStG" in data["steuer"] and data["steuer_code"] == "VATEX-EU-132-1H"
    assert ["IBAN", "DE89 3704 0044 0532 0130 00"] in data["zahlung"]
    assert invoice_pdf.euro("136.875") == "136,875 €"


def test_pdf_is_tagged_german_and_claims_pdfa_only_when_it_conforms() -> None:
    data = invoice_pdf.render_rechnung(_xml())
    report = pdfa.check(data)
    assert report.ok, report.summary()
    assert report.level == "PDF/A-2a"
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == "de-DE" or str(pdf.Root.Lang).startswith("de")
        assert "/StructTreeRoot" in pdf.Root
        assert pdf.Root.MarkInfo.Marked
        with pdf.open_metadata() as meta:
            assert meta.get("dc:title") == "Rechnung SH-2026-00123"


def test_a_pdf_the_check_rejects_is_made_again_without_the_claim(monkeypatch) -> None:
    failing = pdfa.Report(part=2, conformance="A", findings=(pdfa.Finding("x", "kaputt"),))
    monkeypatch.setattr(invoice_pdf.pdfa, "check", lambda pdf: failing)
    data = invoice_pdf.render_rechnung(_xml())
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdfa.claimed_level(pdf) == (None, "")
        assert "/StructTreeRoot" in pdf.Root


@pytest.mark.parametrize("stack", sorted(FONT_STACKS))
def test_invoice_text_does_not_overlap(stack: str) -> None:
    with only_fonts(*_stack(stack)):
        data = invoice_pdf.render_rechnung(_xml())
    header = boxes(data, 0, *HEADERS)
    cells = [header[h][0] for h in HEADERS]
    for left, right in pairwise(cells):
        assert right[0] - left[2] >= GAP, (stack, left, right)
    row = boxes(data, 0, "5.110,00 €", "182,50 €", "28")
    price, amount = row["182,50 €"][0], row["5.110,00 €"][0]
    assert amount[0] - price[2] >= GAP, (stack, price, amount)
    top = boxes(
        data, 0, "Kinder- und Jugendhilfe Sonnenhof e. V.", "Petra Schulz", "Ansicht erstellt am"
    )
    for a, b in pairwise([top[k][0] for k in top]):
        assert not overlap(a, b), (stack, a, b)
    facts = boxes(data, 0, "Kostenzusage/Aktenzeichen", "51.2-34-2026-017")
    label, value = facts["Kostenzusage/Aktenzeichen"][0], facts["51.2-34-2026-017"][0]
    assert value[0] - label[2] >= GAP, (stack, label, value)
    sums = boxes(data, 0, "Rechnungsbetrag", "7.710,64 €")
    assert sums["7.710,64 €"][0][0] - sums["Rechnungsbetrag"][0][2] >= GAP
