"""The search page's form: the query and its filters."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from koffer.inputs import DateInput
from koffer.records.models import Akte, Dokument
from koffer.records.suche import services as search


def _text(label: str, max_length: int, help_text: str = "", **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=help_text,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input", **attrs}),
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Bitte geben Sie ein gültiges Datum ein (TT.MM.JJJJ)."},
        input_formats=["%Y-%m-%d", "%d.%m.%Y"],
    )


class SearchForm(forms.Form):
    """GET form: every search is a bookmarkable URL."""

    q = forms.CharField(
        label="Suchbegriffe",
        required=False,
        max_length=300,
        help_text=(
            "Gefunden werden Dokumente, die alle Wörter enthalten, auch in anderer Form "
            "und Schreibweise („Bescheid“ findet „Bescheide“, „Yilmaz“ findet „Yılmaz“) "
            "und in zusammengesetzten Wörtern („Heizkosten“ findet "
            "„Heizkostenabrechnung“). „Wortgruppe“ oder „Wort“ in Anführungszeichen: "
            "genau so. Wortanfang mit * (Widerspr*), Ausschluss mit Minus (-Klage). "
            "Text in gescannten Bildern ist noch nicht durchsuchbar."
        ),
        widget=forms.TextInput(
            attrs={"class": "kern-form-input__input", "type": "search", "autocomplete": "off"}
        ),
    )
    aktenzeichen = _text("Aktenzeichen (Anfang)", 80, autocomplete="off")
    person = _text(
        "Person",
        200,
        "Familienname oder dessen Anfang, auch „Familienname, Vorname“.",
        autocomplete="off",
    )
    geburtsdatum = _date("Geburtsdatum der Person")
    bg = _text("BG-Nummer (Anfang)", 30, autocomplete="off")
    art = forms.ChoiceField(label="Dokumentart", required=False, choices=[])
    vorgang = forms.ChoiceField(label="Vorgangsart", required=False, choices=[])
    eingang_von = _date("Eingang ab")
    eingang_bis = _date("Eingang bis")
    angelegt_von = _date("Abgelegt ab")
    angelegt_bis = _date("Abgelegt bis")
    status = forms.ChoiceField(
        label="Dokumentstatus",
        required=False,
        choices=[("", "alle"), *Dokument.Status.choices],
    )
    akte_status = forms.ChoiceField(
        label="Aktenstatus", required=False, choices=[("", "alle"), *Akte.Status.choices]
    )
    seite = forms.IntegerField(required=False, min_value=1, max_value=search.COUNT_CAP)

    FILTER_FIELDS = (
        "aktenzeichen",
        "person",
        "geburtsdatum",
        "bg",
        "art",
        "vorgang",
        "eingang_von",
        "eingang_bis",
        "angelegt_von",
        "angelegt_bis",
        "status",
        "akte_status",
    )

    def __init__(self, *args: Any, tenant_id: uuid.UUID, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        art = self.fields["art"]
        vorgang = self.fields["vorgang"]
        assert isinstance(art, forms.ChoiceField) and isinstance(vorgang, forms.ChoiceField)
        art.choices = [("", "alle"), *((k, k) for k in search.document_kinds(tenant_id))]
        vorgang.choices = [("", "alle"), *search.vorgang_types(tenant_id)]
        for name in ("art", "vorgang", "status", "akte_status"):
            self.fields[name].widget.attrs["class"] = "kern-form-input__select"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for start, end in (("eingang_von", "eingang_bis"), ("angelegt_von", "angelegt_bis")):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, "Das Ende des Zeitraums liegt vor seinem Anfang.")
        return data

    def filters(self) -> search.SearchFilters:
        d = self.cleaned_data
        return search.SearchFilters(
            aktenzeichen=d.get("aktenzeichen") or "",
            person=d.get("person") or "",
            birth_date=d.get("geburtsdatum"),
            bg_nummer=d.get("bg") or "",
            kind=d.get("art") or "",
            vorgang_typ=d.get("vorgang") or "",
            received_from=d.get("eingang_von"),
            received_to=d.get("eingang_bis"),
            created_from=d.get("angelegt_von"),
            created_to=d.get("angelegt_bis"),
            status=d.get("status") or "",
            akte_status=d.get("akte_status") or "",
        )

    def filter_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.FILTER_FIELDS]

    def filters_used(self) -> bool:
        return any(self.data.get(name) for name in self.FILTER_FIELDS)
