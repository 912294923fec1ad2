"""typst, set up once for every PDF koffer typesets: the compiler, its fonts and how data
reaches a source.

Data reaches a source only as JSON in ``sys.inputs.data``, never as markup, so user text
like ``#set`` or ``$x$`` is printed as written. A source reads no files: its root (where
``read``, ``image`` and ``include`` look, and beyond which typst refuses any path) is an
empty folder of this process, so markup an administrator writes (a letter template) cannot
read ``/etc/passwd`` or the project's files. Fonts come from
:func:`koffer.pdf.fonts.font_dirs` only (system fonts would make the output differ between
machines); without them typst falls back to its embedded fonts.
"""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
import threading
from collections.abc import Sequence
from typing import Any

import typst

from koffer.pdf.fonts import font_dirs

# PDF/A-2a (archival, tagged) and PDF/UA-1 (accessible): what people read on screen.
TAGGED_PDFA: list[typst.PDFStandard] = ["a-2a", "ua-1"]
# Still accessible, no archival claim (when the PDF/A check did not confirm it).
TAGGED: list[typst.PDFStandard] = ["ua-1"]
# PDF/A-2b: pages that are merged into a larger archival file (the Aktenauszug).
PDFA_2B: list[typst.PDFStandard] = ["a-2b"]

# Put before every source: ``d``, the data; the house fonts (:mod:`koffer.pdf.fonts`; if
# neither is installed, typst's own Libertinus Serif), German text.
PRELUDE = """
#let d = json(bytes(sys.inputs.data))
#let sans = ("Liberation Sans", "DejaVu Sans", "Libertinus Serif")
#set text(font: sans, lang: "de", region: "DE")
"""

# One compiler per set of font folders: building one reads every font; the lock because
# a compiler is not meant to be shared by threads.
_compilers: dict[tuple[str, ...], typst.Compiler] = {}
_lock = threading.Lock()


@functools.cache
def _empty_root() -> str:
    """An empty folder only this process's user can write, removed when the process ends."""
    folder = tempfile.mkdtemp(prefix="koffer-typst-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def typeset(
    source: str,
    data: dict[str, Any],
    *,
    standards: Sequence[typst.PDFStandard],
    tagged: bool,
) -> bytes:
    """Compile :data:`PRELUDE` and ``source`` with ``data`` as ``sys.inputs.data`` (JSON)
    into PDF bytes that claim ``standards``; ``tagged`` adds the structure tree (needed for
    PDF/UA and PDF/A-a)."""
    inputs = {"data": json.dumps(data, ensure_ascii=False)}
    fonts = tuple(font_dirs())
    with _lock:
        compiler = _compilers.get(fonts)
        if compiler is None:
            compiler = _compilers[fonts] = typst.Compiler(
                font_paths=list(fonts), ignore_system_fonts=True
            )
        result = compiler.compile(
            input=(PRELUDE + source).encode(),
            sys_inputs=inputs,
            pdf_standards=list(standards),
            pdf_tags=tagged,
            root=_empty_root(),
        )
    assert isinstance(result, bytes)
    return result
