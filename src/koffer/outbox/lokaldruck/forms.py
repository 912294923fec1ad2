"""Forms of local printing: a printer (administration), printing a letter on one."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer.inputs import CHOOSE, SELECT, TEXT, text_field


class DruckerForm(forms.Form):
    name = text_field("Name des Druckers", max_length=120)
    uri = text_field(
        "IPP-Adresse",
        max_length=500,
        help_text="Mit ipp:// oder ipps://, ohne Benutzername und Kennwort, zum Beispiel "
        "ipp://drucker-team1.amt.example:631/ipp/print.",
    )
    unit = forms.ChoiceField(
        label="Organisationseinheit",
        required=False,
        help_text="Leer: für den ganzen Mandanten.",
        widget=forms.Select(SELECT),
    )
    duplex = forms.BooleanField(label="beidseitig drucken", required=False, initial=True)
    is_active = forms.BooleanField(label="aktiv", required=False, initial=True)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "ganzer Mandant"), *units]  # type: ignore[attr-defined]
        self.fields["uri"].widget.attrs.update({"inputmode": "url", "spellcheck": "false"})


class DruckenForm(forms.Form):
    drucker = forms.ChoiceField(label="Drucker", widget=forms.Select(SELECT))
    nochmals = forms.BooleanField(label="nochmals drucken", required=False)
    grund = forms.CharField(
        label="Grund für den erneuten Druck",
        required=False,
        max_length=500,
        widget=forms.TextInput(TEXT),
    )

    def __init__(
        self, *args: Any, drucker: list[tuple[str, str]], schon_gedruckt: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = drucker if len(drucker) == 1 else [("", CHOOSE), *drucker]
        self.fields["drucker"].choices = choices  # type: ignore[attr-defined]
        if not schon_gedruckt:
            del self.fields["nochmals"]
            del self.fields["grund"]
