"""Forms of the portal pages (German labels, KERN classes)."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer.portal.models import Vertretung

_INPUT = "kern-form-input__input"


def _password(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete, "class": _INPUT})


class EmailAnmeldenForm(forms.Form):
    email = forms.EmailField(
        label="E-Mail-Adresse",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "class": _INPUT}),
    )
    password = forms.CharField(label="Passwort", strip=False, widget=_password("current-password"))


class ErneutSendenForm(forms.Form):
    email = forms.EmailField(
        label="E-Mail-Adresse",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "class": _INPUT}),
    )


class RegistrierenForm(forms.Form):
    email = forms.EmailField(
        label="E-Mail-Adresse",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "class": _INPUT}),
    )
    password = forms.CharField(
        label="Passwort",
        strip=False,
        help_text="Mindestens 12 Zeichen; kein Passwort, das Sie anderswo nutzen.",
        widget=_password("new-password"),
    )
    password2 = forms.CharField(
        label="Passwort wiederholen", strip=False, widget=_password("new-password")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "Die beiden Passwörter stimmen nicht überein.")
        return data


class VertretungForm(forms.Form):
    family_name = forms.CharField(
        label="Familienname der vertretenen Person",
        max_length=120,
        widget=forms.TextInput(attrs={"class": _INPUT, "autocomplete": "off"}),
    )
    given_names = forms.CharField(
        label="Vornamen der vertretenen Person",
        max_length=200,
        widget=forms.TextInput(attrs={"class": _INPUT, "autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label="Geburtsdatum der vertretenen Person",
        widget=forms.DateInput(attrs={"class": _INPUT, "type": "date"}, format="%Y-%m-%d"),
    )
    art = forms.ChoiceField(
        label="Art der Vertretung",
        choices=Vertretung.Art.choices,
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    nachweis = forms.CharField(
        label="Nachweis",
        max_length=1000,
        help_text="Zum Beispiel Aktenzeichen und Gericht des Betreuerausweises oder Datum der "
        "Vollmacht. Die Verwaltung prüft den Nachweis und kann das Original anfordern.",
        widget=forms.Textarea(attrs={"class": "kern-form-input__input", "rows": 3}),
    )
    gueltig_bis = forms.DateField(
        label="Gültig bis",
        required=False,
        help_text="Nur wenn der Nachweis befristet ist.",
        widget=forms.DateInput(attrs={"class": _INPUT, "type": "date"}, format="%Y-%m-%d"),
    )
