"""koffer's PDF/A check: it accepts the sample files that claim each level, finds each
property it checks when that property is broken, and every PDF koffer writes passes it –
or, for an Aktenauszug with a part that does not conform, makes no claim and says why."""

from __future__ import annotations

import io
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from django.test import override_settings

from koffer.pdf import pdfa
from koffer.placements.meldungen import pdf as meldungen_pdf
from koffer.records.auszug import pdf as extract_pdf
from tests.pdf.samples import (
    COVER,
    SAMPLES,
    boxes,
    edited,
    embedded_pdf,
    helvetica_pdf,
    sample,
)

# The levels the sample files claim (README of /work/shared/conformance/pdfa); all of them
# are expected to pass the properties this check looks at.
CLAIMS = {
    "test_pdf_a1-a.pdf": (1, "A"),
    "test_pdf_a1-b.pdf": (1, "B"),
    "T-Figther_ASCII_1-b.pdf": (1, "B"),
    "test_pdf_a2-a.pdf": (2, "A"),
    "test_pdf_a2-b.pdf": (2, "B"),
    "test_pdf_a2-u.pdf": (2, "U"),
}


needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="no PDF/A samples here")


def _rules(report: pdfa.Report) -> set[str]:
    return {f.rule for f in report.findings}


@needs_samples
@pytest.mark.parametrize("name", sorted(CLAIMS))
def test_samples_that_claim_each_level_pass(name: str) -> None:
    report = pdfa.check(sample(name))
    assert report.ok, report.summary()
    assert (report.part, report.conformance) == CLAIMS[name]


def _drop_claim(pdf: pikepdf.Pdf) -> None:
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        del meta["pdfaid:part"]
        del meta["pdfaid:conformance"]


def _drop_intent(pdf: pikepdf.Pdf) -> None:
    del pdf.Root["/OutputIntents"]


def _helvetica(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0]
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    page.add_resource(font, pikepdf.Name.Font, prefix="KofferF")


def _javascript(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")
    )


def _link_javascript(pdf: pikepdf.Pdf) -> None:
    action = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org"))
    action.Next = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("x()"))
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, A=action)
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))


def _no_id(pdf: pikepdf.Pdf) -> None:
    del pdf.trailer["/ID"]


def _cmyk(pdf: pikepdf.Pdf) -> None:
    form = pikepdf.Stream(pdf, b"0 0 0 1 k 0 0 10 10 re f")
    form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    form.BBox = [0, 0, 10, 10]
    name = pdf.pages[0].add_resource(pdf.make_indirect(form), pikepdf.Name.XObject)
    pdf.pages[0].contents_add(f"q {name} Do Q".encode())


def _transparent(pdf: pikepdf.Pdf) -> None:
    state = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=0.5))
    pdf.pages[0].add_resource(state, pikepdf.Name.ExtGState)


@needs_samples
@pytest.mark.parametrize(
    ("name", "change", "rule"),
    [
        ("test_pdf_a2-b.pdf", _drop_claim, "identification"),
        ("test_pdf_a2-b.pdf", _drop_intent, "output_intent"),
        ("test_pdf_a2-b.pdf", _helvetica, "fonts"),
        ("test_pdf_a2-b.pdf", _javascript, "javascript"),
        ("test_pdf_a2-b.pdf", _link_javascript, "javascript"),
        ("test_pdf_a2-b.pdf", _no_id, "trailer_id"),
        ("test_pdf_a2-u.pdf", _cmyk, "colour"),
        ("test_pdf_a1-b.pdf", _transparent, "transparency"),
    ],
)
def test_each_property_is_found_when_broken(
    name: str, change: Callable[[pikepdf.Pdf], None], rule: str
) -> None:
    with edited(sample(name), change) as pdf:
        report = pdfa.check(pdf)
    assert rule in _rules(report), report.summary()
    assert not report.ok


@needs_samples
def test_transparency_is_fine_in_part_2_and_tags_are_needed_for_a() -> None:
    with edited(sample("test_pdf_a2-b.pdf"), _transparent) as pdf:
        assert pdfa.check(pdf).ok
    with edited(
        sample("test_pdf_a2-a.pdf"), lambda p: p.Root.__delitem__("/StructTreeRoot")
    ) as pdf:
        assert _rules(pdfa.check(pdf)) == {"structure"}


@needs_samples
def test_encrypted_and_wrong_level() -> None:
    with pikepdf.open(io.BytesIO(sample("test_pdf_a2-b.pdf"))) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="", owner="geheim"))
    assert "encryption" in _rules(pdfa.check(out.getvalue()))
    locked = helvetica_pdf(["x"])
    with pikepdf.open(io.BytesIO(locked)) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="auf", owner="zu"))
    assert _rules(pdfa.check(out.getvalue())) == {"encryption"}
    assert "identification" in _rules(pdfa.check(sample("test_pdf_a1-b.pdf"), part=2))


def test_unembedded_font_is_named_and_the_part_check_ignores_the_file_frame() -> None:
    report = pdfa.check(helvetica_pdf(["Bescheid"]), part=2, whole_file=False, output_intent="RGB")
    assert _rules(report) == {"fonts"}
    assert "Helvetica" in report.summary()
    assert pdfa.check(embedded_pdf(["Bescheid"]), part=2, whole_file=False, output_intent="RGB").ok


# --- Every PDF koffer writes ---------------------------------------------------------------


def _part(title: str, sha: str, pages: int) -> extract_pdf.Part:
    return extract_pdf.Part(
        title=title,
        kind="Antrag",
        date="02.01.2026",
        vorgang="",
        cancelled=False,
        cancel_reason="",
        pages=pages,
        sha256=sha,
    )


def _assemble(files: dict[str, bytes], pages: dict[str, int]) -> extract_pdf.Built:
    parts = [_part(title, title, pages[title]) for title in files]
    return extract_pdf.assemble(COVER, parts, lambda part: io.BytesIO(files[part.title]))


def test_typeset_parts_of_an_extract_pass() -> None:
    front = extract_pdf.front_matter(COVER, [], [])
    assert pdfa.check(front, part=2, conformance="B").ok
    text = extract_pdf.text_to_pdf("Telefonvermerk\nZeile zwei", "Vermerk")
    assert pdfa.check(text, part=2, conformance="B").ok
    stamp = extract_pdf.stamps("SB-1", [(1, False), (2, True)])
    assert pdfa.check(stamp, part=2, conformance="B").ok
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (200, 300), "navy").save(png, "PNG")
    image = extract_pdf.image_to_pdf(png.getvalue())
    assert pdfa.check(image, part=2, whole_file=False, output_intent="RGB").ok


@override_settings(KOFFER_GHOSTSCRIPT="")
def test_extract_of_conforming_parts_claims_pdfa_and_passes() -> None:
    built = _assemble(
        {
            "Antrag": embedded_pdf(["Antrag Seite 1", "Antrag Seite 2"]),
            "Vermerk": extract_pdf.text_to_pdf("x", "V"),
        },
        {"Antrag": 2, "Vermerk": 1},
    )
    assert built.pdfa and built.not_pdfa == ""
    report = pdfa.check(built.pdf)
    assert report.ok, report.summary()
    assert (report.part, report.conformance) == (2, "B")
    assert extract_pdf.pdfa_status(built.pdf) == "2B"
    assert boxes(built.pdf, 0, "PDF/A-2b")["PDF/A-2b"]  # the cover names the format


@override_settings(KOFFER_GHOSTSCRIPT="")
def test_extract_with_unembedded_helvetica_and_no_ghostscript_says_it_is_not_pdfa() -> None:
    built = _assemble(
        {"Antrag": embedded_pdf(["Antrag"]), "Altbescheid": helvetica_pdf(["Bescheid"])},
        {"Antrag": 1, "Altbescheid": 1},
    )
    assert not built.pdfa
    assert "Altbescheid" in built.not_pdfa and "Helvetica" in built.not_pdfa
    assert "Ghostscript" in built.not_pdfa
    assert extract_pdf.pdfa_status(built.pdf) == ""  # no claim in the XMP
    report = pdfa.check(built.pdf)
    assert {"identification", "fonts"} <= _rules(report)
    found = boxes(built.pdf, 0, "kein PDF/A", "Helvetica", "Ghostscript")
    assert all(found.values()), found  # the cover says so and why


def _fake_ghostscript(tmp_path: Path, result: bytes) -> str:
    """A stand-in for gs that writes ``result`` where -sOutputFile points."""
    out = tmp_path / "ergebnis.pdf"
    out.write_bytes(result)
    script = tmp_path / "gs"
    script.write_text(
        '#!/bin/sh\nfor a in "$@"; do case "$a" in -sOutputFile=*) '
        f'cp {out} "${{a#-sOutputFile=}}";; esac; done\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_a_part_that_fails_is_converted_and_then_the_extract_claims_pdfa(tmp_path: Path) -> None:
    converted = embedded_pdf(["Bescheid (umgewandelt)"])
    with override_settings(KOFFER_GHOSTSCRIPT=_fake_ghostscript(tmp_path, converted)):
        built = _assemble({"Altbescheid": helvetica_pdf(["Bescheid"])}, {"Altbescheid": 1})
    assert built.pdfa, built.not_pdfa
    assert pdfa.check(built.pdf).ok
    assert boxes(built.pdf, 2, "Bescheid (umgewandelt)")["Bescheid (umgewandelt)"]


def test_a_conversion_that_still_fails_leaves_the_claim_out(tmp_path: Path) -> None:
    with override_settings(KOFFER_GHOSTSCRIPT=_fake_ghostscript(tmp_path, helvetica_pdf(["B"]))):
        built = _assemble({"Altbescheid": helvetica_pdf(["Bescheid"])}, {"Altbescheid": 1})
    assert not built.pdfa and "auch nach der Umwandlung" in built.not_pdfa
    assert extract_pdf.pdfa_status(built.pdf) == ""


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript is not installed")
def test_real_ghostscript_embeds_helvetica() -> None:
    converted = pdfa.convert(helvetica_pdf(["Bescheid über Leistungen"]))
    assert converted is not None
    assert pdfa.check(converted, part=2, whole_file=False, output_intent="RGB").ok


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript is not installed")
def test_ghostscript_runs_under_a_memory_cap() -> None:
    """Past its address-space cap Ghostscript fails, and the conversion says so with None
    (the extract then leaves the PDF/A claim out) instead of taking the machine's memory."""
    with override_settings(KOFFER_GHOSTSCRIPT_MEMORY_MB=8):
        assert pdfa.convert(helvetica_pdf(["Bescheid über Leistungen"])) is None
    with override_settings(KOFFER_GHOSTSCRIPT_MEMORY_MB=512):
        assert pdfa.convert(helvetica_pdf(["Bescheid über Leistungen"])) is not None


def test_receipt_is_tagged_pdfa_2a_and_pdfua_in_german() -> None:
    data = meldungen_pdf.render_quittung(
        {
            "landesjugendamt": "Landesjugendamt Musterland",
            "nummer": "M-2026-000123",
            "erstellt": "02.01.2026",
            "eingang_datum": "02.01.2026",
            "eingang_zeit": "10:15",
            "angaben": [["Meldungsnummer", "M-2026-000123", "fett"]],
            "jahr": None,
            "hinweise": ["Ein Hinweis."],
        }
    )
    report = pdfa.check(data)
    assert report.ok, report.summary()
    assert (report.part, report.conformance) == (2, "A")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert len(pdf.Root.StructTreeRoot.get("/K", pikepdf.Array())) > 0
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert str(pdf.Root.Lang).startswith("de")
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        with pdf.open_metadata() as meta:
            assert meta["pdfuaid:part"] == "1"
            assert meta["dc:title"].startswith("Eingangsbestätigung")


@needs_samples
def test_a_check_without_colours_still_finds_the_rest() -> None:
    def cmyk_and_helvetica(pdf: pikepdf.Pdf) -> None:
        _cmyk(pdf)
        _helvetica(pdf)

    with edited(sample("test_pdf_a2-u.pdf"), cmyk_and_helvetica) as pdf:
        assert {"colour", "fonts"} <= _rules(pdfa.check(pdf))
        report = pdfa.check(
            pdf, part=2, conformance="U", whole_file=False, output_intent="RGB", colours=False
        )
    assert _rules(report) == {"fonts"}
