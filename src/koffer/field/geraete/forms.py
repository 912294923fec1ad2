"""Forms of the device registry's pages: register a Koffer, revoke one, take Akten along."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from koffer.audit.reasons import REASON_MAX_LENGTH
from koffer.field.geraete import services
from koffer.inputs import CHOOSE, SELECT, TEXT, CheckboxGroups, text_field

ZEICHEN_TRENNER = re.compile(r"[\s,;]+")


class GeraetForm(forms.Form):
    name = text_field(
        "Bezeichnung des Koffers",
        max_length=services.NAME_MAX,
        help_text="Zum Beispiel „Laptop 3“ oder die Inventarnummer.",
    )


class SperreForm(forms.Form):
    grund = forms.CharField(
        label="Grund der Sperre",
        max_length=REASON_MAX_LENGTH,
        help_text="Zum Beispiel „Laptop gestohlen“. Der Grund steht im Protokoll.",
        widget=forms.Textarea({**TEXT, "class": "kern-form-input__input", "rows": 3}),
    )


class SegmentNeuForm(forms.Form):
    grund = forms.CharField(
        label="Grund",
        max_length=REASON_MAX_LENGTH,
        help_text="Zum Beispiel „Datenbank des Laptops aus alter Sicherung zurückgespielt“."
        " Der Grund steht im Protokoll.",
        widget=forms.Textarea({**TEXT, "class": "kern-form-input__input", "rows": 3}),
    )


class MitnehmenForm(forms.Form):
    geraet = forms.ChoiceField(label="Koffer", widget=forms.Select(SELECT))
    aktenzeichen = forms.CharField(
        label="Aktenzeichen",
        required=False,
        max_length=4000,
        help_text="Eines je Zeile (oder durch Komma getrennt).",
        widget=forms.Textarea(
            {"class": "kern-form-input__input", "rows": 4, "spellcheck": "false"}
        ),
    )
    akten = forms.MultipleChoiceField(
        label="Gefundene Akten", required=False, widget=CheckboxGroups
    )

    def __init__(
        self,
        *args: Any,
        geraete: list[tuple[str, str]],
        gefunden: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = geraete if len(geraete) == 1 else [("", CHOOSE), *geraete]
        self.fields["geraet"].choices = choices  # type: ignore[attr-defined]
        self.fields["akten"].choices = gefunden  # type: ignore[attr-defined]
        if not gefunden:
            del self.fields["akten"]

    def zeichen(self) -> list[str]:
        """The typed Aktenzeichen, each once, in the order typed."""
        text = self.cleaned_data.get("aktenzeichen") or ""
        return list(dict.fromkeys(z for z in ZEICHEN_TRENNER.split(text) if z))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.zeichen() and not data.get("akten"):
            raise forms.ValidationError(
                "Bitte geben Sie mindestens ein Aktenzeichen an oder wählen Sie eine Akte."
            )
        return data
