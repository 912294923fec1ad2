"""The pairing form on the Koffer's page."""

from __future__ import annotations

from django import forms


class KopplungForm(forms.Form):
    buero = forms.URLField(
        label="Adresse des Büros",
        max_length=300,
        assume_scheme="https",
        help_text="So, wie das Büro sie genannt hat, z. B. https://koffer.kreis.example",
    )
    code = forms.CharField(
        label="Kopplungscode",
        max_length=40,
        help_text="Der Code, den „Mein Koffer“ im Büro einmal angezeigt hat (15 Minuten gültig).",
    )
