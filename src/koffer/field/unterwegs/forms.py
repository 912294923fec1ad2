"""The pairing form on the Koffer's page and on its set-up page („Koffer einrichten“)."""

from __future__ import annotations

from django import forms

from koffer.inputs import INPUT_CLASS


class KopplungForm(forms.Form):
    # Both inputs carry the design system's class: without it a URL and a text input
    # keep the browser's narrow default width (seen at 375 px).
    buero = forms.URLField(
        label="Adresse des Büros",
        max_length=300,
        assume_scheme="https",
        help_text="So, wie das Büro sie genannt hat, z. B. https://koffer.kreis.example",
        widget=forms.URLInput({"class": INPUT_CLASS, "autocomplete": "url", "spellcheck": "false"}),
    )
    code = forms.CharField(
        label="Kopplungscode",
        max_length=40,
        help_text="Der Code, den „Mein Koffer“ im Büro einmal angezeigt hat (15 Minuten gültig).",
        widget=forms.TextInput(
            {
                "class": INPUT_CLASS,
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )
