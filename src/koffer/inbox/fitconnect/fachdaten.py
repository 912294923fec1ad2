"""A submission's data (Fachdaten) as a readable PDF, for submissions that carry data and
no attachments: without it their batch would hold no document, and nobody would see what
was sent. JSON becomes a table of each value under its path („antragsteller › name“),
anything else (XML, text) its text as sent; the service, the schema and the submission
are named above. Bounded: at most ``MAX_ZEILEN`` values and ``MAX_ZEICHEN`` characters are
set (the rest named as left out; the whole data stay in the ``FitConnectEinreichung``).
Tagged PDF/A-2a, German, „Seite x von y“."""

from __future__ import annotations

import json
import re
from typing import Any

from koffer.pdf import typesetting

NAME = "fachdaten.pdf"
MAX_ZEILEN = 2000
MAX_ZEICHEN = 200_000
WERT_MAX = 2000
# typst breaks lines only at break chances: a long run without one (an id, base64) would
# run off the page, so it gets an invisible one every 40 characters.
_LANG = re.compile(r"(\S{40})(?=\S)")

FACHDATEN_TYP = """
#set page(
  paper: "a4",
  margin: (left: 22mm, right: 18mm, top: 22mm, bottom: 18mm),
  footer: context { set text(size: 7.5pt); [Fachdaten der Einreichung #d.submission #h(1fr) Seite #here().page() von #counter(page).final().first()] },
)
#set text(size: 9.5pt)
#set document(title: d.titel)
#heading(level: 1, d.titel)
#table(
  columns: (auto, 1fr),
  column-gutter: 4mm,
  stroke: none,
  inset: (x: 0pt, y: 2pt),
  ..d.kopf.map(z => (strong(z.at(0)), z.at(1))).flatten()
)
#v(4mm)
#if d.zeilen.len() > 0 {
  table(
    columns: (38%, 1fr),
    stroke: 0.4pt + luma(180),
    inset: 4pt,
    table.header(strong[Angabe], strong[Wert]),
    ..d.zeilen.map(z => (z.at(0), z.at(1))).flatten()
  )
} else {
  set par(leading: 0.5em)
  show raw: set text(font: ("DejaVu Sans Mono", "Liberation Mono"), size: 8pt)
  raw(d.text, block: true)
}
#if d.gekuerzt != "" { v(3mm); emph(d.gekuerzt) }
"""


def _weich(text: str) -> str:
    return _LANG.sub("\\1\u200b", text)


def _zeilen(wert: Any, pfad: str, zeilen: list[tuple[str, str]]) -> None:
    if len(zeilen) > MAX_ZEILEN:
        return
    if isinstance(wert, dict):
        if not wert:
            zeilen.append((pfad or "(leer)", "–"))
        for key, inner in wert.items():
            _zeilen(inner, f"{pfad} › {key}" if pfad else str(key), zeilen)
        return
    if isinstance(wert, list):
        if not wert:
            zeilen.append((pfad or "(leer)", "–"))
        for index, inner in enumerate(wert, start=1):
            _zeilen(inner, f"{pfad} › {index}", zeilen)
        return
    if wert is None:
        text = "–"
    elif isinstance(wert, bool):
        text = "ja" if wert else "nein"
    else:
        text = str(wert)
    if len(text) > WERT_MAX:
        text = text[:WERT_MAX] + " … (gekürzt)"
    zeilen.append((_weich(pfad or "(Wert)"), _weich(text)))


def fachdaten_pdf(
    *, daten: bytes, mime: str, metadaten: dict[str, Any], submission_id: str
) -> bytes:
    """The data as a tagged PDF/A-2a: a table for JSON, the text otherwise."""
    dienst = metadaten.get("publicServiceType") or {}
    schema = ((metadaten.get("contentStructure") or {}).get("data") or {}).get(
        "submissionSchema"
    ) or {}
    kopf = [
        ("Verwaltungsleistung", str(dienst.get("name") or "–")),
        ("Schema", _weich(str(schema.get("schemaUri") or "–"))),
        ("Format", mime or "–"),
        ("Einreichung", submission_id),
    ]
    text = daten.decode("utf-8", errors="replace")
    zeilen: list[tuple[str, str]] = []
    gekuerzt = ""
    if "json" in mime.lower():
        try:
            _zeilen(json.loads(text), "", zeilen)
        except ValueError:
            zeilen = []
    if len(zeilen) > MAX_ZEILEN:
        zeilen = zeilen[:MAX_ZEILEN]
        gekuerzt = (
            f"Nur die ersten {MAX_ZEILEN} Angaben sind hier gesetzt; die vollständigen "
            "Fachdaten sind bei der Einreichung gespeichert."
        )
    if not zeilen:
        if len(text) > MAX_ZEICHEN:
            text = text[:MAX_ZEICHEN]
            gekuerzt = (
                f"Nur die ersten {MAX_ZEICHEN:,} Zeichen sind hier gesetzt; die vollständigen "
                "Fachdaten sind bei der Einreichung gespeichert.".replace(",", ".")
            )
        text = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32).expandtabs(4)
        text = "\n".join(_weich(line) for line in text.splitlines()) or " "
    return typesetting.typeset(
        FACHDATEN_TYP,
        {
            "titel": "Fachdaten einer FIT-Connect-Einreichung",
            "submission": submission_id,
            "kopf": kopf,
            "zeilen": zeilen,
            "text": text,
            "gekuerzt": gekuerzt,
        },
        standards=typesetting.TAGGED_PDFA,
        tagged=True,
    )
