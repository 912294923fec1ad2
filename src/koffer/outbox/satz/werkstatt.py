"""A letter typeset and checked in one go (:func:`fertig`), and a pool of child processes
that does this on the machine's other cores (:class:`Satzpool`), so that a serial letter's
typesetting runs beside the database work of the letters before it.

Pure like the rest of ``satz``: a child imports no models and opens no database; it gets
a :class:`Briefsatz` and gives back a :class:`Fertig` (both plain frozen data, pickled
across the pipe). Children are started with ``spawn``: a fork of a process holding
database connections and typst's threads would inherit both.
"""

from __future__ import annotations

import io
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType

import pypdfium2

from koffer.outbox.satz.brief import Briefsatz
from koffer.outbox.satz.pruefung import Befund, portoklasse, pruefe
from koffer.outbox.satz.satz import Satzfehler, setze
from koffer.pdf.pdfium import LOCK as PDFIUM_LOCK
from koffer.pdf.pdfium import page_text


@dataclass(frozen=True)
class Fertig:
    """A typeset letter: its PDF (empty when typst refused the body), the text read back
    (for the search; empty without ``mit_text``), its pages, the check's findings (empty:
    fine to send) and the postage class ("" when none fits)."""

    pdf: bytes
    text: str
    seiten: int
    befunde: tuple[Befund, ...]
    portoklasse: str


def fertig(data: Briefsatz, *, duplex: bool, mit_text: bool = True) -> Fertig:
    """Typeset ``data``, check it and read its pages (and text) back."""
    try:
        pdf = setze(data)
    except Satzfehler as exc:
        message = f"Die Vorlage lässt sich nicht setzen: {exc}"
        return Fertig(b"", "", 0, (Befund("satzfehler", message, ""),), "")
    found = pruefe(data, pdf, duplex=duplex)
    pages, text = _pages_and_text(pdf, mit_text=mit_text)
    porto = portoklasse(pages, duplex=duplex)
    return Fertig(pdf, text, pages, tuple(found), porto.name if porto is not None else "")


def _pages_and_text(pdf: bytes, *, mit_text: bool) -> tuple[int, str]:
    with PDFIUM_LOCK:
        doc = pypdfium2.PdfDocument(io.BytesIO(pdf))
        try:
            if not mit_text:
                return len(doc), ""
            texts = []
            for page in doc:
                texts.append(page_text(page))
                page.close()
            return len(texts), "\n\f".join(texts)
        finally:
            doc.close()


def _fertig_im_kind(data: Briefsatz, duplex: bool) -> Fertig:
    return fertig(data, duplex=duplex)


class Satzpool:
    """``prozesse`` child processes typesetting letters. Use as a context manager; a
    letter handed in with :meth:`setze` comes back as a future of its :class:`Fertig`.
    When a child dies, its futures raise (``BrokenProcessPool``): the caller typesets
    those letters itself."""

    def __init__(self, prozesse: int) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=prozesse, mp_context=multiprocessing.get_context("spawn")
        )

    def setze(self, data: Briefsatz, *, duplex: bool) -> Future[Fertig]:
        return self._executor.submit(_fertig_im_kind, data, duplex)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Satzpool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
