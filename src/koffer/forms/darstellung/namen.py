"""The names and ids of a step's controls, shared by the HTML and by reading the POST back.

A field's id is ``[a-z][a-z0-9_]*`` (the definition's schema), so ``f-<feld>`` and the
hyphenated names below never collide with each other nor with the page's own ids.
"""

from __future__ import annotations

#: The address parts in their order on screen, their labels and autocomplete tokens.
ANSCHRIFT = (
    ("strasse", "Straße", "address-line1"),
    ("hausnummer", "Hausnummer", ""),
    ("zusatz", "Adresszusatz (optional)", "address-line2"),
    ("plz", "Postleitzahl", "postal-code"),
    ("ort", "Ort", "address-level2"),
)
#: The submit button that adds a row to a table (its value is the table's id).
WEITERE_ZEILE = "weitere_zeile"
#: The submit button that removes an uploaded file (its value ``<feld>:<sha256>``).
DATEI_ENTFERNEN = "datei_entfernen"
#: The error summary's id (fields are ``f-…``, so no field takes it).
FEHLERLISTE = "schritt-fehler"


def name(feld: str, *teile: str | int) -> str:
    """``f-<feld>``, ``f-<feld>-<teil>``, ``f-<feld>-<zeile>-<spalte>``."""
    return "-".join(("f", feld, *(str(t) for t in teile)))
