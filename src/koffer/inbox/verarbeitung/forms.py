"""Forms of the pipeline's rules page: the Mandant's threshold, separator code and
Wiedervorlage, and what filing a document of one kind opens."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from koffer.inbox.verarbeitung.dokumentart import KINDS


def _text() -> forms.TextInput:
    return forms.TextInput(attrs={"class": "kern-form-input__input"})


def _number() -> forms.NumberInput:
    return forms.NumberInput(attrs={"class": "kern-form-input__input", "inputmode": "numeric"})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "kern-form-input__select"})


class RegelnForm(forms.Form):
    auto_threshold = forms.IntegerField(
        label="Automatisch ablegen ab Sicherheit (Prozent)",
        min_value=50,
        max_value=100,
        help_text="Dokumente, deren Zuordnung mindestens so sicher ist, legt koffer ohne "
        "Prüfung ab; die übrigen warten in der Zuordnung. 100: nichts automatisch "
        "(außer Antworten mit dem Antwortcode eines koffer-Schreibens).",
        widget=_number(),
    )
    separator_pattern = forms.CharField(
        label="Muster des Trennblatt-Codes",
        max_length=200,
        help_text="Regulärer Ausdruck für den Inhalt des Barcodes oder QR-Codes auf dem "
        "Trennblatt, zum Beispiel ^KOFFER-TRENNBLATT$.",
        widget=_text(),
    )
    wiedervorlage_days = forms.IntegerField(
        label="Wiedervorlage „Neuer Posteingang“ nach Tagen",
        min_value=0,
        max_value=30,
        help_text="0: am Tag der Ablage.",
        widget=_number(),
    )
    aufbewahrung_wochen = forms.IntegerField(
        label="Papieroriginale aufbewahren (Wochen)",
        min_value=0,
        max_value=520,
        required=False,
        help_text="So viele Wochen nach der bestandenen Prüfung eines Stapels dürfen seine "
        "Papieroriginale vernichtet werden (üblich: 8). Je Dokumentart unten abweichend; leer: unverändert.",
        widget=_number(),
    )

    def clean_separator_pattern(self) -> str:
        pattern = str(self.cleaned_data["separator_pattern"]).strip()
        try:
            re.compile(pattern)
        except re.error as exc:
            raise forms.ValidationError(
                f"Das Muster ist kein gültiger regulärer Ausdruck ({exc.msg})."
            ) from exc
        return pattern


class ArtregelForm(forms.Form):
    kind = forms.ChoiceField(label="Dokumentart", choices=sorted(KINDS.items()), widget=_select())
    vorgang_typ = forms.ChoiceField(
        label="Vorgang eröffnen",
        required=False,
        help_text="Der Vorgangstyp gleichen Codes im Fachverfahren der Akte; ohne: kein Vorgang.",
        widget=_select(),
    )
    frist_label = forms.CharField(label="Frist", max_length=200, required=False, widget=_text())
    frist_months = forms.IntegerField(
        label="Frist: Monate", min_value=0, max_value=24, initial=0, widget=_number()
    )
    frist_days = forms.IntegerField(
        label="Frist: Tage", min_value=0, max_value=365, initial=0, widget=_number()
    )
    aufbewahrung_wochen = forms.IntegerField(
        label="Papieroriginal aufbewahren (Wochen)",
        min_value=0,
        max_value=520,
        required=False,
        help_text="Leer: die allgemeine Aufbewahrung oben.",
        widget=_number(),
    )

    def __init__(self, *args: Any, typen: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["vorgang_typ"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "kein Vorgang"), *typen]
