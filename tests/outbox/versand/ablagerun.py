"""The drop folder's writer as a process of its own, for the kill test
(``test_ablage_prozesse.py``): writes a ZIP of ``MB`` megabytes into the folder given,
one chunk at a time, printing a line after each chunk so that the test can kill it while
it writes."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import django

MB = 8
CHUNK = 1024 * 1024


class Langsam(io.RawIOBase):
    """A source that says how far it got: the test kills the writer in the middle."""

    def __init__(self) -> None:
        self.left = MB

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if not self.left:
            return b""
        self.left -= 1
        print(f"gelesen {MB - self.left}", flush=True)
        return b"x" * CHUNK


def main(target: Path) -> None:
    from koffer.outbox.versand import ordner

    ordner.atomar_schreiben(target, Langsam())  # type: ignore[arg-type]
    print("fertig", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koffer.settings")
    django.setup()
    main(Path(sys.argv[1]))
