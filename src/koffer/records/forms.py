from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from koffer import identifiers, kontakt
from koffer.inputs import CheckboxGroups, DateInput
from koffer.records.models import AccessLevel, Akte, BgMitglied, Module, Vorgang


def _text(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "kern-form-input__input", **attrs})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "kern-form-input__select"})


def _date() -> forms.DateInput:
    return DateInput()


class ChoicesForm(forms.Form):
    """A form whose select fields get their choices at runtime (scoped to the Mandant)."""

    def set_choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        self.fields[name].choices = choices  # type: ignore[attr-defined]


class KundennummerField(forms.CharField):
    """The Jobcenter's Kundennummer, optional, stored compact (``123D456789``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Kundennummer (Jobcenter)")
        kwargs.setdefault(
            "help_text", "Drei Ziffern, ein Buchstabe, sechs Ziffern, z. B. 123D456789."
        )
        super().__init__(max_length=14, required=False, widget=_text(), **kwargs)

    def clean(self, value: Any) -> str:
        compact = identifiers.normalise_kundennummer(super().clean(value))
        if compact and (problem := identifiers.kundennummer_problem(compact)):
            raise forms.ValidationError(problem, code="kundennummer")
        return compact


class CheckedTextField(forms.CharField):
    """Optional text normalised by ``normalise`` and checked by ``problem`` (German)."""

    def __init__(
        self,
        *,
        problem: Any,
        normalise: Any = str.strip,
        code: str,
        attrs: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.problem, self.normalise, self.code = problem, normalise, code
        super().__init__(required=False, widget=_text(**(attrs or {})), **kwargs)

    def clean(self, value: Any) -> str:
        cleaned = self.normalise(super().clean(value))
        if cleaned and (problem := self.problem(cleaned)):
            raise forms.ValidationError(problem, code=self.code)
        return str(cleaned)


class PersonDetailsForm(ChoicesForm):
    """A person's contact and bank details (``services.PERSON_DETAILS``), all optional."""

    geburtsort = forms.CharField(label="Geburtsort", max_length=120, required=False, widget=_text())
    staatsangehoerigkeit = forms.CharField(
        label="Staatsangehörigkeit",
        max_length=80,
        required=False,
        help_text="Wie in Formularen gefragt, z. B. deutsch.",
        widget=_text(),
    )
    telefon = CheckedTextField(
        label="Telefon",
        max_length=25,
        problem=kontakt.telefon_problem,
        code="telefon",
        attrs={"type": "tel", "autocomplete": "off"},
    )
    email = CheckedTextField(
        label="E-Mail",
        max_length=254,
        problem=kontakt.email_problem,
        code="email",
        attrs={"type": "email", "autocomplete": "off", "spellcheck": "false"},
    )
    iban = CheckedTextField(
        label="IBAN",
        max_length=42,
        problem=identifiers.iban_problem,
        normalise=identifiers.normalise_iban,
        code="iban",
        help_text="Leerzeichen sind erlaubt, z. B. DE02 1203 0000 0000 2020 51.",
        attrs={"autocomplete": "off", "spellcheck": "false"},
    )
    bic = CheckedTextField(
        label="BIC",
        max_length=14,
        problem=identifiers.bic_problem,
        normalise=identifiers.normalise_bic,
        code="bic",
        attrs={"autocomplete": "off", "spellcheck": "false"},
    )
    kontoinhaber = forms.CharField(
        label="Kontoinhaber/in",
        max_length=200,
        required=False,
        help_text="Leer lassen, wenn das Konto der Person selbst gehört.",
        widget=_text(),
    )

    def details(self) -> dict[str, str]:
        """The cleaned details, for ``services.create_person`` and ``change_person``."""
        return {name: self.cleaned_data[name] for name in PersonDetailsForm.base_fields}


class AkteCreateForm(PersonDetailsForm):
    aktenplaneinheit = forms.ChoiceField(label="Aktenplan", widget=_select())
    unit = forms.ChoiceField(label="Zuständige Organisationseinheit", widget=_select())
    title = forms.CharField(label="Titel", max_length=300, widget=_text())
    family_name = forms.CharField(
        label="Familienname der betroffenen Person", max_length=120, required=False, widget=_text()
    )
    given_names = forms.CharField(label="Vornamen", max_length=200, required=False, widget=_text())
    birth_date = forms.DateField(label="Geburtsdatum", required=False, widget=_date())
    kundennummer = KundennummerField()
    bg_nummer = forms.CharField(
        label="BG-Nummer (SGB II)",
        max_length=30,
        required=False,
        help_text="Leer lassen, wenn keine Bedarfsgemeinschaft; „neu“ vergibt die nächste Nummer.",
        widget=_text(),
    )
    bg_rolle = forms.ChoiceField(
        label="Rolle in der Bedarfsgemeinschaft",
        choices=[("", "automatisch"), *BgMitglied.Rolle.choices],
        required=False,
        help_text="Automatisch: Antragsteller/in einer neuen, sonstige Person einer "
        "vorhandenen Bedarfsgemeinschaft.",
        widget=_select(),
    )
    access_level = forms.ChoiceField(
        label="Zugriff",
        choices=[("", "wie im Aktenplan"), *AccessLevel.choices],
        required=False,
        help_text="Abweichend vom Aktenplan nur für Organisationseinheiten, in denen Sie Akten "
        "zuweisen dürfen. Eine eingeschränkte Akte öffnen nur Sie.",
        widget=_select(),
    )

    field_order = [
        "aktenplaneinheit",
        "unit",
        "title",
        "family_name",
        "given_names",
        "birth_date",
        "kundennummer",
        *PersonDetailsForm.base_fields,
        "bg_nummer",
        "bg_rolle",
        "access_level",
    ]


class PersonChangeForm(PersonDetailsForm):
    """All master data of one person of an Akte."""

    family_name = forms.CharField(label="Familienname", max_length=120, widget=_text())
    given_names = forms.CharField(label="Vornamen", max_length=200, required=False, widget=_text())
    birth_name = forms.CharField(
        label="Geburtsname", max_length=120, required=False, widget=_text()
    )
    birth_date = forms.DateField(label="Geburtsdatum", required=False, widget=_date())
    street = forms.CharField(
        label="Straße und Hausnummer", max_length=200, required=False, widget=_text()
    )
    postal_code = forms.CharField(label="PLZ", max_length=10, required=False, widget=_text())
    city = forms.CharField(label="Ort", max_length=120, required=False, widget=_text())
    kundennummer = KundennummerField()

    field_order = [
        "family_name",
        "given_names",
        "birth_name",
        "birth_date",
        "geburtsort",
        "staatsangehoerigkeit",
        "street",
        "postal_code",
        "city",
        "telefon",
        "email",
        "kundennummer",
        "iban",
        "bic",
        "kontoinhaber",
    ]


class AkteChangeForm(ChoicesForm):
    unit = forms.ChoiceField(label="Zuständige Organisationseinheit", widget=_select())
    caseworker = forms.ChoiceField(label="Sachbearbeitung", required=False, widget=_select())
    status = forms.ChoiceField(label="Status", choices=Akte.Status.choices, widget=_select())
    access_level = forms.ChoiceField(label="Zugriff", choices=AccessLevel.choices, widget=_select())
    named_users = forms.MultipleChoiceField(
        label="Benannte Personen (bei eingeschränktem Zugriff)",
        required=False,
        help_text="Nur diese Personen können eine eingeschränkte Akte öffnen.",
        widget=CheckboxGroups,
    )
    reason = forms.CharField(
        label="Grund der Änderung",
        max_length=500,
        widget=forms.Textarea(attrs={"class": "kern-form-input__input", "rows": 2}),
    )


class VorgangCreateForm(ChoicesForm):
    typ = forms.ChoiceField(label="Art des Vorgangs", widget=_select())
    title = forms.CharField(label="Bezeichnung", max_length=300, required=False, widget=_text())


class VorgangStatusForm(forms.Form):
    status = forms.ChoiceField(
        label="Neuer Status", choices=Vorgang.Status.choices, widget=_select()
    )
    note = forms.CharField(label="Vermerk", max_length=300, required=False, widget=_text())
    ergebnis = forms.ChoiceField(
        label="Ergebnis (nur bei „erledigt“)",
        choices=[("", "kein Ergebnis angeben"), *Vorgang.Ergebnis.choices],
        required=False,
        help_text="Bei einem Online-Antrag sieht die antragstellende Person das Ergebnis "
        "in den Online-Diensten.",
        widget=_select(),
    )
    bescheid_am = forms.DateField(
        label="Datum des Bescheids (freiwillig)", required=False, widget=_date()
    )


class FristForm(ChoicesForm):
    regel = forms.ChoiceField(label="Regel", widget=_select())
    base_date = forms.DateField(
        label="Ausgangsdatum",
        help_text="Bei Bescheiden: Tag der Aufgabe zur Post. Die Bekanntgabe rechnet koffer nach der Regel.",
        widget=_date(),
    )


class WiedervorlageForm(forms.Form):
    due_date = forms.DateField(
        label="Wiedervorlage am", help_text="Heute oder ein späterer Tag.", widget=_date()
    )
    note = forms.CharField(label="Vermerk", max_length=500, required=False, widget=_text())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The date picker offers no past day; the service refuses one all the same.
        self.fields["due_date"].widget.attrs["min"] = timezone.localdate().isoformat()


class AktenplanImportForm(forms.Form):
    file = forms.FileField(
        label="CSV-Datei",
        help_text="Spalten: kennzeichen;titel;uebergeordnet;modul;aufbewahrung_jahre;archivwert;zugriff;muster",
        widget=forms.ClearableFileInput(
            attrs={"class": "kern-form-input__input", "accept": ".csv,text/csv"}
        ),
    )


class BgMitgliedForm(PersonDetailsForm):
    family_name = forms.CharField(label="Familienname", max_length=120, widget=_text())
    given_names = forms.CharField(label="Vornamen", max_length=200, required=False, widget=_text())
    birth_date = forms.DateField(label="Geburtsdatum", required=False, widget=_date())
    kundennummer = KundennummerField()
    rolle = forms.ChoiceField(
        label="Rolle in der Bedarfsgemeinschaft", choices=BgMitglied.Rolle.choices, widget=_select()
    )

    field_order = [
        "family_name",
        "given_names",
        "birth_date",
        "kundennummer",
        "rolle",
        *PersonDetailsForm.base_fields,
    ]


class BgZuordnenForm(forms.Form):
    bg_nummer = forms.CharField(
        label="BG-Nummer",
        max_length=30,
        required=False,
        help_text="Leer lassen, um eine neue Bedarfsgemeinschaft mit der nächsten BG-Nummer "
        "anzulegen; sonst die Nummer einer vorhandenen Bedarfsgemeinschaft.",
        widget=_text(autocomplete="off"),
    )
    rolle = forms.ChoiceField(
        label="Rolle der betroffenen Personen",
        choices=BgMitglied.Rolle.choices,
        initial=BgMitglied.Rolle.SONSTIGE,
        widget=_select(),
    )
    reason = forms.CharField(
        label="Grund",
        max_length=500,
        widget=forms.Textarea(attrs={"class": "kern-form-input__input", "rows": 2}),
    )


class BgEntfernenForm(forms.Form):
    mitglied = forms.UUIDField(widget=forms.HiddenInput())
    reason = forms.CharField(label="Grund", max_length=500, widget=_text())


def _number(**attrs: Any) -> forms.NumberInput:
    return forms.NumberInput(
        attrs={"class": "kern-form-input__input", "inputmode": "numeric", **attrs}
    )


def _check() -> forms.CheckboxInput:
    return forms.CheckboxInput(attrs={"class": "kern-form-check__checkbox"})


CODE_HELP = "Kleinbuchstaben, Ziffern, „-“ oder „_“; wird in der API verwendet und ist danach fest."


class VorgangTypCreateForm(forms.Form):
    module = forms.ChoiceField(label="Fachverfahren", choices=Module.choices, widget=_select())
    code = forms.CharField(label="Code", max_length=40, help_text=CODE_HELP, widget=_text())
    label = forms.CharField(label="Bezeichnung", max_length=120, widget=_text())


class VorgangTypChangeForm(forms.Form):
    label = forms.CharField(label="Bezeichnung", max_length=120, widget=_text())
    is_active = forms.BooleanField(
        label="In Gebrauch",
        required=False,
        help_text="Nicht mehr gebrauchte Typen werden beim Anlegen nicht angeboten; "
        "vorhandene Vorgänge behalten ihren Typ.",
        widget=_check(),
    )


class FristRegelChangeForm(forms.Form):
    label = forms.CharField(label="Bezeichnung", max_length=120, widget=_text())
    notification_days = forms.IntegerField(
        label="Tage bis zur Bekanntgabe",
        min_value=0,
        max_value=30,
        initial=0,
        help_text="Nach § 37 Abs. 2 SGB X gilt ein Brief am vierten Tag nach Aufgabe zur Post "
        "als bekannt gegeben: 4. Bei 0 ist das Ausgangsdatum schon die Bekanntgabe.",
        widget=_number(),
    )
    months = forms.IntegerField(
        label="Monate", min_value=0, max_value=120, initial=0, widget=_number()
    )
    days = forms.IntegerField(
        label="Tage", min_value=0, max_value=3650, initial=0, widget=_number()
    )
    shift_to_workday = forms.BooleanField(
        label="Auf den nächsten Werktag verschieben",
        required=False,
        initial=True,
        help_text="Endet die Frist an einem Wochenende oder Feiertag, endet sie am nächsten "
        "Werktag (§ 26 Abs. 3 SGB X, § 64 Abs. 3 SGG).",
        widget=_check(),
    )


class FristRegelCreateForm(FristRegelChangeForm):
    code = forms.CharField(label="Code", max_length=40, help_text=CODE_HELP, widget=_text())
    field_order = ["code", "label", "notification_days", "months", "days", "shift_to_workday"]
