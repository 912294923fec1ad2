"""Forms of the § 47 pages: a new report, the yearly occupancy report, and the
Landesjugendamt's answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from koffer.inputs import DateInput
from koffer.placements.meldungen import services as meldungen
from koffer.placements.models import Einrichtung, Meldung

TEXT = {"class": "kern-form-input__input"}
SELECT = {"class": "kern-form-input__select"}


class EinrichtungChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.city})"


class MeldungForm(forms.Form):
    einrichtung = EinrichtungChoice(
        label="Einrichtung",
        queryset=Einrichtung.objects.none(),
        empty_label="Bitte wählen",
        widget=forms.Select(SELECT),
        error_messages={"invalid_choice": "Bitte wählen Sie eine Ihrer Einrichtungen."},
    )
    art = forms.ChoiceField(
        label="Art der Meldung",
        choices=[("", "Bitte wählen"), *Meldung.Art.choices],
        widget=forms.Select(SELECT),
    )
    ereignis_datum = forms.DateField(
        label="Datum des Ereignisses",
        help_text="Bei einer Betriebsaufnahme, Änderung oder Schließung auch ein geplantes "
        "Datum; bei der jährlichen Belegungsmeldung ein Tag des Berichtsjahres.",
        widget=DateInput(),
        error_messages={"invalid": "Bitte geben Sie ein gültiges Datum an (TT.MM.JJJJ)."},
    )
    betreff = forms.CharField(
        label="Betreff",
        max_length=meldungen.MAX_BETREFF,
        widget=forms.TextInput(TEXT),
        help_text="Kurz und ohne Namen von Kindern oder Jugendlichen, z. B. "
        "„Brand in der Küche, keine Verletzten“.",
    )
    inhalt = forms.CharField(
        label="Inhalt der Meldung",
        max_length=meldungen.MAX_INHALT,
        widget=forms.Textarea({"rows": "8", **TEXT}),
        help_text="Was ist geschehen, welche Folgen hat es, was hat die Einrichtung "
        "veranlasst? Personen bitte nur so genau wie nötig bezeichnen.",
    )

    def __init__(self, *args: Any, einrichtungen: QuerySet[Einrichtung], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["einrichtung"].queryset = einrichtungen  # type: ignore[attr-defined]


def _years(today: date) -> list[tuple[str, str]]:
    return [(str(y), str(y)) for y in range(today.year - 1, today.year - 7, -1)]


class JahresmeldungForm(forms.Form):
    einrichtung = EinrichtungChoice(
        label="Einrichtung",
        queryset=Einrichtung.objects.none(),
        empty_label="Bitte wählen",
        widget=forms.Select(SELECT),
        error_messages={"invalid_choice": "Bitte wählen Sie eine Ihrer Einrichtungen."},
    )
    jahr = forms.TypedChoiceField(
        label="Berichtsjahr", coerce=int, choices=(), widget=forms.Select(SELECT)
    )
    bemerkung = forms.CharField(
        label="Bemerkungen zu den Zahlen",
        required=False,
        max_length=meldungen.MAX_INHALT,
        widget=forms.Textarea({"rows": "4", **TEXT}),
        help_text="Zum Beispiel Gründe für eine niedrige Auslastung.",
    )

    def __init__(self, *args: Any, einrichtungen: QuerySet[Einrichtung], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["einrichtung"].queryset = einrichtungen  # type: ignore[attr-defined]
        years = _years(timezone.localdate())
        self.fields["jahr"].choices = years  # type: ignore[attr-defined]
        self.fields["jahr"].initial = years[0][0]


class AntwortForm(forms.Form):
    antwort = forms.CharField(
        label="Nachricht an den Träger",
        required=False,
        max_length=meldungen.MAX_ANTWORT,
        widget=forms.Textarea({"rows": "3", **TEXT}),
    )


class RueckfrageForm(forms.Form):
    text = forms.CharField(
        label="Ihre Rückfrage",
        max_length=meldungen.MAX_ANTWORT,
        widget=forms.Textarea({"rows": "4", **TEXT}),
        help_text="Der Träger sieht die Rückfrage bei seiner Meldung.",
        error_messages={"required": "Bitte schreiben Sie Ihre Rückfrage an den Träger."},
    )


def action_forms(data: Any = None, *, failed: str = "") -> dict[str, forms.Form]:
    """The three forms of the Landesjugendamt; only the one that failed is bound."""
    return {
        "bestaetigen_form": AntwortForm(
            data if failed == "bestaetigen" else None, prefix="bestaetigen"
        ),
        "rueckfrage_form": RueckfrageForm(
            data if failed == "rueckfrage" else None, prefix="rueckfrage"
        ),
        "abschliessen_form": AntwortForm(
            data if failed == "abschliessen" else None, prefix="abschliessen"
        ),
    }
