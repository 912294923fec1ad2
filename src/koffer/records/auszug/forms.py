"""Forms of the Aktenauszug and Akteneinsicht pages."""

from __future__ import annotations

import logging

from django import forms

from koffer.records.auszug import einsicht

logger = logging.getLogger("koffer.records.extract")

# htmx stops polling when a response has this status (and still swaps its content).


PURPOSE_EXAMPLE = "Aktenauszug für das Sozialgericht Musterstadt, Az. S 12 SB 345/26"


class PurposeForm(forms.Form):
    purpose = forms.CharField(
        label="Zweck des Auszugs",
        max_length=300,
        help_text=f"Steht auf dem Deckblatt, z. B. „{PURPOSE_EXAMPLE}“.",
        widget=forms.TextInput(attrs={"class": "kern-form-input__input", "autocomplete": "off"}),
    )


class EinsichtForm(forms.Form):
    recipient = forms.CharField(
        label="Empfänger",
        max_length=200,
        help_text="Wer den Link bekommt, z. B. „Sozialgericht Musterstadt, 12. Kammer“ "
        "oder „Rechtsanwältin Dr. Beispiel“.",
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )
    valid_days = forms.IntegerField(
        label="Gültig (Tage)",
        min_value=1,
        max_value=einsicht.MAX_DAYS,
        initial=einsicht.DEFAULT_DAYS,
        help_text=f"Höchstens {einsicht.MAX_DAYS} Tage.",
        widget=forms.NumberInput(attrs={"class": "kern-form-input__input"}),
    )


class PinForm(forms.Form):
    pin = forms.CharField(
        label="PIN",
        max_length=20,
        help_text="Die 6-stellige PIN haben Sie getrennt vom Link erhalten.",
        widget=forms.TextInput(
            attrs={
                "class": "kern-form-input__input",
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
            }
        ),
    )
