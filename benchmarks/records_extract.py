"""Aktenauszug of 500 pages: how long the background job takes to build it.

Data: one Akte with 25 PDF documents of 20 pages each (typeset with typst, every page
full of text, so the extract copies real content streams and fonts), uploaded through the
document pipeline. Measured: only the build, i.e. the job ``records.aktenauszug`` run to
the end in this process (each document's PDF form, cover and contents, stamping "Bl. n"
on 500 pages, bookmarks, PDF/A metadata, storing the result). Each round orders a fresh
extract, so no step is skipped. Also measured alone: the pure PDF assembly
(``extract_pdf.assemble``), as the share of the build that is not database or storage.

A second case does the same for an Akte of scans (100 JPEG colour scans at 200 dpi, 100 bilevel
TIFF scans at 300 dpi), where each image becomes a PDF page first.

Target: the 500-page extract in under 30 s (a Landratsamt must send the Sozialgericht a
complete file within minutes).
"""

from __future__ import annotations

import gc
import io
import statistics
import time

from django.db import connection

from benchmarks.report import emit, note
from benchmarks.scale import setting, sized
from koffer.jobs import runner
from koffer.records import defaults, services
from koffer.records.auszug import pdf as extract_pdf
from koffer.records.auszug import services as extract
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Aktenauszug
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

NAME = "records_extract"
DATABASES = ("sqlite", "postgresql")
SCANS_JPEG = sized(100, 2)
SCANS_TIFF = sized(100, 2)
DOCUMENTS = sized(25, 2)
PAGES_PER_DOCUMENT = sized(20, 2)
ROUNDS = setting("KOFFER_BENCH_ITERATIONS", 3, 1)
TARGET_SECONDS = 30.0

DOCUMENT_TYP = """
#let d = json(bytes(sys.inputs.data))
#set page(paper: "a4", margin: 25mm)
#set text(font: ("Liberation Sans", "DejaVu Sans"), size: 10.5pt, lang: "de")
#for i in range(d.pages) {
  if i > 0 { pagebreak() }
  heading[#d.title – Seite #(i + 1)]
  lorem(380)
}
"""


def typeset_document(number: int) -> bytes:
    return extract_pdf.typeset(
        DOCUMENT_TYP,
        {"title": f"Schriftstück {number:02d}", "pages": PAGES_PER_DOCUMENT},
        pdfa=False,
    )


def _scan(number: int, *, bilevel: bool) -> bytes:
    """A page-sized image with lines of "text" (bars) and noise, like a scanned letter."""
    from PIL import Image, ImageDraw

    dpi = 300 if bilevel else 200
    size = (int(8.27 * dpi), int(11.69 * dpi))
    img = Image.effect_noise(size, 12).point(lambda v: 255 - v // 4).convert("L")
    draw = ImageDraw.Draw(img)
    for line in range(40):
        y = int(dpi * (1.2 + line * 0.24))
        draw.rectangle(
            (dpi, y, dpi + (number * 37 + line * 53) % (size[0] - 2 * dpi), y + dpi // 12), 20
        )
    out = io.BytesIO()
    if bilevel:
        # A scanner thresholds (no dithering): white paper, black text.
        img.point(lambda v: 255 if v > 128 else 0, "1").save(
            out, "TIFF", compression="group4", dpi=(dpi, dpi)
        )
    else:
        img.convert("RGB").save(out, "JPEG", quality=80, dpi=(dpi, dpi))
    return out.getvalue()


def _akte(tenant: Mandant, plan, root, title: str):  # type: ignore[no-untyped-def]
    return services.open_akte_for_person(
        actor=None,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=root,
        title=title,
        family_name="Beispiel",
        given_names="Anna",
    )


def _build(akte, expected_sheets: int) -> tuple[float, Aktenauszug]:  # type: ignore[no-untyped-def]
    """Order a fresh extract of the whole Akte and run its job here; seconds and result."""
    auszug = extract.create_auszug(
        actor=None,
        akte=akte,
        auswahl=extract.Auswahl(ganze_akte=True),
        purpose="Aktenauszug für das Sozialgericht Musterstadt, Az. S 12 SB 345/26",
    )
    assert auszug.job_id is not None
    gc.collect()
    began = time.perf_counter()
    outcome = runner.execute(auszug.job_id)
    seconds = time.perf_counter() - began
    auszug.refresh_from_db()
    assert outcome == "done" and auszug.sheet_count == expected_sheets, (outcome, auszug.error)
    return seconds, auszug


def run() -> None:
    tenant = tenancy.create_mandant(
        actor=None, slug="bench-auszug", name="Landratsamt Benchmark", kind=Mandant.Kind.KREIS
    )
    root = Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    defaults.install(actor=None, tenant=tenant)
    plan = services.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=None,
        kennzeichen="50.9",
        title="Schwerbehindertenrecht",
        module="sgb9",
        aktenzeichen_pattern="SB-{jahr}-{lfd:05}",
    )
    akte = _akte(tenant, plan, root, "Feststellung GdB")
    started = time.perf_counter()
    for number in range(1, DOCUMENTS + 1):
        result = documents.ingest_file(
            actor=None,
            akte=akte,
            file=naming.IncomingFile.from_bytes(f"dokument-{number}.pdf", typeset_document(number)),
            meta=documents.DocumentMeta(title=f"Schriftstück {number:02d}"),
        )
        assert result.ok, result.message
    note(
        f"{DOCUMENTS} Dokumente à {PAGES_PER_DOCUMENT} Seiten in {time.perf_counter() - started:.1f} s angelegt"
    )

    pages = DOCUMENTS * PAGES_PER_DOCUMENT
    builds: list[float] = []
    last: Aktenauszug | None = None
    for _ in range(ROUNDS):
        seconds, last = _build(akte, pages)
        builds.append(seconds)
    assert last is not None

    parts = [
        extract_pdf.Part(
            title=e["title"],
            kind=e["kind"],
            date=e["date"],
            vorgang=e["vorgang"],
            cancelled=e["cancelled"],
            cancel_reason="",
            pages=e["pages"],
            sha256=e["sha256"],
            form=e["form"],
        )
        for e in last.contents
    ]
    cover = extract._cover(last)
    assembles: list[float] = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        built = extract_pdf.assemble(cover, parts, extract.open_part)
        assembles.append(time.perf_counter() - began)
    assert built.sheets == pages

    median = statistics.median(builds)
    emit(
        NAME,
        db=connection.vendor,
        case="build",
        pages=pages,
        documents=DOCUMENTS,
        rounds=len(builds),
        median_s=median,
        min_s=min(builds),
        max_s=max(builds),
        pages_per_s=pages / median,
        pdf_mb=last.size / 1_000_000,
        target=f"<{TARGET_SECONDS:.0f}s",
        met=max(builds) < TARGET_SECONDS,
    )
    emit(
        NAME,
        db=connection.vendor,
        case="assemble_only",
        pages=pages,
        median_s=statistics.median(assembles),
        pages_per_s=pages / statistics.median(assembles),
        share_of_build=statistics.median(assembles) / median,
    )
    _check(io.BytesIO(built.pdf))
    _scans(tenant, plan, root)


def _scans(tenant: Mandant, plan, root) -> None:  # type: ignore[no-untyped-def]
    akte = _akte(tenant, plan, root, "Rückscan Altakte")
    for number in range(SCANS_JPEG + SCANS_TIFF):
        bilevel = number >= SCANS_JPEG
        name = f"scan-{number}.{'tif' if bilevel else 'jpg'}"
        result = documents.ingest_file(
            actor=None,
            akte=akte,
            file=naming.IncomingFile.from_bytes(name, _scan(number, bilevel=bilevel)),
        )
        assert result.ok, result.message
    pages = SCANS_JPEG + SCANS_TIFF
    builds = []
    last: Aktenauszug | None = None
    for _ in range(ROUNDS):
        seconds, last = _build(akte, pages)
        builds.append(seconds)
    assert last is not None
    median = statistics.median(builds)
    emit(
        NAME,
        db=connection.vendor,
        case="scans",
        pages=pages,
        jpeg=SCANS_JPEG,
        tiff_g4=SCANS_TIFF,
        median_s=median,
        max_s=max(builds),
        pages_per_s=pages / median,
        pdf_mb=last.size / 1_000_000,
    )


def _check(stream: io.BytesIO) -> None:
    """The measured output is a real extract: the last page carries the last sheet number."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(stream)
    try:
        page = doc[len(doc) - 1]
        text = page.get_textpage().get_text_range()
        assert f"Bl. {DOCUMENTS * PAGES_PER_DOCUMENT}" in text, text[:200]
    finally:
        doc.close()
