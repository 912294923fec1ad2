"""Forms of the portal pages (German labels, KERN classes)."""

from __future__ import annotations

from typing import Any

from django import forms

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
