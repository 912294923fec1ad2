"""A message as the PDF/A the Akte keeps: who, when, about which Vorgang, the text."""

from __future__ import annotations

import io

import pikepdf

from koffer.pdf.typesetting import PDFA_2B, typeset

QUELLE = """
#set page(paper: "a4", margin: 2.5cm)
#set text(lang: "de", size: 11pt)
#text(size: 9pt)[#d.mandant]
#heading(level: 1, d.titel)
#table(
  columns: 2,
  stroke: none,
  ..d.kopf.map(z => (strong(z.at(0)), z.at(1))).flatten()
)
#line(length: 100%)
#for absatz in d.absaetze [
  #absatz
  #parbreak()
]
"""


def nachricht_pdf(*, mandant: str, titel: str, kopf: list[tuple[str, str]], text: str) -> bytes:
    absaetze = [" ".join(a.split()) for a in text.replace("\r\n", "\n").split("\n\n")]
    return typeset(
        QUELLE,
        {
            "mandant": mandant,
            "titel": titel,
            "kopf": [list(z) for z in kopf],
            "absaetze": [a for a in absaetze if a],
        },
        standards=PDFA_2B,
        tagged=False,
    )


def seiten(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)
