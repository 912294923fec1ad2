"""The trial typesetting of a template version before it is published: its body compiled
by typst inside a minimal wrapper whose ``wert(key)`` returns sample text for every
placeholder, so that a typst mistake (an unclosed ``*``, an unknown function, a wrong
argument) is found while the administrator still looks at the text, never first when a
caseworker writes a letter. typst's position of the mistake is mapped back
(``Uebersetzt.herkunft``) to the line and column the administrator wrote, in the template
or in a text block.

The compile runs in a child process with memory, CPU and time limits and an empty root
folder (``probesatz_kind``): the text is the administrator's, typst code can loop.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings

from koffer.childprocess import run_bounded
from koffer.outbox.vorlagen import sprache
from koffer.pdf import typesetting
from koffer.pdf.fonts import font_dirs

logger = logging.getLogger(__name__)
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])

# What the trial shows for each kind of field the writer fills in.
BEISPIEL_JE_TYP = {"text": "Beispieltext", "betrag": "1.234,56 EUR", "datum": "31.12.2026"}
BEISPIEL = "Beispiel"

# The values are data (sys.inputs), never markup: like the real letter (``outbox.satz``).
WRAPPER = '#let wert(key) = d.werte.at(key, default: "' + BEISPIEL + '")\n'
_SKIP_LINES = typesetting.PRELUDE.count("\n") + WRAPPER.count("\n")
# typst names the compiled bytes so; the line is 1-based, the column counts characters
# from 0 (measured with typst 0.15).
_WHERE = re.compile(r"__typst_py_bytes__\.typ:(\d+):(\d+)")
_ZU_LANG = (
    "Der Probesatz braucht zu lange oder zu viel Speicher (eine Schleife über sehr viele "
    "Werte?). Bitte vereinfachen Sie den Text."
)


def beispielwerte(felder: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """Sample text for every placeholder of the catalogue and every field of a version."""
    werte = {key: BEISPIEL for key in sprache.KATALOG}
    werte["person.name"] = "Erika Mustermann"
    werte["akte.aktenzeichen"] = "AZ 0000/2026"
    werte["brief.datum"] = "01.12.2026"
    for feld in felder:
        werte[sprache.EINGABE + feld["key"]] = BEISPIEL_JE_TYP.get(feld["typ"], BEISPIEL)
    return werte


def pruefe_satz(
    uebersetzt: sprache.Uebersetzt,
    *,
    text: str,
    bausteine: Mapping[str, str],
    felder: Iterable[Mapping[str, str]],
) -> None:
    """Compile ``uebersetzt.text_satz`` with sample values; a typst error becomes a
    :class:`sprache.Vorlagenfehler` at the line and column of what the administrator
    wrote (in a text block: the block's code, its own line and column)."""
    found = _im_kind(
        typesetting.PRELUDE + WRAPPER + uebersetzt.text_satz,
        {"werte": beispielwerte(felder)},
    )
    if found is not None:
        raise _fehler(found, uebersetzt, text=text, bausteine=bausteine)


def _im_kind(source: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """typst's complaint about ``source`` (``message``, ``hints``, ``diagnostic``; or
    ``eigen``, ours, when the child hit a limit), or None; compiled in the bounded child
    (``probesatz_kind``)."""
    with tempfile.TemporaryDirectory() as folder:
        job = Path(folder) / "probesatz.json"
        job.write_text(
            json.dumps(
                {
                    "source": source,
                    "inputs": {"data": json.dumps(data, ensure_ascii=False)},
                    "fonts": list(font_dirs()),
                }
            ),
            encoding="utf-8",
        )
        command = [
            sys.executable,
            "-m",
            "koffer.outbox.vorlagen.probesatz_kind",
            str(settings.KOFFER_PROBESATZ_MEMORY_BYTES),
            str(settings.KOFFER_PROBESATZ_SECONDS),
            str(job),
        ]
        # koffer importable in the child wherever this process found it (tests, serve)
        path = os.pathsep.join(p for p in [_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")] if p)
        try:
            done = run_bounded(
                command,
                timeout=settings.KOFFER_PROBESATZ_SECONDS + 5,
                env={**os.environ, "PYTHONPATH": path},
            )
        except subprocess.TimeoutExpired:
            return {"eigen": _ZU_LANG}
    if done.returncode != 0:
        # Killed by its CPU limit (SIGXCPU) or out of memory: the text asks too much.
        logger.warning("Probesatz beendet mit %s: %s", done.returncode, done.stderr[-300:])
        return {"eigen": _ZU_LANG}
    found: dict[str, Any] = json.loads(done.stdout or b"{}")
    return found or None


def _fehler(
    found: dict[str, Any],
    uebersetzt: sprache.Uebersetzt,
    *,
    text: str,
    bausteine: Mapping[str, str],
) -> sprache.Vorlagenfehler:
    if "eigen" in found:  # the child stopped by its limits: no position to show
        return sprache.Vorlagenfehler(found["eigen"], 1, 1)
    message = f"Der Satz scheitert: {found['message']}"
    hints = [h for h in found.get("hints", []) if h]
    if hints:
        message += f" (Hinweis: {hints[0]})"
    where = _WHERE.search(found.get("diagnostic", ""))
    if where is None:
        return sprache.Vorlagenfehler(message, 1, 1)
    line = int(where.group(1)) - _SKIP_LINES
    column = int(where.group(2)) + 1
    if line < 1:  # in the wrapper: nothing the administrator wrote
        return sprache.Vorlagenfehler(message, 1, 1)
    line, column, block = uebersetzt.herkunft(line, column, text=text, bausteine=bausteine)
    return sprache.Vorlagenfehler(message, line, column, block)
