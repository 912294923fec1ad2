"""Forms of the provider and youth-office pages; German labels, fields the services take."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from koffer.inputs import (
    CHOOSE,
    CheckboxGroups,
    DateInput,
    DecimalField,
    GroupedModelMultipleChoiceField,
)
from koffer.placements.models import (
    AbsenceRounding,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Fachbereich,
    Merkmal,
    Region,
)
from koffer.placements.services import STANDBY_PAYER_KINDS
from koffer.tenancy.models import Mandant

DATE = DateInput()
TEXT = {"class": "kern-form-input__input"}
SELECT = {"class": "kern-form-input__select"}


def _text(
    label: str, *, required: bool = True, max_length: int = 200, **kw: Any
) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.TextInput(TEXT), **kw
    )


class EinrichtungForm(forms.Form):
    name = _text("Name der Einrichtung")
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
    street = _text("Straße und Hausnummer")
    postcode = _text("Postleitzahl", max_length=10)
    city = _text("Ort", max_length=100)
    region = _text("Landkreis/Region", required=False, max_length=120)
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
    licence_number = _text(
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


class AngebotForm(forms.Form):
    betreuungsform = forms.ModelChoiceField(
        label="Betreuungsform",
        queryset=Betreuungsform.objects.none(),
        empty_label=CHOOSE,
        widget=forms.Select(SELECT),
    )
    title = _text("Bezeichnung des Angebots", required=False)
    absence_rounding = forms.ChoiceField(
        label="Preis der Abwesenheitstage",
        choices=AbsenceRounding.choices,
        initial=AbsenceRounding.PER_DAY,
        widget=forms.Select(SELECT),
        help_text="Wie die Entgeltvereinbarung den anteiligen Tagessatz rundet.",
    )

    def __init__(self, *args: Any, formen: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["betreuungsform"].queryset = formen  # type: ignore[attr-defined]


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


class ZusageForm(forms.Form):
    beginn = forms.DateField(label="Beginn der Belegung", widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["beginn"].initial = timezone.localdate()


class GrundForm(forms.Form):
    reason = _text("Grund", max_length=300)


class AbwesenheitForm(forms.Form):
    von = forms.DateField(label="Abwesend ab (erster Tag)", widget=DATE)
    bis = forms.DateField(label="Abwesend bis (letzter Tag)", widget=DATE)
    grund = _text(
        "Grund",
        help_text="Zum Beispiel Heimfahrt, Krankenhaus, Ferienfreizeit. Keine Diagnosen.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        von, bis = data.get("von"), data.get("bis")
        if von is not None and bis is not None and bis < von:
            self.add_error("bis", "Der letzte Tag liegt vor dem ersten Tag der Abwesenheit.")
        return data


class BeendenForm(forms.Form):
    ende = forms.DateField(label="Letzter Tag der Belegung", widget=DATE)
    grund = forms.ChoiceField(
        label="Grund der Beendigung",
        choices=Belegung.Endegrund.choices,
        widget=forms.Select(SELECT),
    )
    bemerkung = _text("Bemerkung", required=False, max_length=300)
    wieder_anbieten = forms.BooleanField(
        label="Platz ab dem Folgetag wieder anbieten", required=False, initial=True
    )
