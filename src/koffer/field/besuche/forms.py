"""Forms of the Hausbesuch pages: planning from an Akte, another day, the cancellation."""

from __future__ import annotations

from django import forms

from koffer.inputs import CHOOSE, SELECT, TEXT, CheckboxGroups, DateInput

AREA = {"class": "kern-form-input__input", "rows": 3}


class TimeInput(forms.TimeInput):
    """A browser time picker (``14:30``)."""

    input_type = "time"

    def __init__(self) -> None:
        super().__init__(attrs={"class": TEXT["class"]}, format="%H:%M")


class PlanenForm(forms.Form):
    aussendienst = forms.ChoiceField(label="Außendienst", widget=forms.Select(attrs=SELECT))
    datum = forms.DateField(label="Datum", widget=DateInput())
    uhrzeit = forms.TimeField(
        label="Uhrzeit", required=False, widget=TimeInput(), help_text="z. B. 10:30"
    )
    vorgang = forms.ChoiceField(label="Vorgang", required=False, widget=forms.Select(attrs=SELECT))
    aus_wiedervorlage = forms.ChoiceField(
        label="Aus einer Wiedervorlage",
        required=False,
        widget=forms.Select(attrs=SELECT),
        help_text="Die gewählte Wiedervorlage wird mit dem Planen erledigt: der Hausbesuch "
        "übernimmt sie.",
    )
    anlass = forms.CharField(
        label="Anlass",
        max_length=300,
        help_text="Steht auf dem Tourenplan, z. B. „Antrag auf Hilfe zur Pflege gemeinsam "
        "ausfüllen“.",
        widget=forms.TextInput(attrs=TEXT),
    )
    formulare = forms.MultipleChoiceField(
        label="Formulare zum Mitnehmen",
        required=False,
        widget=CheckboxGroups,
        help_text="Formulare zu offenen Vorgängen der Akte kommen von selbst dazu.",
    )
    hinweise = forms.CharField(
        label="Hinweise für den Besuch",
        max_length=500,
        required=False,
        help_text="z. B. „Klingel defekt, bitte anrufen“ oder „Rollstuhl, Tür braucht Zeit“.",
        widget=forms.Textarea(attrs=AREA),
    )

    def set_choices(
        self,
        aussendienste: list[tuple[str, str]],
        vorgaenge: list[tuple[str, str]],
        formulare: list[tuple[str, str]],
        wiedervorlagen: list[tuple[str, str]] | None = None,
    ) -> None:
        self.fields["aussendienst"].choices = [("", CHOOSE), *aussendienste]  # type: ignore[attr-defined]
        self.fields["vorgang"].choices = [("", "ohne Vorgang"), *vorgaenge]  # type: ignore[attr-defined]
        if wiedervorlagen:
            self.fields["aus_wiedervorlage"].choices = [("", "keine"), *wiedervorlagen]  # type: ignore[attr-defined]
        else:
            del self.fields["aus_wiedervorlage"]
        self.fields["formulare"].choices = (  # type: ignore[attr-defined]
            [("Formulare des Katalogs", formulare)] if formulare else []
        )


class VerlegenForm(forms.Form):
    datum = forms.DateField(label="Neues Datum", widget=DateInput())
    uhrzeit = forms.TimeField(
        label="Uhrzeit", required=False, widget=TimeInput(), help_text="z. B. 10:30"
    )


class AbsagenForm(forms.Form):
    grund = forms.CharField(
        label="Grund der Absage",
        max_length=500,
        help_text="z. B. „Frau M. ist im Krankenhaus, neuer Termin nach Entlassung“.",
        widget=forms.Textarea(attrs=AREA),
    )
