"""Forms of the provider pages: Einrichtung, Angebot, Entgelt, Plätze and their
availability; German labels, fields the services take."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from koffer.inputs import (
    CHOOSE,
    SELECT,
    TEXT,
    DateInput,
    DecimalField,
    GroupedModelMultipleChoiceField,
    text_field,
)
from koffer.placements.angebote.services import STANDBY_PAYER_KINDS
from koffer.placements.models import (
    AbsenceRounding,
    Betreuungsform,
    Einrichtung,
    Fachbereich,
    Merkmal,
)
from koffer.tenancy.models import Mandant

DATE = DateInput()


class EinrichtungForm(forms.Form):
    name = text_field("Name der Einrichtung")
    fachbereich = forms.ModelChoiceField(
        label="Fachbereich",
        queryset=Fachbereich.objects.all(),
        empty_label=CHOOSE,
        widget=forms.Select(SELECT),
    )
    formen = GroupedModelMultipleChoiceField(
        label="Betreuungsformen laut Betriebserlaubnis",
        queryset=Betreuungsform.objects.select_related("fachbereich"),
        group_by=lambda f: f.fachbereich.label,
    )
    merkmale = GroupedModelMultipleChoiceField(
        label="Spezialisierungen und Sprachen",
        queryset=Merkmal.objects.select_related("fachbereich"),
        required=False,
        # Languages exist once per Fachbereich: the group names which one.
        group_by=lambda m: f"{m.fachbereich.label}: {m.group}",
    )
    street = text_field("Straße und Hausnummer")
    postcode = text_field("Postleitzahl", max_length=10)
    city = text_field("Ort", max_length=100)
    region = text_field("Landkreis/Region", required=False, max_length=120)
    lat = forms.FloatField(
        label="Breitengrad",
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(TEXT | {"step": "any"}),
    )
    lon = forms.FloatField(
        label="Längengrad",
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(TEXT | {"step": "any"}),
    )
    licence_number = text_field(
        "Aktenzeichen der Betriebserlaubnis (§ 45 SGB VIII)", required=False, max_length=60
    )
    licence_date = forms.DateField(label="Datum der Betriebserlaubnis", required=False, widget=DATE)
    licence_conditions = forms.CharField(
        label="Auflagen der Betriebserlaubnis",
        required=False,
        widget=forms.Textarea({"class": "kern-form-input__input", "rows": "3"}),
    )
    age_min = forms.IntegerField(
        label="Aufnahmealter von (Jahre)",
        min_value=0,
        max_value=120,
        widget=forms.NumberInput(TEXT),
    )
    age_max = forms.IntegerField(
        label="Aufnahmealter bis (Jahre)",
        min_value=0,
        max_value=120,
        widget=forms.NumberInput(TEXT),
    )
    accepts_w = forms.BooleanField(label="nimmt Mädchen/Frauen auf", required=False, initial=True)
    accepts_m = forms.BooleanField(label="nimmt Jungen/Männer auf", required=False, initial=True)
    accepts_d = forms.BooleanField(label="nimmt diverse Personen auf", required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        fb = data.get("fachbereich")
        if fb is not None:
            if any(f.fachbereich_id != fb.pk for f in data.get("formen", [])):
                self.add_error(
                    "formen", "Bitte nur Betreuungsformen des gewählten Fachbereichs wählen."
                )
            if any(m.fachbereich_id != fb.pk for m in data.get("merkmale", [])):
                self.add_error("merkmale", "Bitte nur Merkmale des gewählten Fachbereichs wählen.")
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", "Das Höchstalter liegt unter dem Mindestalter.")
        return data


class EinrichtungBearbeitenForm(EinrichtungForm):
    """The facility's data as it is now; the Fachbereich stays (its Angebote depend on
    it), so only its forms of care and criteria can be chosen."""

    def __init__(self, *args: Any, einrichtung: Einrichtung, **kwargs: Any) -> None:
        initial = {
            field: getattr(einrichtung, field)
            for field in self.base_fields
            if field not in ("fachbereich", "formen", "merkmale")
        }
        initial["formen"] = list(einrichtung.formen.all())
        initial["merkmale"] = list(einrichtung.merkmale.all())
        kwargs["initial"] = initial | kwargs.get("initial", {})
        super().__init__(*args, **kwargs)
        del self.fields["fachbereich"]
        fb = einrichtung.fachbereich_id
        self.fields["formen"].queryset = Betreuungsform.objects.filter(fachbereich_id=fb)  # type: ignore[attr-defined]
        self.fields["merkmale"].queryset = Merkmal.objects.filter(fachbereich_id=fb)  # type: ignore[attr-defined]


def _absence_rounding() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Preis der Abwesenheitstage",
        choices=AbsenceRounding.choices,
        initial=AbsenceRounding.PER_DAY,
        widget=forms.Select(SELECT),
        help_text="Wie die Entgeltvereinbarung den anteiligen Tagessatz rundet.",
    )


class AngebotForm(forms.Form):
    betreuungsform = forms.ModelChoiceField(
        label="Betreuungsform",
        queryset=Betreuungsform.objects.none(),
        empty_label=CHOOSE,
        widget=forms.Select(SELECT),
    )
    title = text_field("Bezeichnung des Angebots", required=False)
    absence_rounding = _absence_rounding()

    def __init__(self, *args: Any, formen: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["betreuungsform"].queryset = formen  # type: ignore[attr-defined]


class RundungForm(forms.Form):
    """How an existing Angebot's absence days are priced."""

    absence_rounding = _absence_rounding()


MONEY = forms.NumberInput(TEXT | {"step": "0.01", "inputmode": "decimal"})


class EntgeltForm(forms.Form):
    valid_from = forms.DateField(label="Gültig ab", widget=DATE)
    valid_to = forms.DateField(label="Gültig bis", required=False, widget=DATE)
    leistungsentgelt = DecimalField(
        label="Leistungsentgelt je Tag (€)", min_value=Decimal("0"), decimal_places=2, widget=MONEY
    )
    grundleistung = DecimalField(
        label="Entgelt für Unterkunft und Verpflegung je Tag (€)",
        min_value=Decimal("0"),
        decimal_places=2,
        initial=Decimal("0"),
        widget=MONEY,
    )
    investitionsbetrag = DecimalField(
        label="Investitionsbetrag je Tag (€)",
        min_value=Decimal("0"),
        decimal_places=2,
        initial=Decimal("0"),
        widget=MONEY,
    )
    absence_share = DecimalField(
        label="Vergütung an Abwesenheitstagen (%)",
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        widget=MONEY,
        help_text="Vorbelegt mit dem im Fachbereich eingestellten Anteil.",
    )

    def __init__(self, *args: Any, absence_share: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["absence_share"].initial = absence_share


class EntgeltWechselForm(EntgeltForm):
    """A new day rate from a date; the rate in force ends the day before."""

    field_order = [
        "valid_from",
        "leistungsentgelt",
        "grundleistung",
        "investitionsbetrag",
        "absence_share",
        "valid_to",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].label = "Neuer Tagessatz gilt ab"
        self.fields[
            "valid_from"
        ].help_text = "Das bisherige Entgelt endet am Tag davor; dazwischen bleibt keine Lücke."
        self.fields["valid_to"].help_text = "Leer lassen, wenn der neue Satz bis auf Weiteres gilt."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_to")
        if start is not None and end is not None and end < start:
            self.add_error("valid_to", "Das Ende liegt vor dem Beginn des neuen Satzes.")
        amounts = [data.get(k) for k in ("leistungsentgelt", "grundleistung", "investitionsbetrag")]
        if all(a is not None for a in amounts) and sum(amounts) <= 0:  # type: ignore[arg-type]
            self.add_error("leistungsentgelt", "Der Tagessatz muss größer als 0 € sein.")
        return data


def standby_payers() -> Any:
    """Authorities that can contract a standby place: Kreise and Städte (youth offices)."""
    return Mandant.objects.filter(kind__in=STANDBY_PAYER_KINDS, is_active=True).order_by("name")


class PlaetzeForm(forms.Form):
    count = forms.IntegerField(
        label="Anzahl neuer Plätze",
        min_value=1,
        max_value=500,
        initial=1,
        widget=forms.NumberInput(TEXT),
    )
    valid_from = forms.DateField(label="Vorhanden ab", widget=DATE)
    valid_to = forms.DateField(label="Vorhanden bis", required=False, widget=DATE)
    frei_ab = forms.DateField(
        label="Frei ab",
        required=False,
        widget=DATE,
        help_text="Leer lassen, wenn die Plätze noch nicht angeboten werden.",
    )
    standby_jugendamt = forms.ModelChoiceField(
        label="Vorhalteplatz, bezahlt von",
        queryset=Mandant.objects.none(),
        required=False,
        empty_label="– kein Vorhalteplatz –",
        widget=forms.Select(SELECT),
        help_text=(
            "Nur für Vorhalteplätze: das Jugendamt, das den Platz laut Vereinbarung jeden "
            "Tag bezahlt, ob belegt oder nicht."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["standby_jugendamt"].queryset = standby_payers()  # type: ignore[attr-defined]


class FreiForm(forms.Form):
    frei_ab = forms.DateField(label="Frei ab", required=False, widget=DATE)


class PlaetzeFreiForm(forms.Form):
    """„Frei ab“ of every offerable place of one Angebot in one form, with one save button;
    ``alle_ab`` sets the same date for all of them."""

    alle_ab = forms.DateField(
        label="Alle diese Plätze frei ab",
        required=False,
        widget=DATE,
        help_text="Optional: gilt dann für jeden Platz unten; sonst das Datum je Platz.",
    )

    def __init__(self, *args: Any, plaetze: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plaetze = plaetze
        for platz in plaetze:
            self.fields[self.key(platz)] = forms.DateField(
                label=f"Frei ab für {platz.label}",
                required=False,
                initial=platz.frei_ab,
                widget=DateInput(),
            )

    @staticmethod
    def key(platz: Any) -> str:
        return f"frei_{platz.pk}"

    def rows(self) -> list[tuple[Any, forms.BoundField]]:
        return [(p, self[self.key(p)]) for p in self.plaetze]

    def frei_ab(self) -> dict[Any, Any]:
        """Place → its new date (None: no longer offered)."""
        common = self.cleaned_data.get("alle_ab")
        return {p: common or self.cleaned_data.get(self.key(p)) for p in self.plaetze}
