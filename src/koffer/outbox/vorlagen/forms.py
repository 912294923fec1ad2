"""Forms of the template pages: they parse what was typed; what a valid letterhead, text
block or version is, the services say (their :class:`Invalid` names the field, and the
view shows it there)."""

from __future__ import annotations

from typing import Any

from django import forms

from koffer import inputs
from koffer.outbox.models import Vorlage
from koffer.outbox.vorlagen.logo import MAX_BYTES
from koffer.outbox.vorlagen.services import (
    FELDTYPEN,
    MAX_RUECKSENDEANGABE,
    BriefkopfAngaben,
    Einstellungen,
    Entwurf,
    Feld,
    VierAugen,
)
from koffer.records.models import Module


def _area(rows: int = 4, **attrs: str) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "kern-form-input__input", "rows": str(rows), **attrs})


def _select() -> forms.Select:
    return forms.Select(attrs=inputs.SELECT)


class BriefkopfForm(forms.Form):
    behoerde = inputs.text_field("Behörde", help_text="Zum Beispiel „Landkreis Musterland“.")
    abteilung = inputs.text_field("Abteilung", required=False)
    anschrift = forms.CharField(
        label="Anschrift",
        help_text="Straße oder Postfach, dann PLZ und Ort; je eine Zeile.",
        widget=_area(3),
    )
    ruecksendeangabe = inputs.text_field(
        "Rücksendeangabe",
        max_length=MAX_RUECKSENDEANGABE,
        help_text=f"Eine Zeile über der Anschrift im Fenster, höchstens "
        f"{MAX_RUECKSENDEANGABE} Zeichen, zum Beispiel „Landkreis Musterland · "
        f"Postfach 1 · 99999 Musterstadt“.",
    )
    telefon = inputs.text_field("Telefon", required=False, max_length=60)
    email = inputs.text_field("E-Mail", required=False, max_length=120)
    internet = inputs.text_field("Internet", required=False, max_length=120)
    oeffnungszeiten = forms.CharField(
        label="Öffnungszeiten", required=False, help_text="Je Zeile ein Eintrag.", widget=_area(3)
    )
    bankverbindung = forms.CharField(
        label="Bankverbindung",
        required=False,
        help_text="Bank, IBAN und BIC, je eine Zeile.",
        widget=_area(3),
    )
    logo = forms.FileField(
        label="Logo (SVG-Datei)",
        required=False,
        help_text=f"Eine SVG-Zeichnung ohne Skripte und ohne Verweise nach außen, höchstens "
        f"{MAX_BYTES // 1024} kB. Ohne Auswahl bleibt das bisherige Logo.",
        widget=forms.ClearableFileInput(
            attrs={"class": "kern-form-input__input", "accept": ".svg,image/svg+xml"}
        ),
    )
    logo_entfernen = forms.BooleanField(label="Bisheriges Logo entfernen", required=False)

    def clean_logo(self) -> str | None:
        """The uploaded file's text; the drawing itself is checked by the service."""
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        data = upload.read(MAX_BYTES + 1)  # one byte more than allowed is enough to refuse
        if len(data) > MAX_BYTES:
            raise forms.ValidationError(f"Das Logo ist größer als {MAX_BYTES // 1024} kB.")
        try:
            return str(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "Das Logo ist keine SVG-Datei in UTF-8 (so speichern Zeichenprogramme SVG "
                "üblicherweise)."
            ) from None

    def angaben(self) -> BriefkopfAngaben:
        data = self.cleaned_data
        logo: str | None = data.get("logo")
        if logo is None and data.get("logo_entfernen"):
            logo = ""
        return BriefkopfAngaben(
            behoerde=data["behoerde"],
            abteilung=data["abteilung"],
            anschrift=data["anschrift"],
            ruecksendeangabe=data["ruecksendeangabe"],
            telefon=data["telefon"],
            email=data["email"],
            internet=data["internet"],
            oeffnungszeiten=data["oeffnungszeiten"],
            bankverbindung=data["bankverbindung"],
            logo_svg=logo,
        )


class BausteinForm(forms.Form):
    code = forms.SlugField(
        label="Kürzel",
        max_length=60,
        help_text="So steht der Baustein im Vorlagentext: {{ baustein:kürzel }}.",
        widget=forms.TextInput(inputs.TEXT),
    )
    titel = inputs.text_field("Titel")
    text = forms.CharField(
        label="Text",
        help_text="typst-Markup mit Platzhaltern in doppelten geschweiften Klammern.",
        strip=False,
        widget=_area(12, spellcheck="true"),
    )

    def __init__(self, *args: Any, fixed_code: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_code:
            del self.fields["code"]


class VorlageForm(forms.Form):
    code = forms.SlugField(
        label="Kürzel",
        max_length=60,
        help_text="Kleinbuchstaben, Ziffern und Bindestrich; bleibt nach dem Anlegen gleich.",
        widget=forms.TextInput(inputs.TEXT),
    )
    titel = inputs.text_field("Titel")
    art = forms.ChoiceField(label="Art", choices=Vorlage.Art.choices, widget=_select())
    module = forms.ChoiceField(
        label="Fachbereich",
        required=False,
        choices=[("", "alle Fachbereiche"), *Module.choices],
        widget=_select(),
    )
    form = forms.ChoiceField(
        label="Briefform (DIN 5008)", choices=Vorlage.Form.choices, widget=_select()
    )
    vier_augen = forms.ChoiceField(
        label="Vier-Augen-Freigabe",
        choices=VierAugen.CHOICES,
        help_text="Eine zweite Person gibt den Brief frei: nie, immer, oder ab einem Betrag "
        "(die Vorlage braucht dann ein Eingabefeld vom Typ „betrag“).",
        widget=_select(),
    )
    vier_augen_ab = inputs.DecimalField(
        label="ab Betrag (EUR)",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="Nur bei „ab einem Betrag“.",
        widget=forms.NumberInput(
            attrs={"class": inputs.INPUT_CLASS, "step": "0.01", "inputmode": "decimal"}
        ),
    )
    is_active = forms.BooleanField(label="Aktiv (für neue Briefe wählbar)", required=False)

    def __init__(self, *args: Any, fixed_code: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fixed_code:
            del self.fields["code"]
        else:
            del self.fields["is_active"]

    def einstellungen(self) -> Einstellungen:
        data = self.cleaned_data
        return Einstellungen(
            titel=data["titel"],
            art=data["art"],
            module=data["module"],
            form=data["form"],
            vier_augen=data["vier_augen"],
            vier_augen_ab=data["vier_augen_ab"],
            is_active=data.get("is_active", True),
        )


FELD_HILFE = (
    "Was die Sachbearbeitung je Brief eingibt, je Zeile: Schlüssel | Bezeichnung | Typ "
    f"({', '.join(FELDTYPEN)}), zum Beispiel „frist | Frist zur Mitwirkung | datum“. Im "
    "Text: {{ eingabe.frist }}."
)


def felder_text(felder: list[dict[str, str]]) -> str:
    """A version's fields as the form shows them."""
    return "\n".join(f"{f['key']} | {f['label']} | {f['typ']}" for f in felder)


class VersionForm(forms.Form):
    betreff = inputs.text_field(
        "Betreff", max_length=300, help_text="Wird gedruckt, wie er hier steht."
    )
    text = forms.CharField(
        label="Text",
        help_text="typst-Markup: *fett*, _kursiv_, „- “ für Listen, eine Leerzeile für einen "
        "neuen Absatz. Platzhalter und Textbausteine in doppelten geschweiften Klammern "
        "(siehe unten).",
        strip=False,
        widget=_area(20, spellcheck="true"),
    )
    felder = forms.CharField(
        label="Eingabefelder", required=False, help_text=FELD_HILFE, widget=_area(4)
    )
    anlagen = forms.CharField(
        label="Anlagen", required=False, help_text="Je Zeile eine Anlage.", widget=_area(3)
    )

    def clean_felder(self) -> list[Feld]:
        found = []
        for number, line in enumerate(self.cleaned_data["felder"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3:
                raise forms.ValidationError(
                    f"Zeile {number}: bitte „Schlüssel | Bezeichnung | Typ“, durch „|“ getrennt."
                )
            found.append(Feld(key=parts[0], label=parts[1], typ=parts[2].lower()))
        return found

    def entwurf(self) -> Entwurf:
        data = self.cleaned_data
        return Entwurf(
            betreff=data["betreff"],
            text=data["text"],
            anlagen=data["anlagen"].splitlines(),
            felder=data["felder"],
        )
