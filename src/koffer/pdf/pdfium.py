"""One lock for every use of pdfium in a process. pdfium is not thread-safe (pypdfium2 says
so: no two threads in it at once, even on different documents), and the Posteingang
recognises two documents at a time in threads (``inbox.verarbeitung.tasks``): every call
into pdfium from code that may run in such a thread holds :data:`LOCK`."""

from __future__ import annotations

import threading

LOCK = threading.RLock()
