"""The PDF protocol of a destruction (Vernichtungsprotokoll): which list, which paper
originals (batch, file, pages, since when destroyable), what became of each, who
destroyed them and when, and who confirmed it in koffer. Tagged PDF (PDF/UA-1, German);
PDF/A-2a only if :mod:`koffer.pdf.pdfa` confirms it, as the invoices do. Data reaches
typst as JSON only, never as markup."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from koffer.inbox.models import Vernichtungseintrag, Vernichtungsliste
from koffer.pdf import pdfa, typesetting

logger = logging.getLogger(__name__)

PROTOKOLL_TYP = """
#let muted = luma(80)
#set document(title: "Vernichtungsprotokoll " + d.nummer, author: d.mandant)
#set text(size: 9.5pt)
#set par(leading: 0.55em, justify: false)
#set page(
  paper: "a4",
  margin: (left: 22mm, right: 18mm, top: 18mm, bottom: 22mm),
  footer: context {
    set text(size: 7.5pt, fill: muted)
    grid(
      columns: (1fr, auto),
      [Vernichtungsprotokoll #d.nummer · #d.mandant],
      [Seite #here().page() von #counter(page).final().first()],
    )
  },
)

#text(size: 12pt, weight: "bold", d.mandant)
\\ #text(size: 9pt, fill: muted, d.einheit)
#v(10mm)
#text(size: 9pt, fill: muted, tracking: 0.08em, upper("Ersetzendes Scannen (BSI TR-RESISCAN)"))
#v(1mm)
#heading(level: 1, text(size: 20pt)[Vernichtungsprotokoll #d.nummer])
#v(3mm)
#table(
  columns: (auto, 1fr),
  column-gutter: 6mm,
  stroke: none,
  inset: (x: 0pt, y: 3pt),
  ..d.angaben.map(a => (text(fill: muted, a.at(0)), a.at(1))).flatten()
)
#v(4mm)
#heading(level: 2, text(size: 12pt)[Papieroriginale])
#v(1mm)
#table(
  columns: (auto, auto, 1fr, auto, auto, auto),
  column-gutter: 2mm,
  stroke: (x, y) => if y == 0 { (bottom: 0.8pt) } else { (bottom: 0.3pt + luma(175)) },
  inset: (x: 3pt, y: 4pt),
  align: left + top,
  table.header(
    text(weight: "bold", size: 8.5pt)[Nr.],
    text(weight: "bold", size: 8.5pt)[Stapel],
    text(weight: "bold", size: 8.5pt)[Datei, Seiten],
    text(weight: "bold", size: 8.5pt)[Scandatum],
    text(weight: "bold", size: 8.5pt)[Vernichtbar ab],
    text(weight: "bold", size: 8.5pt)[Ergebnis],
  ),
  ..d.eintraege.map(e => e.map(c => text(size: 8.5pt, c))).flatten()
)
#v(4mm)
#for h in d.hinweise { text(size: 8.5pt, fill: muted, h); linebreak() }
"""


def data(liste: Vernichtungsliste, entries: Sequence[Vernichtungseintrag]) -> dict[str, Any]:
    """Plain data of the protocol (also what a test reads back)."""
    counts: dict[str, int] = {}
    for e in entries:
        counts[e.get_state_display()] = counts.get(e.get_state_display(), 0) + 1
    destroyed_at = timezone.localtime(liste.destroyed_at) if liste.destroyed_at else None
    confirmed_at = timezone.localtime(liste.confirmed_at) if liste.confirmed_at else None
    return {
        "mandant": liste.tenant.name,
        "einheit": liste.unit.name,
        "nummer": liste.label,
        "angaben": [
            [
                "Vernichtungsliste",
                f"{liste.label} vom {timezone.localtime(liste.created_at):%d.%m.%Y}",
            ],
            ["Dienstleister", liste.provider.username],
            ["Vernichtet durch", liste.destroyed_by],
            ["Vernichtet am", f"{destroyed_at:%d.%m.%Y um %H:%M} Uhr" if destroyed_at else "–"],
            [
                "Bestätigt in koffer",
                f"{confirmed_at:%d.%m.%Y %H:%M} Uhr durch {liste.confirmed_by}"
                if confirmed_at and liste.confirmed_by
                else "–",
            ],
            ["Ergebnis", ", ".join(f"{n} {label}" for label, n in counts.items()) or "–"],
        ],
        "eintraege": [
            [
                str(e.position),
                e.stapel.batch_id,
                f"{e.dokument.datei.name}, {e.dokument.pages_label}"
                + (f" ({e.reason})" if e.reason else ""),
                f"{e.stapel.scan_date:%d.%m.%Y}",
                f"{e.due:%d.%m.%Y}",
                e.get_state_display(),
            ]
            for e in entries
        ],
        "hinweise": [
            "Vernichtet wurden nur die Papieroriginale, deren Scans geprüft im Posteingang "
            "liegen; zurückgezogene Originale („Original aufbewahren“, „Rechtliche Sperre“) "
            "sind nicht vernichtet.",
            "Die Bestätigung ist im Protokoll des Mandanten (Audit) aufgezeichnet.",
        ],
    }


def render(liste: Vernichtungsliste, entries: Sequence[Vernichtungseintrag]) -> bytes:
    """The protocol as a tagged PDF; PDF/A-2a only if the check confirms it."""
    values = data(liste, entries)
    pdf = typesetting.typeset(PROTOKOLL_TYP, values, standards=typesetting.TAGGED_PDFA, tagged=True)
    report = pdfa.check(pdf)
    if report.ok:
        return pdf
    logger.warning(
        "Vernichtungsprotokoll %s ohne PDF/A-Kennzeichnung erstellt: %s",
        liste.label,
        report.summary(),
    )
    return typesetting.typeset(PROTOKOLL_TYP, values, standards=typesetting.TAGGED, tagged=True)
