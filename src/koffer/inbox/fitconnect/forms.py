"""The form of the FIT-Connect page: a new destination (the Zustellpunkt's id from the
FIT-Connect self-service portal, the receiving Posteingang, the Zustelldienst's address
and the OAuth client)."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer.tenancy.models import Organisationseinheit


def _text(**attrs: str) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "kern-form-input__input", **attrs})


class ZielForm(forms.Form):
    destination_id = forms.UUIDField(
        label="Zustellpunkt-ID (destinationId)",
        help_text="Wie im Self-Service-Portal von FIT-Connect angelegt, z. B. "
        "0c438057-ab8d-4a47-8cb4-5e3e42a6d5d6.",
        widget=_text(autocomplete="off", spellcheck="false"),
    )
    name = forms.CharField(label="Bezeichnung", max_length=200, widget=_text())
    unit = forms.ChoiceField(
        label="Posteingang (Organisationseinheit)",
        help_text="Hier kommen die Einreichungen an: Prüfung, Ablage oder Zuordnung.",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    base_url = forms.URLField(
        label="Adresse des Zustelldienstes (Submission API)",
        max_length=500,
        assume_scheme="https",
        help_text="Ohne /v1, z. B. https://submission-api-testing.fit-connect.fitko.dev.",
        widget=_text(inputmode="url", spellcheck="false"),
    )
    token_url = forms.URLField(
        label="Adresse des OAuth-Dienstes",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Leer: ohne Anmeldung (nur für Testdienste).",
        widget=_text(inputmode="url", spellcheck="false"),
    )
    client_id = forms.CharField(
        label="OAuth-Client-ID", max_length=200, required=False, widget=_text()
    )
    client_secret = forms.CharField(
        label="OAuth-Client-Secret",
        max_length=500,
        required=False,
        help_text="Wird verschlüsselt in der Datenbank gespeichert.",
        widget=forms.PasswordInput(
            attrs={"class": "kern-form-input__input", "autocomplete": "new-password"}
        ),
    )

    def __init__(self, *args: Any, units: list[Organisationseinheit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Bitte wählen")] + [
            (str(u.pk), f"{'– ' * u.depth}{u.name} ({u.get_kind_display()})") for u in units
        ]
