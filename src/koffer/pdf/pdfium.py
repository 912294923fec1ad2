"""One lock for every use of pdfium in a process. pdfium is not thread-safe (pypdfium2 says
so: no two threads in it at once, even on different documents), and the Posteingang
recognises two documents at a time in threads (``inbox.verarbeitung.tasks``): every call
into pdfium from code that may run in such a thread holds :data:`LOCK`."""

from __future__ import annotations

import threading
from typing import Any

LOCK = threading.RLock()


def page_text(page: Any) -> str:
    """The text pdfium finds on ``page`` (a pypdfium2 page; the caller closes it and
    holds :data:`LOCK`), with line ends as ``\\n`` and without surrounding white space."""
    textpage = page.get_textpage()
    try:
        return str(textpage.get_text_range()).replace("\r\n", "\n").strip()
    finally:
        textpage.close()
