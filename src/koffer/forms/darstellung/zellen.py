"""A table cell's control as HTML, built here rather than in ``felder/tabelle.html``.

A table is most of a step's controls (up to 100 rows of 12 columns), and the template
language's per-variable and per-tag cost made a table step twice as slow as others; the
markup is the same as the template's controls (KERN classes, the accessible name
"Spalte, Zeile n", ``aria-invalid`` and the message linked at a wrong cell).
"""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BITTE_WAEHLEN = '<option value="">Bitte wählen</option>'


def zelle_html(z: dict[str, Any]) -> SafeString:
    """The control of a cell prepared by ``schritt._Bau._zelle`` (all texts escaped here;
    ``z["aria"]`` is already safe)."""
    zelle_id = escape(z["id"])
    label = escape(z["label"])
    if z["typ"] == "liste":
        optionen = "".join(
            f'<option value="{escape(o["wert"])}"{" selected" if o["gewaehlt"] else ""}>'
            f"{escape(o['label'])}</option>"
            for o in z["optionen"]
        )
        html = (
            f'<select class="kern-form-input__select" id="{zelle_id}" name="{zelle_id}" '
            f'aria-label="{label}"{z["aria"]}>{BITTE_WAEHLEN}{optionen}</select>'
        )
    elif z["typ"] == "mehrfach":
        boxen = "".join(
            f'<div class="kern-form-check"><input class="kern-form-check__checkbox" '
            f'type="checkbox" id="{escape(o["id"])}" name="{zelle_id}" value="{escape(o["wert"])}"'
            f'{" checked" if o["gewaehlt"] else ""}><label class="kern-label" '
            f'for="{escape(o["id"])}">{escape(o["label"])}</label></div>'
            for o in z["optionen"]
        )
        html = (
            f'<fieldset class="kern-fieldset" id="{zelle_id}"{z["aria"]}>'
            f'<legend class="kern-sr-only">{label}</legend>{boxen}</fieldset>'
        )
    else:
        art = {
            "datum": ' type="date"',
            "zahl": ' type="text" inputmode="decimal" maxlength="30"',
            "geld": ' type="text" inputmode="decimal" maxlength="30"',
        }.get(z["typ"], f' type="text" maxlength="{z["max"]}"')
        html = (
            f'<input class="kern-form-input__input" id="{zelle_id}" name="{zelle_id}" '
            f'aria-label="{label}" value="{escape(z["wert"])}"{art}{z["aria"]}>'
        )
    return mark_safe(html)  # noqa: S308 - every text above is escaped
