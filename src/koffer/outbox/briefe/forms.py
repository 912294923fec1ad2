"""Forms of the letter pages. The writer's fields come from the template version
(``VorlagenVersion.felder``: text, a paragraph, an amount or a date), so the letter form is
built per letter."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from koffer.outbox.briefe import daten
from koffer.outbox.models import Brief

INPUT = {"class": "kern-form-input__input"}
AREA = {"class": "kern-form-input__input", "rows": 4}
SELECT = {"class": "kern-form-input__select"}
MAX_NAME_LINES = 4


class NeuerBriefForm(forms.Form):
    vorlage = forms.ChoiceField(label="Vorlage", widget=forms.Select(attrs=SELECT))
    vorgang = forms.ChoiceField(label="Vorgang", required=False, widget=forms.Select(attrs=SELECT))
    empfaenger = forms.ChoiceField(label="An", widget=forms.Select(attrs=SELECT))
    kanal = forms.ChoiceField(
        label="Versandweg", choices=Brief.Kanal.choices, widget=forms.Select(attrs=SELECT)
    )

    def set_choices(
        self,
        vorlagen: list[tuple[str, str]],
        vorgaenge: list[tuple[str, str]],
        personen: list[tuple[str, str]],
    ) -> None:
        self.fields["vorlage"].choices = vorlagen  # type: ignore[attr-defined]
        self.fields["vorgang"].choices = [("", "ohne Vorgang"), *vorgaenge]  # type: ignore[attr-defined]
        self.fields["empfaenger"].choices = personen  # type: ignore[attr-defined]


class BriefForm(forms.Form):
    """The draft: the version's fields, the address, channel and registered mail."""

    namen = forms.CharField(
        label="Name (eine Zeile je Angabe)",
        widget=forms.Textarea(attrs={**AREA, "rows": 2}),
        max_length=400,
    )
    strasse = forms.CharField(
        label="Straße und Hausnummer oder Postfach",
        max_length=120,
        widget=forms.TextInput(attrs=INPUT),
    )
    ort = forms.CharField(label="PLZ und Ort", max_length=120, widget=forms.TextInput(attrs=INPUT))
    land = forms.CharField(
        label="Land (nur im Ausland, in Großbuchstaben)",
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs=INPUT),
    )
    kanal = forms.ChoiceField(
        label="Versandweg", choices=Brief.Kanal.choices, widget=forms.Select(attrs=SELECT)
    )
    einschreiben = forms.ChoiceField(
        label="Einschreiben",
        choices=Brief.Einschreiben.choices,
        required=False,
        widget=forms.Select(attrs=SELECT),
    )

    def __init__(self, *args: Any, felder: list[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.felder = felder
        for f in felder:
            name = f"f_{f['key']}"
            label = f.get("label") or f["key"]
            typ = f.get("typ", "text")
            if typ == "datum":
                self.fields[name] = forms.DateField(
                    label=label,
                    required=False,
                    widget=forms.DateInput(attrs={**INPUT, "type": "date"}, format="%Y-%m-%d"),
                )
            elif typ == "absatz":
                self.fields[name] = forms.CharField(
                    label=label, required=False, max_length=4000, widget=forms.Textarea(attrs=AREA)
                )
            else:
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=300,
                    widget=forms.TextInput(attrs=INPUT),
                    help_text="Betrag in Euro, z. B. 1.234,56" if typ == "betrag" else "",
                )

    @staticmethod
    def initial_of(brief: Brief) -> dict[str, Any]:
        a = brief.anschrift or {}
        initial: dict[str, Any] = {
            "namen": "\n".join(a.get("namen", [])),
            "strasse": a.get("strasse", ""),
            "ort": a.get("ort", ""),
            "land": a.get("land", ""),
            "kanal": brief.kanal,
            "einschreiben": brief.einschreiben,
        }
        for f in brief.version.felder:
            value: Any = brief.eingaben.get(f["key"], "")
            if f.get("typ") == "datum" and value:
                value = _german_date(value)
            initial[f"f_{f['key']}"] = value
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        names = [line.strip() for line in data.get("namen", "").splitlines() if line.strip()]
        if len(names) > MAX_NAME_LINES:
            self.add_error("namen", f"Höchstens {MAX_NAME_LINES} Zeilen für den Namen.")
        for f in self.felder:
            if f.get("typ") == "betrag":
                raw = data.get(f"f_{f['key']}") or ""
                if raw and daten.betrag(raw) is None:
                    self.add_error(f"f_{f['key']}", "Bitte einen Betrag angeben, z. B. 1.234,56.")
        return data

    def eingaben(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for f in self.felder:
            raw = self.cleaned_data.get(f"f_{f['key']}")
            if isinstance(raw, date):
                values[f["key"]] = daten.datum(raw)
            elif f.get("typ") == "betrag" and raw:
                amount = daten.betrag(str(raw))
                values[f["key"]] = daten.euro(amount) if amount is not None else str(raw)
            else:
                values[f["key"]] = str(raw or "")
        return values

    def anschrift(self) -> dict[str, Any]:
        return {
            "namen": [
                line.strip()
                for line in self.cleaned_data.get("namen", "").splitlines()
                if line.strip()
            ],
            "strasse": self.cleaned_data.get("strasse", "").strip(),
            "ort": self.cleaned_data.get("ort", "").strip(),
            "land": self.cleaned_data.get("land", "").strip(),
        }


def _german_date(text: str) -> date | None:
    try:
        day, month, year = (int(x) for x in text.split("."))
        return date(year, month, day)
    except ValueError:
        return None


class ZurueckForm(forms.Form):
    grund = forms.CharField(
        label="Was ist zu ändern?", max_length=500, widget=forms.Textarea(attrs={**AREA, "rows": 2})
    )


class AushaendigenForm(forms.Form):
    am = forms.DateField(
        label="Übergeben oder zur Post gegeben am",
        widget=forms.DateInput(attrs={**INPUT, "type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, lokal: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if lokal:
            self.fields["am"].label = "Zur Post gegeben am"
            self.fields["am"].help_text = (
                "Der Tag, an dem der Brief eingeworfen wurde; daraus folgt die Bekanntgabe "
                "(bei Bescheiden auch die Widerspruchsfrist). Ein späterer Eintrag berichtigt ihn."
            )
