"""Forms of the dispatch pages: the Mandant's cut-offs and alarms, a print provider."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer.inputs import SELECT, TEXT, text_field
from koffer.outbox.models import Brief, Druckdienst
from koffer.outbox.versand import services

NUMBER = {**TEXT, "inputmode": "numeric"}


def _hours(status: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=f"Alarm nach Stunden in „{Brief.Status(status).label}“",
        min_value=1,
        max_value=services.MAX_ALARM_HOURS,
        widget=forms.NumberInput(NUMBER),
    )


class RegelnForm(forms.Form):
    annahmeschluss = text_field(
        "Annahmeschluss (Uhrzeiten)",
        max_length=60,
        help_text="Zu jeder Uhrzeit kommen die freigegebenen Briefe der Hybridpost in einen "
        "Versandstapel, zum Beispiel: 10:00, 15:00.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for status in services.ALARM_STATUSES:
            self.fields[f"alarm_{status}"] = _hours(status)

    def schlusszeiten(self) -> list[str]:
        return [z.strip() for z in self.cleaned_data["annahmeschluss"].split(",")]

    def alarme(self) -> dict[str, int]:
        return {s: self.cleaned_data[f"alarm_{s}"] for s in services.ALARM_STATUSES}


class DruckdienstForm(forms.Form):
    konto = forms.ChoiceField(
        label="Maschinenkonto",
        help_text="Ein Maschinenkonto mit der Rolle Druck-Dienstleister; ein schon "
        "eingerichtetes wird geändert.",
        widget=forms.Select(SELECT),
    )
    name = text_field("Name des Druckdienstes", max_length=120)
    rang = forms.IntegerField(
        label="Reihenfolge",
        min_value=1,
        max_value=99,
        help_text="1 bekommt die Stapel; der nächste übernimmt, was nicht rechtzeitig "
        "bestätigt wird.",
        widget=forms.NumberInput(NUMBER),
    )
    bestaetigung_minuten = forms.IntegerField(
        label="Bestätigung spätestens nach (Minuten)",
        min_value=5,
        max_value=7 * 24 * 60,
        initial=240,
        widget=forms.NumberInput(NUMBER),
    )
    is_active = forms.BooleanField(label="aktiv", required=False, initial=True)
    kanal = forms.ChoiceField(
        label="Übergabe",
        choices=Druckdienst.Kanal.choices,
        initial=Druckdienst.Kanal.API,
        required=False,  # not given: the API
        help_text="Über die API, oder über einen Ablageordner (etwa ein SFTP-Verzeichnis, "
        "das der Druckdienst einbindet).",
        widget=forms.Select(SELECT),
    )
    ordner = text_field(
        "Ablageordner",
        max_length=200,
        required=False,
        help_text="Nur bei Übergabe über einen Ablageordner: ein Unterordner des "
        "Ablage-Stammordners, zum Beispiel druckhaus-nord.",
    )

    def __init__(self, *args: Any, konten: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["konto"].choices = [("", "Bitte wählen"), *konten]  # type: ignore[attr-defined]
