"""The trial typesetting of a template version before it is published: its body compiled
by typst inside a minimal wrapper whose ``wert(key)`` returns sample text for every
placeholder, so that a typst mistake (an unclosed ``*``, an unknown function, a wrong
argument) is found while the administrator still looks at the text, never first when a
caseworker writes a letter. typst's position of the mistake is mapped back
(``Uebersetzt.herkunft``) to the line and column the administrator wrote, in the template
or in a text block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import typst

from koffer.outbox.vorlagen import sprache
from koffer.pdf import typesetting

# What the trial shows for each kind of field the writer fills in.
BEISPIEL_JE_TYP = {"text": "Beispieltext", "betrag": "1.234,56 EUR", "datum": "31.12.2026"}
BEISPIEL = "Beispiel"

# The values are data (sys.inputs), never markup: like the real letter (``outbox.satz``).
WRAPPER = '#let wert(key) = d.werte.at(key, default: "' + BEISPIEL + '")\n'
_SKIP_LINES = typesetting.PRELUDE.count("\n") + WRAPPER.count("\n")
# typst names the compiled bytes so; the line is 1-based, the column counts characters
# from 0 (measured with typst 0.15).
_WHERE = re.compile(r"__typst_py_bytes__\.typ:(\d+):(\d+)")


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
    try:
        typesetting.typeset(
            WRAPPER + uebersetzt.text_satz,
            {"werte": beispielwerte(felder)},
            standards=[],
            tagged=False,
        )
    except typst.TypstError as exc:
        raise _fehler(exc, uebersetzt, text=text, bausteine=bausteine) from None


def _fehler(
    exc: typst.TypstError,
    uebersetzt: sprache.Uebersetzt,
    *,
    text: str,
    bausteine: Mapping[str, str],
) -> sprache.Vorlagenfehler:
    message = f"Der Satz scheitert: {exc.message}"
    hints = [h for h in (exc.hints or []) if h]
    if hints:
        message += f" (Hinweis: {hints[0]})"
    found = _WHERE.search(exc.diagnostic or "")
    if found is None:
        return sprache.Vorlagenfehler(message, 1, 1)
    line = int(found.group(1)) - _SKIP_LINES
    column = int(found.group(2)) + 1
    if line < 1:  # in the wrapper: nothing the administrator wrote
        return sprache.Vorlagenfehler(message, 1, 1)
    line, column, block = uebersetzt.herkunft(line, column, text=text, bausteine=bausteine)
    return sprache.Vorlagenfehler(message, line, column, block)
