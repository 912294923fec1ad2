"""What the session page shows of a field beyond its value: the form's own controls for a
field with several (an address, a table, boxes to tick, a person), rendered by the
Formulare (``forms.darstellung.feld_html``) with the same names as on the form's step
page, so that a POST of that one field reads back the same way (``feld_aus_post``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.safestring import SafeString

from koffer.field.experte.selectors import FeldSicht
from koffer.field.models import Sitzung
from koffer.forms.ausfuellen import selectors_seiten
from koffer.forms.darstellung import feld_aus_post, feld_html
from koffer.forms.katalog import selectors as katalog

#: A table row's remove button posts ``zeile_entfernen=<row>`` (from 0).
ZEILE_ENTFERNEN = "zeile_entfernen"


def steuerungen(row: Sitzung, felder: tuple[FeldSicht, ...]) -> dict[str, SafeString]:
    """Field id → the form's controls, for the editable fields that are not one plain
    control."""
    mehrteilig = [f for f in felder if f.editierbar and not f.einfach]
    if not mehrteilig:
        return {}
    definition = katalog.definition(row.entwurf.formularversion)
    personen = selectors_seiten.personen(row.entwurf.akte)
    return {
        f.id: feld_html(definition, f.id, wert=f.wert, fehler={}, vorbelegt={}, personen=personen)
        for f in mehrteilig
    }


def zeilen(f: FeldSicht) -> int:
    """The filled rows of a table field (each gets a remove button)."""
    return len([z for z in f.wert if isinstance(z, Mapping)]) if isinstance(f.wert, list) else 0


def wert_aus_post(row: Sitzung, feld: str, post: Any) -> Any:
    """The value of ``feld`` as posted by its controls; a table's row named by
    ``zeile_entfernen`` is left out. Raises ``KeyError`` for a field without such controls."""
    definition = katalog.definition(row.entwurf.formularversion)
    entfernen = post.get(ZEILE_ENTFERNEN, "")
    if entfernen.isdigit():
        post = post.copy()
        praefix = f"f-{feld}-{int(entfernen)}-"
        for schluessel in [k for k in post if k.startswith(praefix)]:
            del post[schluessel]
    return feld_aus_post(definition, feld, post)
