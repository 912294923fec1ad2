"""Forms of the youth office's needs; German labels, fields the services take."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer.inputs import (
    CHOOSE,
    SELECT,
    TEXT,
    CheckboxGroups,
    DateInput,
)
from koffer.placements.models import (
    Betreuungsform,
    Merkmal,
    Region,
)

DATE = DateInput()


def bedarf_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The needs a Gesuch can ask for, each once: a language the catalogue lists for
    several Fachbereiche („Arabisch“) is one box, grouped as the catalogue groups them."""
    groups: dict[str, dict[str, str]] = {}
    for m in Merkmal.objects.order_by("group", "order", "label"):
        groups.setdefault(m.group, {}).setdefault(m.code, m.label)
    return [(group, list(codes.items())) for group, codes in groups.items()]


class GesuchForm(forms.Form):
    betreuungsform = forms.ModelChoiceField(
        label="Betreuungsform",
        queryset=Betreuungsform.objects.select_related("fachbereich"),
        empty_label=CHOOSE,
        widget=forms.Select(SELECT),
    )
    alter = forms.IntegerField(
        label="Alter (Jahre)", min_value=0, max_value=120, widget=forms.NumberInput(TEXT)
    )
    # No default: a silently preselected „weiblich“ went into needs unchecked.
    geschlecht = forms.ChoiceField(
        label="Geschlecht",
        choices=[("", CHOOSE), ("w", "weiblich"), ("m", "männlich"), ("d", "divers")],
        error_messages={"required": "Bitte wählen Sie das Geschlecht."},
        widget=forms.Select(SELECT),
    )
    ab_datum = forms.DateField(label="Benötigt ab", widget=DATE)
    region = forms.ModelChoiceField(
        label="Region (Ausgangsort)",
        queryset=Region.objects.all(),
        empty_label=CHOOSE,
        widget=forms.Select(SELECT),
    )
    radius_km = forms.IntegerField(
        label="Umkreis (km)",
        min_value=1,
        max_value=1000,
        initial=50,
        widget=forms.NumberInput(TEXT),
    )
    merkmale = forms.MultipleChoiceField(
        label="Besondere Bedarfe",
        required=False,
        widget=CheckboxGroups,
        help_text="Nur pseudonyme Angaben: keine Namen, keine Anschriften.",
    )
    kostenzusage = forms.CharField(
        label="Kostenzusage/Aktenzeichen",
        max_length=60,
        required=False,
        widget=forms.TextInput(TEXT),
        help_text="Optional; steht als Vertragsnummer auf den Rechnungen dieses Falls.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merkmale"].choices = bedarf_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        form = data.get("betreuungsform")
        codes = data.get("merkmale") or []
        if form is None:
            return data
        found = list(Merkmal.objects.filter(fachbereich_id=form.fachbereich_id, code__in=codes))
        missing = set(codes) - {m.code for m in found}
        if missing:
            labels = dict((code, label) for _, group in bedarf_choices() for code, label in group)
            names = ", ".join(sorted(labels.get(c, c) for c in missing))
            self.add_error(
                "merkmale",
                f"Im Fachbereich {form.fachbereich.label} nicht wählbar: {names}.",
            )
        data["merkmale"] = found
        return data
