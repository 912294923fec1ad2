"""The Deckblätter (cover sheets) of a Rückscan as one printable PDF, a sheet per Akte.

Each sheet carries the Akte's QR code (:mod:`koffer.inbox.rueckscan.deckblatt`, 55 mm
wide: about 1.3 mm a module, far above the 0.5 mm the pipeline reads every time), its
Aktenzeichen, title and unit in large print, and what the scan provider does with it.
No database here: plain data in, bytes out. User text (titles, names) reaches typst only
as JSON data, never as markup. Tagged PDF/A-2a and PDF/UA-1 like koffer's other printed
forms; the QR code has its text as alternative text.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from koffer.inbox.rueckscan import deckblatt
from koffer.pdf import typesetting

INSTRUCTION = [
    "Dieses Deckblatt liegt vor der ersten Seite der Papierakte. Scannen Sie es mit: Es "
    "ordnet die folgenden Seiten der Akte zu.",
    "Scannen Sie die Akte vollständig und in der vorliegenden Reihenfolge, jede Seite "
    "einzeln; leere Rückseiten dürfen entfallen. Heft- und Büroklammern vorher entfernen.",
    "Das nächste Deckblatt beginnt die nächste Akte. Legen Sie zwischen zwei Akten kein "
    "Trennblatt ein.",
    "Im Lieferschein des Stapels steht „art“: „rueckscan“.",
]

DECKBLATT_TYP = """
#set document(title: d.titel, author: d.mandant)
#set page(paper: "a4", margin: (left: 22mm, right: 22mm, top: 20mm, bottom: 20mm))
#set par(justify: false, leading: 0.6em)
#for (i, s) in d.blaetter.enumerate() {
  if i > 0 { pagebreak() }
  text(size: 11pt, fill: luma(60), tracking: 0.06em, upper("Rückscan · Deckblatt"))
  h(1fr)
  text(size: 11pt, fill: luma(60), d.mandant)
  v(10mm)
  align(center, image(bytes(s.qr), format: "svg", width: 55mm, alt: "QR-Code für Akte " + s.aktenzeichen))
  v(8mm)
  align(center, text(size: 34pt, weight: "bold", s.aktenzeichen))
  v(4mm)
  align(center, block(width: 100%, text(size: 20pt, s.titel)))
  v(3mm)
  align(center, text(size: 16pt, s.einheit))
  if s.standort != s.einheit { align(center, text(size: 13pt, fill: luma(60), "Standort: " + s.standort)) }
  v(1fr)
  block(width: 100%, stroke: 0.8pt, inset: 5mm, radius: 1mm, {
    set text(size: 11pt)
    text(weight: "bold", size: 12pt)[Hinweis für den Scan-Dienstleister]
    v(2mm)
    list(spacing: 2mm, ..d.hinweise)
  })
  v(4mm)
  text(size: 9pt, fill: luma(60), "Gedruckt am " + d.gedruckt + " · Blatt " + str(i + 1) + " von " + str(d.blaetter.len()))
}
"""


@dataclass(frozen=True)
class Blatt:
    """What one sheet shows: the Akte's Aktenzeichen and title, its unit and Standort."""

    aktenzeichen: str
    titel: str
    einheit: str
    standort: str


def render(
    *, tenant_id: uuid.UUID, mandant: str, blaetter: Sequence[Blatt], gedruckt: str
) -> bytes:
    """The sheets as one PDF, in the order given. ``gedruckt``: the day, as printed."""
    data = {
        "titel": "Rückscan-Deckblätter" if len(blaetter) > 1 else "Rückscan-Deckblatt",
        "mandant": mandant,
        "gedruckt": gedruckt,
        "hinweise": INSTRUCTION,
        "blaetter": [
            {
                "aktenzeichen": b.aktenzeichen,
                "titel": b.titel,
                "einheit": b.einheit,
                "standort": b.standort,
                "qr": deckblatt.qr_svg(deckblatt.encode(tenant_id, b.aktenzeichen)),
            }
            for b in blaetter
        ],
    }
    return typesetting.typeset(DECKBLATT_TYP, data, standards=typesetting.TAGGED_PDFA, tagged=True)
