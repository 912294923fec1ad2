"""The upload form of the migration page: up to three export files and the unit for
Akten whose row names none."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer.tenancy.models import Organisationseinheit


def _file(label: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"class": "kern-form-input__input", "accept": ".csv,text/csv"}
        ),
    )


class ImportForm(forms.Form):
    personen = _file("Personen (personen.csv)")
    bedarfsgemeinschaften = _file("Bedarfsgemeinschaften (bedarfsgemeinschaften.csv)")
    akten = _file("Akten (akten.csv)")
    einheit = forms.ChoiceField(
        label="Organisationseinheit für Akten ohne Einheit",
        required=False,
        help_text="Akten, deren Zeile keine Einheit nennt, kommen hierhin; ohne Auswahl "
        "werden solche Zeilen abgelehnt.",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )

    def __init__(self, *args: Any, units: list[Organisationseinheit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["einheit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "keine (Zeilen ohne Einheit ablehnen)")] + [
            (str(u.pk), f"{'– ' * u.depth}{u.name} ({u.get_kind_display()})") for u in units
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(n) for n in ("personen", "bedarfsgemeinschaften", "akten")):
            raise forms.ValidationError("Bitte mindestens eine Datei auswählen.")
        return data
