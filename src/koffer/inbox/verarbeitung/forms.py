"""Forms of the pipeline's rules page: the Mandant's threshold, separator code and
Wiedervorlage, and what filing a document of one kind opens. What a valid rule is comes
from ``regeln`` (the same check the services and the API make); the forms show it beside
their fields."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer.inbox.verarbeitung import regeln
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
        min_value=regeln.THRESHOLD_PERCENT[0],
        max_value=regeln.THRESHOLD_PERCENT[1],
        help_text="Dokumente, deren Zuordnung mindestens so sicher ist, legt koffer ohne "
        "Prüfung ab; die übrigen warten in der Zuordnung. 100: nichts automatisch "
        "(außer Antworten mit dem Antwortcode eines koffer-Schreibens).",
        widget=_number(),
    )
    separator_pattern = forms.CharField(
        label="Muster des Trennblatt-Codes",
        max_length=regeln.MAX_TEXT,
        help_text="Regulärer Ausdruck für den Inhalt des Barcodes oder QR-Codes auf dem "
        "Trennblatt, zum Beispiel ^KOFFER-TRENNBLATT$.",
        widget=_text(),
    )
    wiedervorlage_days = forms.IntegerField(
        label="Wiedervorlage „Neuer Posteingang“ nach Tagen",
        min_value=regeln.WIEDERVORLAGE_DAYS[0],
        max_value=regeln.WIEDERVORLAGE_DAYS[1],
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            data["separator_pattern"] = str(data["separator_pattern"]).strip()
            problems = regeln.regeln_problems(
                auto_threshold=data["auto_threshold"] / 100,
                separator_pattern=data["separator_pattern"],
                wiedervorlage_days=data["wiedervorlage_days"],
            )
            for field, message in problems.items():
                self.add_error(field, message)
        return data


class ArtregelForm(forms.Form):
    kind = forms.ChoiceField(label="Dokumentart", choices=sorted(KINDS.items()), widget=_select())
    vorgang_typ = forms.ChoiceField(
        label="Vorgang eröffnen",
        required=False,
        help_text="Der Vorgangstyp gleichen Codes im Fachverfahren der Akte; ohne: kein Vorgang.",
        widget=_select(),
    )
    frist_label = forms.CharField(
        label="Frist", max_length=regeln.MAX_TEXT, required=False, widget=_text()
    )
    frist_months = forms.IntegerField(
        label="Frist: Monate",
        min_value=regeln.FRIST_MONTHS[0],
        max_value=regeln.FRIST_MONTHS[1],
        initial=0,
        widget=_number(),
    )
    frist_days = forms.IntegerField(
        label="Frist: Tage",
        min_value=regeln.FRIST_DAYS[0],
        max_value=regeln.FRIST_DAYS[1],
        initial=0,
        widget=_number(),
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            problems = regeln.artregel_problems(
                kind=data["kind"],
                frist_label=data["frist_label"],
                frist_months=data["frist_months"],
                frist_days=data["frist_days"],
                kinds=KINDS,
            )
            for field, message in problems.items():
                self.add_error(field, message)
        return data
