"""The pipeline's steps chained for one file and one document: they read the delivered
bytes and the E-Akte and answer what they found; nothing is written here (``services``
writes, ``tasks`` runs the two in job steps). Each step's own module is testable alone:
``seiten`` (pages), ``codes`` (barcodes and QR codes), ``trennung`` (separator sheets),
``texterkennung`` (text layer or OCR), ``records.antwortcode`` (koffer's reply code),
``merkmale`` (identifiers), ``dokumentart`` (kind), ``zuordnung`` (the Akte) and
``rueckvermerk`` (the Post's return note on a letter it brought back).

A step that cannot run on this machine (``StepUnavailable``) or fails on a file does not
stop the document: it goes on without that step's result and says why, so it lands in
triage with the reason instead of being lost.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from koffer.blobs.store import get_store
from koffer.inbox.models import Stapel, Stapeldatei
from koffer.inbox.rueckscan import deckblatt
from koffer.inbox.rueckscan import trennung as rueckscan_trennung
from koffer.inbox.verarbeitung import (
    StepUnavailable,
    codes,
    dokumentart,
    merkmale,
    rueckvermerk,
    seiten,
    texterkennung,
    trennung,
    zuordnung,
)
from koffer.inbox.verarbeitung.regeln import Regeln
from koffer.records import antwortcode, rueckpost

logger = logging.getLogger("koffer.inbox")
BORN_DIGITAL_DPI = 100


def read_file(datei: Stapeldatei) -> bytes:
    with get_store().open(datei.sha256) as stream:
        return stream.read()


# --- one file: pages, codes, documents ---------------------------------------------------


@dataclass(frozen=True)
class Aufteilung:
    """A file split into documents: its pages, the codes on them, the parts."""

    page_count: int
    codes: list[codes.Code]
    trennung: trennung.Trennung
    notes: list[tuple[str, str]]  # (code, German message) of a step that could not run


def split_file(datei: Stapeldatei, regeln: Regeln, data: bytes | None = None) -> Aufteilung:
    """Read every page's codes and split the file at its separator sheets (a Rückscan
    batch's files at their Deckblätter). Without the code reader the file stays one
    document (and the note says why)."""
    data = read_file(datei) if data is None else data
    count = seiten.page_count(data)
    notes: list[tuple[str, str]] = []
    # Born digital (a real text layer on every page): codes are drawn sharp, a coarser
    # raster reads them in a fifth of the time (58 against 308 ms a page).
    born_digital = texterkennung.real_text_layer(data) is not None
    try:
        found = (
            codes.read_codes(data, dpi=BORN_DIGITAL_DPI, despeckle=False)
            if born_digital
            else codes.read_codes(data)
        )
    except StepUnavailable as exc:
        found = []
        notes.append(("codes_unavailable", exc.message))
    if datei.stapel.art == Stapel.Art.RUECKSCAN:
        teilung = rueckscan_trennung.split(count, found, datei.tenant_id)
        return Aufteilung(count, found, teilung.trennung, notes)
    # A Rückscan's Deckblatt is never a separator, whatever the Mandant's pattern.
    marks = [c for c in found if not deckblatt.is_deckblatt(c.text)]
    parts = trennung.split(count, marks, pattern=regeln.separator_pattern)
    return Aufteilung(count, found, parts, notes)


# --- one document: text ------------------------------------------------------------------


@dataclass(frozen=True)
class Erkennung:
    """One document's pages as scanned, as a searchable PDF, and its text."""

    original: bytes
    searchable: bytes | None
    page_texts: list[str]
    ocr_done: bool
    pdfa: bool
    rotated: list[int]  # positions in the document (0-based) that were turned upright
    seconds: float
    problem: tuple[str, str] | None = None  # text recognition failed or is unavailable

    @property
    def text(self) -> str:
        return "\n\f".join(self.page_texts)

    @cached_property
    def original_sha256(self) -> str:
        """Worked out once: the blob store and the document's row both need it."""
        return hashlib.sha256(self.original).hexdigest()

    @cached_property
    def searchable_sha256(self) -> str:
        return hashlib.sha256(self.searchable).hexdigest() if self.searchable else ""

    def blobs(self) -> list[tuple[str, bytes]]:
        """The bytes to store: the scanned pages, and the searchable PDF if there is one."""
        found = [(self.original_sha256, self.original)]
        if self.searchable is not None:
            found.append((self.searchable_sha256, self.searchable))
        return found


def recognise(data: bytes, pages: Sequence[int], *, jobs: int = 1) -> Erkennung:
    """The document's pages out of the delivered file, and their text (the real text
    layer, or OCR). Touches no database."""
    return recognise_together(data, [pages], jobs=jobs)[0]


def read_text(original: bytes, *, jobs: int = 1) -> Erkennung:
    """The text of a document's own PDF (the real text layer, or OCR): triage's
    re-recognition after a split, merge or turn. Touches no database."""
    return _alone(original, jobs)


def recognise_together(
    data: bytes, parts: Sequence[Sequence[int]], *, jobs: int = 2
) -> list[Erkennung]:
    """Several documents of one delivered file, their OCR in one run
    (``texterkennung.recognise_together``). When that run fails, each document is
    recognised alone, so only the one that caused it carries the problem."""
    originals = [seiten.extract_pdf(data, list(pages)) for pages in parts]
    try:
        found = texterkennung.recognise_together(originals, jobs=jobs)
    except StepUnavailable as exc:
        return [_failed(original, ("ocr_unavailable", exc.message)) for original in originals]
    except texterkennung.OcrFailed as exc:
        if len(originals) == 1:
            return [_failed(originals[0], ("ocr_failed", exc.message))]
        return [_alone(original, jobs) for original in originals]
    return [_found(o, result) for o, result in zip(originals, found, strict=True)]


def _alone(original: bytes, jobs: int) -> Erkennung:
    try:
        return _found(original, texterkennung.recognise(original, jobs=jobs))
    except StepUnavailable as exc:
        return _failed(original, ("ocr_unavailable", exc.message))
    except texterkennung.OcrFailed as exc:
        return _failed(original, ("ocr_failed", exc.message))


def _found(original: bytes, result: texterkennung.Texterkennung) -> Erkennung:
    return Erkennung(
        original,
        result.pdf,
        list(result.page_texts),
        result.ocr_done,
        result.pdfa,
        list(result.rotated_pages),
        result.seconds,
    )


def _failed(original: bytes, problem: tuple[str, str]) -> Erkennung:
    return Erkennung(original, None, [], False, False, [], 0.0, problem)


# --- one document: what it is and where it belongs ----------------------------------------


@dataclass(frozen=True)
class Rueckpost:
    """Returned mail (Rückläufer): why it came back, who says so (``lieferschein``,
    ``vermerk``: the Post's note read, ``poststelle``), and why it cannot be booked to its
    letter (None: it can)."""

    grund: str
    quelle: str
    problem: str | None = None


LIEFERSCHEIN_GRUND = "Rückläufer laut Lieferschein"
NO_LETTER_CODE = (
    "Rückläufer laut Lieferschein, aber kein Antwortcode eines koffer-Briefs gelesen: "
    "bitte den Brief im Scan nachsehen und von Hand zuordnen."
)


@dataclass(frozen=True)
class Einschaetzung:
    """What the text and codes say: koffer's reply code, identifiers, kind, Akten, and
    whether it is one of koffer's letters come back."""

    antwortcode: antwortcode.Antwortcode | None
    merkmale: merkmale.Merkmale
    art: dokumentart.Art
    vorschlaege: list[zuordnung.Vorschlag]
    rueckpost: Rueckpost | None = None


def assess(
    tenant_id: uuid.UUID, text: str, page_codes: Sequence[str], *, rueckpost_marked: bool = False
) -> Einschaetzung:
    """Reads the E-Akte (the suggestion), writes nothing. A reply code of another Mandant
    or a forged one counts as none. ``rueckpost_marked``: the Lieferschein says the
    document is returned mail."""
    reply = None
    for raw in page_codes:
        decoded = antwortcode.decode(raw)
        if decoded is not None and decoded.tenant_id == tenant_id:
            reply = decoded
            break
    found = merkmale.extract(text)
    return Einschaetzung(
        reply,
        found,
        dokumentart.classify(text),
        zuordnung.suggest(tenant_id, found),
        returned(reply, text, marked=rueckpost_marked),
    )


def rueckpost_marked(stapel: Stapel, datei: Stapeldatei) -> bool:
    """The Lieferschein says the file holds returned mail (the batch's ``art`` or the
    file's ``rueckpost``)."""
    return stapel.art == Stapel.Art.RUECKPOST or datei.rueckpost


def returned(reply: antwortcode.Antwortcode | None, text: str, *, marked: bool) -> Rueckpost | None:
    """Whether a document is one of koffer's letters come back: its reply code names the
    letter, and the Lieferschein marks it or the Post's note is read in its text. Only
    such documents are read for the note, so a reply is never taken for returned mail
    because of a word in it."""
    if reply is None or reply.letter_id is None:
        return Rueckpost(LIEFERSCHEIN_GRUND, "lieferschein", NO_LETTER_CODE) if marked else None
    reasons = rueckvermerk.erkennen(text)
    if not reasons and not marked:
        return None
    grund = rueckvermerk.grund(reasons) if reasons else LIEFERSCHEIN_GRUND
    problem = rueckpost.pruefen(reply.tenant_id, reply.akte_id, reply.letter_id)
    return Rueckpost(grund, "lieferschein" if marked else "vermerk", problem)


@dataclass(frozen=True)
class Entscheidung:
    """Where the document goes: an Akte (and Vorgang) with the rule that chose it, or
    triage with the reason."""

    akte_id: uuid.UUID | None
    vorgang_id: uuid.UUID | None
    rule: str
    reason: str


RUECKLAEUFER_RULE = "Rückläufer eines koffer-Briefs (Antwortcode)"


def percent(value: float) -> str:
    return f"{round(value * 100)} %"


def decide(found: Einschaetzung, regeln: Regeln, problem: tuple[str, str] | None) -> Entscheidung:
    """Koffer's own reply code files at once (returned mail into its letter's Akte,
    unless that letter is unknown); otherwise the best suggestion when its confidence
    reaches the Mandant's threshold; otherwise triage, saying why."""
    if found.rueckpost is not None and found.rueckpost.problem:
        return Entscheidung(None, None, "", found.rueckpost.problem)
    if found.antwortcode is not None:
        return Entscheidung(
            found.antwortcode.akte_id,
            found.antwortcode.vorgang_id,
            RUECKLAEUFER_RULE if found.rueckpost else "Antwortcode eines koffer-Schreibens",
            "",
        )
    best = found.vorschlaege[0] if found.vorschlaege else None
    if best is not None and best.confidence >= regeln.auto_threshold:
        return Entscheidung(
            best.akte_id,
            best.vorgang_id,
            f"Zuordnung mit Sicherheit {percent(best.confidence)} "
            f"(Schwelle {percent(regeln.auto_threshold)})",
            "",
        )
    reasons = [problem[1]] if problem else []
    if best is None:
        reasons.append("Keine passende Akte erkannt.")
    else:
        reasons.append(
            f"Vorschlag mit Sicherheit {percent(best.confidence)}, unter der Schwelle von "
            f"{percent(regeln.auto_threshold)} für die automatische Ablage."
        )
    return Entscheidung(None, None, "", " ".join(reasons))
