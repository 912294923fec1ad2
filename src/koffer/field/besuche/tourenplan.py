"""The route sheet (Tourenplan): a field worker's visits of one day in order, on A4, with
what to take along and a box „erledigt“ to tick by hand. Tagged PDF/A-2a (PDF/UA-1,
German); only tagged if the PDF/A check does not confirm it. Data reaches typst as JSON
only, never as markup."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

from koffer.field.besuche.selectors import Besuchszeile
from koffer.formats import counted
from koffer.pdf import pdfa, typesetting

logger = logging.getLogger(__name__)

WOCHENTAGE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")

TOURENPLAN_TYP = """
#let muted = luma(80)
#set document(title: "Tourenplan " + d.datum + " – " + d.aussendienst, author: d.mandant)
#set text(size: 9pt)
#set par(leading: 0.5em, justify: false)
#set page(
  paper: "a4",
  margin: (left: 15mm, right: 15mm, top: 15mm, bottom: 18mm),
  footer: context {
    set text(size: 7.5pt, fill: muted)
    grid(
      columns: (1fr, auto),
      [Tourenplan #d.datum · #d.aussendienst · vertraulich (personenbezogene Daten)],
      [Seite #here().page() von #counter(page).final().first()],
    )
  },
)

#text(size: 11pt, weight: "bold", d.mandant)
#v(4mm)
#heading(level: 1, text(size: 18pt)[Tourenplan #d.wochentag, #d.datum])
#v(2mm)
#table(
  columns: (auto, 1fr),
  column-gutter: 6mm,
  stroke: none,
  inset: (x: 0pt, y: 2pt),
  ..d.angaben.map(a => (text(fill: muted, a.at(0)), a.at(1))).flatten()
)
#v(3mm)
#if d.besuche.len() == 0 [
  Für diesen Tag sind keine Hausbesuche geplant.
] else [
#table(
  columns: (auto, 1.25fr, 1.35fr, 1fr, auto),
  column-gutter: 1.5mm,
  stroke: (x, y) => if y == 0 { (bottom: 0.8pt) } else { (bottom: 0.3pt + luma(150)) },
  inset: (x: 2.5pt, y: 4pt),
  align: left + top,
  table.header(
    text(weight: "bold")[Nr. Zeit],
    text(weight: "bold")[Person, Anschrift, Telefon],
    text(weight: "bold")[Akte, Anlass, Hinweise],
    text(weight: "bold")[Mitnehmen],
    text(weight: "bold")[erledigt],
  ),
  ..d.besuche.map(b => (
    [#strong(b.nr) \\ #b.zeit],
    [#strong(b.name) \\ #b.anschrift #if b.telefon != "" [\\ Tel. #b.telefon]],
    [#b.aktenzeichen #if b.im_koffer [(im Koffer)] \\ #b.anlass #if b.hinweise != "" [\\ #text(style: "italic")[Hinweis: #b.hinweise]]],
    if b.formulare.len() == 0 [–] else [#for f in b.formulare [• #f \\ ]],
    align(center, box(width: 5mm, height: 5mm, stroke: 0.8pt)),
  )).flatten()
)
]
"""


def _zeile(nr: int, z: Besuchszeile) -> dict[str, Any]:
    b = z.besuch
    return {
        "nr": f"{nr}.",
        "zeit": f"{b.uhrzeit:%H:%M} Uhr" if b.uhrzeit else "ohne Zeit",
        "name": z.name,
        "anschrift": z.anschrift or "keine Anschrift in der Akte",
        "telefon": z.telefon,
        "aktenzeichen": b.akte.aktenzeichen,
        "im_koffer": z.im_koffer,
        "anlass": b.anlass,
        "hinweise": b.hinweise,
        "formulare": [f.titel for f in z.formulare],
    }


def data(
    *, mandant: str, aussendienst: str, datum: date, zeilen: Sequence[Besuchszeile]
) -> dict[str, Any]:
    """Plain data of the route sheet (also what a test reads back)."""
    return {
        "mandant": mandant,
        "aussendienst": aussendienst,
        "datum": f"{datum:%d.%m.%Y}",
        "wochentag": WOCHENTAGE[datum.weekday()],
        "angaben": [
            ["Außendienst", aussendienst],
            ["Hausbesuche", counted(len(zeilen), "Besuch", "Besuche")],
        ],
        "besuche": [_zeile(i, z) for i, z in enumerate(zeilen, start=1)],
    }


def render(
    *, mandant: str, aussendienst: str, datum: date, zeilen: Sequence[Besuchszeile]
) -> bytes:
    """The route sheet as a tagged PDF; PDF/A-2a only if the check confirms it."""
    values = data(mandant=mandant, aussendienst=aussendienst, datum=datum, zeilen=zeilen)
    pdf = typesetting.typeset(
        TOURENPLAN_TYP, values, standards=typesetting.TAGGED_PDFA, tagged=True
    )
    report = pdfa.check(pdf)
    if report.ok:
        return pdf
    logger.warning("Tourenplan ohne PDF/A-Kennzeichnung erstellt: %s", report.summary())
    return typesetting.typeset(TOURENPLAN_TYP, values, standards=typesetting.TAGGED, tagged=True)
