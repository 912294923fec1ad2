"""Forms of the billing pages: month, reject reason, the youth office's invoice address."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from koffer.inputs import text_field
from koffer.placements.abrechnung.positions import parse_monat
from koffer.placements.errors import PlacementsError


class MonatField(forms.CharField):
    """``2026-10`` from a month input, as the first day of the month."""

    widget = forms.TextInput({"type": "month", "class": "kern-form-input__input"})

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_monat(text)
        except PlacementsError as exc:
            raise forms.ValidationError(exc.message) from exc


class MonatForm(forms.Form):
    monat = MonatField(label="Monat", help_text="Format JJJJ-MM, z. B. 2026-10")


class BerechnenForm(forms.Form):
    monat = MonatField(label="Monat")
    belegung = forms.UUIDField(required=False)
    platz = forms.UUIDField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("belegung")) == bool(data.get("platz")):
            raise forms.ValidationError(
                "Bitte genau eine Belegung oder einen Vorhalteplatz wählen."
            )
        return data


class AblehnenForm(forms.Form):
    reason = forms.CharField(
        label="Begründung der Ablehnung",
        max_length=500,
        widget=forms.Textarea({"class": "kern-form-input__input", "rows": "3"}),
        help_text="Geht an den Träger, z. B. „Aufnahme laut Hilfeplan erst am 16.10.“",
    )


class AnschriftForm(forms.Form):
    bezeichnung = text_field(
        "Bezeichnung auf Rechnungen",
        required=False,
        help_text="z. B. „Landkreis Musterland, Jugendamt – Wirtschaftliche Jugendhilfe“; "
        "leer: der Name des Mandanten",
    )
    street = text_field("Straße und Hausnummer")
    postcode = text_field("Postleitzahl", max_length=10)
    city = text_field("Ort", max_length=100)
