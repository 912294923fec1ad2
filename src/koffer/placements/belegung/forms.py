"""Forms of holds and occupancy: confirm, reason, absence, ending a Belegung."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from koffer.inputs import (
    SELECT,
    DateInput,
    text_field,
)
from koffer.placements.models import Belegung

DATE = DateInput()


class ZusageForm(forms.Form):
    beginn = forms.DateField(label="Beginn der Belegung", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["beginn"].initial = timezone.localdate()


class GrundForm(forms.Form):
    reason = text_field("Grund", max_length=300)


class AbwesenheitForm(forms.Form):
    von = forms.DateField(label="Abwesend ab (erster Tag)", widget=DATE)
    bis = forms.DateField(label="Abwesend bis (letzter Tag)", widget=DATE)
    grund = text_field(
        "Grund",
        help_text="Zum Beispiel Heimfahrt, Krankenhaus, Ferienfreizeit. Keine Diagnosen.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        von, bis = data.get("von"), data.get("bis")
        if von is not None and bis is not None and bis < von:
            self.add_error("bis", "Der letzte Tag liegt vor dem ersten Tag der Abwesenheit.")
        return data


class BeendenForm(forms.Form):
    ende = forms.DateField(label="Letzter Tag der Belegung", widget=DATE)
    grund = forms.ChoiceField(
        label="Grund der Beendigung",
        choices=Belegung.Endegrund.choices,
        widget=forms.Select(SELECT),
    )
    bemerkung = text_field("Bemerkung", required=False, max_length=300)
    wieder_anbieten = forms.BooleanField(
        label="Platz ab dem Folgetag wieder anbieten", required=False, initial=True
    )
