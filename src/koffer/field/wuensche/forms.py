"""Forms of the planners' pages: a request turned into a visit (the Akte is chosen by
radio buttons the page renders itself, from the matches), a request declined."""

from __future__ import annotations

from django import forms

from koffer.field.besuche.forms import AREA, TimeInput
from koffer.inputs import CHOOSE, SELECT, TEXT, CheckboxGroups, DateInput


class PlanenForm(forms.Form):
    aussendienst = forms.ChoiceField(label="Außendienst", widget=forms.Select(attrs=SELECT))
    datum = forms.DateField(label="Datum", widget=DateInput())
    uhrzeit = forms.TimeField(
        label="Uhrzeit", required=False, widget=TimeInput(), help_text="z. B. 10:30"
    )
    anlass = forms.CharField(label="Anlass", max_length=300, widget=forms.TextInput(attrs=TEXT))
    formulare = forms.MultipleChoiceField(
        label="Formulare zum Mitnehmen", required=False, widget=CheckboxGroups
    )
    hinweise = forms.CharField(
        label="Hinweise für den Besuch",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs=AREA),
    )

    def set_choices(
        self,
        aussendienste: list[tuple[str, str]],
        formulare: list[tuple[str, str]],
    ) -> None:
        self.fields["aussendienst"].choices = [("", CHOOSE), *aussendienste]  # type: ignore[attr-defined]
        self.fields["formulare"].choices = (  # type: ignore[attr-defined]
            [("Formulare des Katalogs", formulare)] if formulare else []
        )


class AblehnenForm(forms.Form):
    grund = forms.CharField(
        label="Grund der Ablehnung",
        max_length=500,
        help_text="Die anfragende Person liest diesen Grund im Portal: bitte freundlich und "
        "verständlich, z. B. „Wir beraten Sie gern telefonisch unter 0123 456789.“",
        widget=forms.Textarea(attrs=AREA),
    )
