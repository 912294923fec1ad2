"""The invitation form: whom, and the citizen's consent (who, how; the box is required)."""

from __future__ import annotations

from django import forms

from koffer.field.models import Sitzung
from koffer.inputs import CHOOSE, SELECT, TEXT


class EinladenForm(forms.Form):
    experte = forms.ChoiceField(
        label="Expertin/Experte",
        widget=forms.Select(attrs=SELECT),
        help_text="Wer im Büro mit Formularen arbeitet; sie oder er sieht nur dieses Formular, "
        "nicht die Akte, keine Bankdaten und von Unterlagen und Unterschriften nur, dass es "
        "sie gibt.",
    )
    einwilligung_von = forms.CharField(
        label="Einwilligung gegeben von",
        max_length=200,
        help_text="Name der Bürgerin oder des Bürgers (oder der Betreuung), die eingewilligt hat.",
        widget=forms.TextInput(attrs=TEXT),
    )
    einwilligung_art = forms.ChoiceField(
        label="Art der Einwilligung",
        choices=[("", CHOOSE), *Sitzung.Einwilligung.choices],
        widget=forms.Select(attrs=SELECT),
    )
    eingewilligt = forms.BooleanField(
        label="Die Bürgerin oder der Bürger ist einverstanden, dass die Expertin oder der "
        "Experte dieses Formular sieht und mit ausfüllt.",
        error_messages={"required": "Ohne die Einwilligung kann niemand zugeschaltet werden."},
    )

    def set_choices(self, experten: list[tuple[str, str]]) -> None:
        self.fields["experte"].choices = [("", CHOOSE), *experten]  # type: ignore[attr-defined]


class HinweisForm(forms.Form):
    feld = forms.ChoiceField(label="Zu Feld", required=False, widget=forms.Select(attrs=SELECT))
    text = forms.CharField(
        label="Hinweis",
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "kern-form-input__input", "rows": 2}),
    )

    def set_choices(self, felder: list[tuple[str, str]]) -> None:
        self.fields["feld"].choices = [("", "Zum ganzen Formular"), *felder]  # type: ignore[attr-defined]
