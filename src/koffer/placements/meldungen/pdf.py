"""The Eingangsbestätigung (receipt) of a § 47 SGB VIII notification as a tagged PDF:
PDF/A-2a and PDF/UA-1 (BITV: a receipt for citizens must be readable with a screen
reader), with a structure tree, the document language German and a title.

No database here: :func:`render_quittung` takes plain data and returns bytes. User text
(Betreff, names) reaches typst only as JSON data (``sys.inputs``), never as markup, so a
Betreff like ``#set`` or ``$x$`` is printed as written.

Layout: columns whose content has a known shape (figures, headers) are ``auto``, i.e. as
wide as their widest cell in the font actually used, so nothing overlaps on the DejaVu
fallback either.
"""

from __future__ import annotations

from typing import Any

from koffer.pdf import typesetting

QUITTUNG_TYP = """
#let muted = luma(80)
#set document(title: "Eingangsbestätigung " + d.nummer, author: d.landesjugendamt)
#set text(size: 10pt)
#set par(leading: 0.6em, justify: false)
#set page(
  paper: "a4",
  margin: (left: 25mm, right: 20mm, top: 20mm, bottom: 22mm),
  footer: context {
    set text(size: 7.5pt, fill: muted)
    grid(
      columns: (1fr, auto),
      [Eingangsbestätigung #d.nummer · #d.landesjugendamt],
      [Seite #here().page() von #counter(page).final().first()],
    )
  },
)

#grid(
  columns: (1fr, auto),
  gutter: 8mm,
  [
    #text(size: 12.5pt, weight: "bold", d.landesjugendamt)
    \\ #text(size: 9pt, fill: muted)[Aufsicht über Einrichtungen (§§ 45 ff. SGB VIII)]
  ],
  align(right, text(size: 9pt)[Erstellt am #d.erstellt]),
)
#v(14mm)
#text(size: 9pt, fill: muted, tracking: 0.08em, upper("Meldung nach § 47 SGB VIII"))
#v(1mm)
#text(size: 24pt, weight: "bold")[Eingangsbestätigung]
#v(3mm)
#block(width: 100%, text(size: 11pt)[
  Die folgende Meldung ist am #d.eingang_datum um #d.eingang_zeit Uhr elektronisch beim
  #d.landesjugendamt eingegangen.
])
#v(5mm)
#line(length: 100%, stroke: 0.6pt)
#table(
  columns: (52mm, 1fr),
  column-gutter: 3mm,
  stroke: none,
  inset: (x: 0pt, y: 4.5pt),
  ..d.angaben.map(a => (
    text(fill: muted, a.at(0)),
    if a.at(2) == "fett" { text(weight: "bold", a.at(1)) }
    else if a.at(2) == "mono" { text(font: ("DejaVu Sans Mono", "Liberation Mono"), size: 8.5pt, a.at(1)) }
    else { a.at(1) },
  )).flatten()
)
#line(length: 100%, stroke: 0.6pt)

#if d.jahr != none {
  v(5mm)
  text(size: 12pt, weight: "bold")[Gemeldete Belegungszahlen #d.jahr.jahr]
  v(1mm)
  text(size: 9pt, fill: muted)[Zeitraum #d.jahr.zeitraum · aus den Belegungen der Platzbörse, vom Träger bestätigt]
  v(2mm)
  if d.jahr.zeilen.len() < 2 { text(size: 9pt)[Im Berichtsjahr gab es keine Plätze und keine Belegungen.]; v(2mm) }
  table(
    columns: (1fr, auto, auto, auto, auto, auto, auto),
    stroke: (x, y) => if y == 0 { (bottom: 0.8pt) } else if y == d.jahr.zeilen.len() { (top: 0.8pt) } else { (bottom: 0.3pt + luma(175)) },
    inset: (x: 3pt, y: 4pt),
    align: (x, y) => if x == 0 { left + top } else { right + top },
    table.header(
      text(weight: "bold", size: 8.5pt)[Angebot],
      text(weight: "bold", size: 8.5pt)[Plätze],
      text(weight: "bold", size: 8.5pt)[Platztage],
      text(weight: "bold", size: 8.5pt)[Belegungstage],
      text(weight: "bold", size: 8.5pt)[Auslastung],
      text(weight: "bold", size: 8.5pt)[Aufn.],
      text(weight: "bold", size: 8.5pt)[Entl.],
    ),
    ..d.jahr.zeilen.enumerate().map(((i, z)) => {
      let w = if i == d.jahr.zeilen.len() - 1 { "bold" } else { "regular" }
      z.map(c => text(size: 8.5pt, weight: w, c))
    }).flatten()
  )
}

#v(1fr)
#block(width: 100%, {
  set text(size: 8.5pt, fill: muted)
  set par(leading: 0.55em)
  text(weight: "bold")[Hinweise]
  v(1.5mm)
  list(spacing: 1.6mm, marker: [–], ..d.hinweise)
})
"""


def render_quittung(data: dict[str, Any]) -> bytes:
    """The receipt as tagged PDF/A-2a and PDF/UA-1 bytes. ``data``: ``landesjugendamt``, ``nummer``,
    ``erstellt``, ``eingang_datum``, ``eingang_zeit``, ``angaben`` (rows of label, value,
    style: "", "fett" or "mono"), ``jahr`` (None or ``{"jahr", "zeitraum", "zeilen"}``),
    ``hinweise`` (list of str)."""
    return typesetting.typeset(QUITTUNG_TYP, data, standards=typesetting.TAGGED_PDFA, tagged=True)
