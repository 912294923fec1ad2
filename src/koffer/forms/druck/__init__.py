# STAND-IN: replaced by the druck helper's module at merge
"""A form as PDF (stand-in): a short typst document listing each shown field's label and
value, so that a submission can be filed before the real print layout arrives."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from koffer.forms.definition import Definition, text_de
from koffer.outbox.satz.brief import Briefkopf
from koffer.pdf import typesetting

STAND_IN_TYP = """
#set document(title: d.titel, author: d.behoerde)
#set text(size: 10pt)
#set page(paper: "a4", margin: (left: 25mm, right: 20mm, top: 20mm, bottom: 20mm))
#text(size: 9pt, d.behoerde)
#v(6mm)
#heading(level: 1, d.titel)
#for (label, wert) in d.kopfzeilen [
  #label: #wert \\
]
#v(4mm)
#for s in d.schritte [
  #heading(level: 2, s.titel)
  #for (label, wert) in s.felder [
    #strong(label): #wert \\
  ]
]
"""


def _zeige(wert: Any) -> str:
    if wert is None:
        return ""
    if isinstance(wert, bool):
        return "ja" if wert else "nein"
    if isinstance(wert, list):
        return "; ".join(_zeige(w) for w in wert)
    if isinstance(wert, dict):
        return ", ".join(f"{k}: {_zeige(v)}" for k, v in wert.items())
    return str(wert)


def formular_pdf(
    definition: Definition,
    werte: Mapping[str, Any] | None,
    *,
    briefkopf: Briefkopf | None = None,
    antwortcode: str | None = None,
    kopfzeilen: Sequence[tuple[str, str]] = (),
    heute: date,
) -> bytes:
    """The form as a tagged PDF/A-2a: filled with ``werte`` or, with None, empty."""
    schritte = [
        {
            "titel": text_de(schritt.titel),
            "felder": [
                [text_de(feld.label), _zeige((werte or {}).get(feld.id))]
                for feld in schritt.felder
                if feld.hat_wert
            ],
        }
        for schritt in definition.schritte
    ]
    data = {
        "titel": text_de(definition.titel),
        "behoerde": briefkopf.behoerde if briefkopf is not None else "",
        "kopfzeilen": [list(z) for z in kopfzeilen]
        + ([["Antwortcode", antwortcode]] if antwortcode else []),
        "schritte": schritte,
        "heute": heute.isoformat(),
    }
    return typesetting.typeset(STAND_IN_TYP, data, standards=typesetting.TAGGED_PDFA, tagged=True)
