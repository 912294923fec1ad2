"""The statistics page's query form: year, Fachbereich and, where a Mandant has several,
the view (Sicht)."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer.placements.statistik import builders
from koffer.placements.statistik.scopes import Scope


class StatistikForm(forms.Form):
    """Year, field of work and (for a Kreis that both runs and fills places) the view."""

    jahr = forms.TypedChoiceField(label="Jahr", coerce=int)
    fachbereich = forms.ChoiceField(label="Fachbereich", required=False)
    sicht = forms.ChoiceField(label="Sicht", required=False)

    def __init__(self, data: Any, *, scopes: list[Scope], today: Any) -> None:
        super().__init__(data)
        self._choices("jahr", [(y, str(y)) for y in builders.available_years(today)])
        self.fields["jahr"].error_messages["invalid_choice"] = (
            "Bitte ein Jahr aus der Liste wählen (die letzten zehn Jahre)."
        )
        self._choices(
            "fachbereich",
            [("", "alle Fachbereiche")] + [(fb.code, fb.label) for fb in builders.fachbereiche()],
        )
        self.fields["fachbereich"].error_messages["invalid_choice"] = (
            "Diesen Fachbereich gibt es nicht."
        )
        self._choices("sicht", [(s.kind, s.label) for s in scopes])
        self.fields["sicht"].error_messages["invalid_choice"] = (
            "Diese Sicht steht Ihnen nicht zur Verfügung."
        )
        if len(scopes) < 2:
            self.fields["sicht"].widget = forms.HiddenInput()
        for name in ("jahr", "fachbereich"):
            self.fields[name].widget.attrs["class"] = "kern-form-input__select"
        self.fields["sicht"].widget.attrs.setdefault("class", "kern-form-input__select")

    def _choices(self, name: str, choices: list[tuple[Any, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
