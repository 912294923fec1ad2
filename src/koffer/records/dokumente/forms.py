"""Forms of the document pages: upload, metadata, move, cancel, new version."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django import forms
from django.utils import timezone

from koffer.inputs import DateInput
from koffer.records.dokumente import services as documents
from koffer.records.models import Dokument, Vorgang

logger = logging.getLogger("koffer.records.documents")


KINDS = [
    "Schreiben",
    "Antrag",
    "Nachweis",
    "Bescheid",
    "Widerspruch",
    "Vermerk",
    "Gutachten",
    "Rechnung",
    "Gerichtsschreiben",
    "Sonstiges",
]


def _text(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "kern-form-input__input", **attrs})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "kern-form-input__select"})


class DocumentMetaForm(forms.Form):
    """What the user says about the uploaded files (the files themselves come separately)."""

    vorgang = forms.ChoiceField(label="Vorgang", required=False, widget=_select())
    title = forms.CharField(
        label="Titel",
        max_length=300,
        required=False,
        help_text="Nur bei einer Datei; sonst der Dateiname.",
        widget=_text(),
    )
    kind = forms.ChoiceField(label="Dokumentart", choices=[(k, k) for k in KINDS], widget=_select())
    direction = forms.ChoiceField(
        label="Richtung", choices=Dokument.Direction.choices, initial="in", widget=_select()
    )
    sender = forms.CharField(label="Absender", max_length=200, required=False, widget=_text())
    received_on = forms.DateField(
        label="Eingangsdatum",
        required=False,
        help_text="Ohne Angabe gilt der Tag des Hochladens.",
        widget=DateInput(),
    )
    # One token per rendered form, sent back with every upload from it: a request that
    # the browser repeats (reload after a broken connection) stores nothing twice.
    upload_token = forms.CharField(
        required=False, max_length=100, widget=forms.HiddenInput, initial=lambda: uuid.uuid4().hex
    )

    def __init__(self, *args: Any, vorgaenge: list[Vorgang], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An upload asks for the date of receipt with today filled in; the metadata form
        # (a subclass) shows the stored date instead.
        self.fields["received_on"].initial = timezone.localdate
        self.vorgaenge = {str(v.pk): v for v in vorgaenge}
        choices = [("", "– keiner (direkt in der Akte) –")]
        choices += [(str(v.pk), v.title) for v in vorgaenge]
        self.fields["vorgang"].choices = choices  # type: ignore[attr-defined]

    def meta(self) -> documents.DocumentMeta:
        data = self.cleaned_data
        return documents.DocumentMeta(
            title=data["title"],
            kind=data["kind"],
            direction=data["direction"],
            sender=data["sender"],
            received_on=data["received_on"],
        )

    def chosen_vorgang(self) -> Vorgang | None:
        return self.vorgaenge.get(self.cleaned_data["vorgang"] or "")


class MetadataForm(DocumentMetaForm):
    """Changing a stored document's details: the title is required here."""

    title = forms.CharField(label="Titel", max_length=300, widget=_text())

    def __init__(self, *args: Any, current_kind: str = "", **kwargs: Any) -> None:
        super().__init__(*args, vorgaenge=[], **kwargs)
        del self.fields["vorgang"]
        del self.fields["upload_token"]
        self.fields["received_on"].initial = None
        self.fields["received_on"].help_text = ""
        if current_kind and current_kind not in KINDS:
            self.fields["kind"].choices = [(current_kind, current_kind), *((k, k) for k in KINDS)]  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Grund",
        max_length=500,
        widget=forms.Textarea(attrs={"class": "kern-form-input__input", "rows": 3}),
    )


class MoveForm(ReasonForm):
    vorgang = forms.ChoiceField(label="Neuer Vorgang", required=False, widget=_select())
    field_order = ["vorgang", "reason"]

    def __init__(self, *args: Any, vorgaenge: list[Vorgang], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.vorgaenge = {str(v.pk): v for v in vorgaenge}
        choices = [("", "– keiner (direkt in der Akte) –")]
        choices += [(str(v.pk), v.title) for v in vorgaenge]
        self.fields["vorgang"].choices = choices  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    datei = forms.FileField(
        label="Neue Fassung (Datei)",
        widget=forms.ClearableFileInput(attrs={"class": "kern-form-input__input"}),
    )
    note = forms.CharField(
        label="Was hat sich geändert?", max_length=300, required=False, widget=_text()
    )


# --- Upload ------------------------------------------------------------------------------------
