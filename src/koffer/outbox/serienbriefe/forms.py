from __future__ import annotations

from typing import Any

from django import forms

from koffer.outbox.briefe.forms import AREA, INPUT, SELECT
from koffer.outbox.models import Brief

MAX_LIST = 20_000


class SerienbriefForm(forms.Form):
    vorlage = forms.ChoiceField(label="Vorlage", widget=forms.Select(attrs=SELECT))
    art = forms.ChoiceField(
        label="Welche Akten?",
        choices=[
            ("liste", "Eine Liste von Aktenzeichen"),
            ("einheit", "Alle offenen Akten einer Organisationseinheit"),
        ],
        widget=forms.RadioSelect,
        initial="liste",
    )
    aktenzeichen = forms.CharField(
        label="Aktenzeichen, eines je Zeile",
        required=False,
        widget=forms.Textarea(attrs={**AREA, "rows": 6}),
        max_length=MAX_LIST * 40,
    )
    einheit = forms.ChoiceField(
        label="Organisationseinheit (mit ihren Untereinheiten)",
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    plan = forms.ChoiceField(
        label="Nur Akten dieser Aktenplanposition",
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    kanal = forms.ChoiceField(
        label="Versandweg", choices=Brief.Kanal.choices, widget=forms.Select(attrs=SELECT)
    )

    def __init__(
        self,
        *args: Any,
        vorlagen: list[tuple[str, str]],
        einheiten: list[tuple[str, str]],
        plaene: list[tuple[str, str]],
        felder: list[dict[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vorlage"].choices = vorlagen  # type: ignore[attr-defined]
        self.fields["einheit"].choices = [("", "bitte wählen"), *einheiten]  # type: ignore[attr-defined]
        self.fields["plan"].choices = [("", "alle"), *plaene]  # type: ignore[attr-defined]
        self.felder = felder
        for f in felder:
            self.fields[f"f_{f['key']}"] = forms.CharField(
                label=f"{f.get('label') or f['key']} (für alle Briefe gleich)",
                required=False,
                max_length=4000,
                widget=forms.TextInput(attrs=INPUT),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("art") == "liste":
            lines = [x.strip() for x in (data.get("aktenzeichen") or "").splitlines() if x.strip()]
            if not lines:
                self.add_error("aktenzeichen", "Bitte mindestens ein Aktenzeichen angeben.")
            data["liste"] = lines
        elif not data.get("einheit"):
            self.add_error("einheit", "Bitte eine Organisationseinheit wählen.")
        return data

    def eingaben(self) -> dict[str, str]:
        return {f["key"]: self.cleaned_data.get(f"f_{f['key']}", "") for f in self.felder}
