"""One PDF of many letters for a mobile printer: the filed PDFs one after the other,
unchanged; printed on both sides, each letter starts on a front page (a blank page is put
after a letter with an odd number of pages), so the letters can be separated."""

from __future__ import annotations

import io
from collections.abc import Iterable
from contextlib import ExitStack

import pikepdf


def zusammenfuegen(pdfs: Iterable[bytes], *, duplex: bool) -> bytes:
    """The PDFs in order as one; with ``duplex`` every one starts on an odd page."""
    with ExitStack() as stack, pikepdf.new() as out:
        for data in pdfs:
            src = stack.enter_context(pikepdf.open(io.BytesIO(data)))
            if duplex and len(out.pages) % 2:
                last = out.pages[-1].mediabox
                out.add_blank_page(page_size=(float(last[2]), float(last[3])))
            out.pages.extend(src.pages)
        buffer = io.BytesIO()
        out.save(buffer)
    return buffer.getvalue()
