"""Forms of the paper originals: keeping one (or a legal hold), releasing a batch's
originals, the provider's confirmation of a destruction."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from koffer.inbox.originale.services import MAX_REASON


class AufbewahrenForm(forms.Form):
    grund = forms.CharField(
        label="Grund",
        max_length=MAX_REASON,
        help_text="Zum Beispiel: Original für das Widerspruchsverfahren benötigt.",
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )
    rechtliche_sperre = forms.BooleanField(
        label="Rechtliche Sperre (etwa ein Gerichtsverfahren oder eine Strafanzeige)",
        required=False,
    )


class AufhebenForm(forms.Form):
    """Ending „Original aufbewahren“ or the „Rechtliche Sperre“ (which one: the form's
    prefix, :data:`LIFT_PREFIXES`)."""

    grund = forms.CharField(
        label="Grund der Aufhebung",
        max_length=MAX_REASON,
        help_text="Zum Beispiel: Widerspruchsverfahren abgeschlossen.",
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )


# The lifting forms' prefixes, and whether each ends the legal hold.
LIFT_PREFIXES = {"ende-aufbewahren": False, "ende-sperre": True}


class FreigabeForm(forms.Form):
    grund = forms.CharField(
        label="Grund der Freigabe",
        max_length=MAX_REASON,
        help_text="Etwa: alle Seiten gesichtet und lesbar.",
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )


class BestaetigungForm(forms.Form):
    vernichtet_von = forms.CharField(
        label="Vernichtet durch",
        max_length=200,
        help_text="Name der Person oder des Entsorgungsbetriebs.",
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )
    vernichtet_am = forms.DateTimeField(
        label="Vernichtet am",
        input_formats=["%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(
            attrs={"class": "kern-form-input__input", "type": "datetime-local"},
            format="%Y-%m-%dT%H:%M",
        ),
    )
    grund = forms.CharField(
        label="Grund, falls Originale nicht vernichtet wurden",
        max_length=MAX_REASON,
        required=False,
        help_text="Nur nötig, wenn oben Einträge als nicht vernichtet angekreuzt sind.",
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vernichtet_am"].initial = timezone.localtime().replace(second=0, microsecond=0)
