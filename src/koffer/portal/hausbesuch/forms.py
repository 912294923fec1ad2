"""The form „Hausbesuch anfragen“ (German labels, KERN classes); the field's service
checks everything again."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer.field.models import Besuchswunsch
from koffer.field.wuensche.services import WOCHENTAGE
from koffer.inputs import CHOOSE, SELECT, TEXT, CheckboxGroups, DateInput

AREA = {"class": "kern-form-input__input", "rows": 3}


def _text(label: str, max_length: int, autocomplete: str, **kw: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.TextInput(attrs={**TEXT, "autocomplete": autocomplete}),
        **kw,
    )


class AnfrageForm(forms.Form):
    family_name = _text("Familienname", 120, "family-name")
    given_names = _text("Vornamen", 200, "given-name", required=False)
    beziehung = _text(
        "Ihre Beziehung zu der Person",
        80,
        "off",
        required=False,
        help_text="z. B. Tochter, Nachbar",
    )
    street = _text("Straße und Hausnummer", 200, "street-address")
    postal_code = _text("Postleitzahl", 10, "postal-code")
    city = _text("Ort", 120, "address-level2")
    telefon = _text(
        "Telefon für Rückruf",
        25,
        "tel",
        help_text="Die Verwaltung ruft an, um den Termin abzustimmen, z. B. 030 1234567.",
    )
    thema = forms.ChoiceField(
        label="Thema", widget=forms.Select(attrs=SELECT), choices=[("", CHOOSE)]
    )
    anliegen = forms.CharField(
        label="Worum geht es?",
        max_length=1000,
        required=False,
        help_text="Zum Beispiel welcher Antrag ausgefüllt werden soll.",
        widget=forms.Textarea(attrs=AREA),
    )
    wochentage = forms.MultipleChoiceField(
        label="Bevorzugte Wochentage",
        required=False,
        help_text="Ohne Auswahl passt jeder Werktag.",
        widget=CheckboxGroups,
        choices=[("Wochentage", [(str(k), v) for k, v in WOCHENTAGE.items()])],
    )
    tageszeit = forms.ChoiceField(
        label="Tageszeit",
        widget=forms.Select(attrs=SELECT),
        choices=Besuchswunsch.Tageszeit.choices,
        initial=Besuchswunsch.Tageszeit.EGAL,
    )
    ab = forms.DateField(label="Frühestens am", required=False, widget=DateInput())
    bis = forms.DateField(label="Spätestens am", required=False, widget=DateInput())
    barrieren = forms.MultipleChoiceField(
        label="Barrierefreiheit",
        required=False,
        help_text="Was soll die Person vom Außendienst vorher wissen?",
        widget=CheckboxGroups,
        choices=[("Zugang und Verständigung", Besuchswunsch.Barriere.choices)],
    )
    barrieren_hinweis = forms.CharField(
        label="Weitere Hinweise zum Zugang",
        max_length=500,
        required=False,
        help_text="z. B. „Bitte zweimal klingeln“ oder „Gebärdensprache“.",
        widget=forms.Textarea(attrs=AREA),
    )

    def __init__(self, *args: Any, mit_name: bool, angehoerige: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["thema"].choices = [("", CHOOSE), *Besuchswunsch.Thema.choices]  # type: ignore[attr-defined]
        if not mit_name:
            del self.fields["family_name"]
            del self.fields["given_names"]
        if not angehoerige:
            del self.fields["beziehung"]

    def clean_wochentage(self) -> list[int]:
        return [int(t) for t in self.cleaned_data.get("wochentage") or []]


class AngebotForm(forms.Form):
    aktiv = forms.BooleanField(
        label="Bürgerinnen und Bürger können einen Hausbesuch anfragen", required=False
    )
    unit = forms.ChoiceField(
        label="Stelle, die die Hausbesuche plant",
        required=False,
        widget=forms.Select(attrs=SELECT),
        help_text="Wer in dieser Organisationseinheit Akten bearbeitet, sieht die Anfragen "
        "unter „Hausbesuche: Anfragen“.",
    )

    def set_choices(self, einheiten: list[tuple[str, str]]) -> None:
        self.fields["unit"].choices = [("", CHOOSE), *einheiten]  # type: ignore[attr-defined]
