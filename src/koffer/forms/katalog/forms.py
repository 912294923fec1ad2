"""The import form of the catalogue's pages: a JSON file or pasted JSON, parsed here;
what a valid definition is, ``katalog.services.importieren`` says (its findings are shown
with their path above the form)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.http import QueryDict

MAX_BYTES = 5 * 1024 * 1024  # a catalogue of a few dozen large forms fits easily


class ImportForm(forms.Form):
    datei = forms.FileField(
        label="JSON-Datei",
        required=False,
        help_text="Eine Datei mit einer Formulardefinition oder einer Liste davon (.json), "
        f"höchstens {MAX_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(
            attrs={"class": "kern-form-input__input", "accept": ".json,application/json"}
        ),
    )
    text = forms.CharField(
        label="oder JSON einfügen",
        required=False,
        strip=False,
        help_text="Eine Definition ({ … }) oder eine Liste ([ { … }, { … } ]). Mit einer Datei "
        "zusammen zählt die Datei.",
        widget=forms.Textarea(
            attrs={
                "class": "kern-form-input__input koffer-json",
                "rows": "14",
                "spellcheck": "false",
            }
        ),
    )

    daten: Any = None

    def _behalten(self, inhalt: str) -> None:
        """Show the uploaded file's text in the text area: corrected there, nothing lost."""
        daten = QueryDict(mutable=True)
        daten.update(self.data)
        daten[self.add_prefix("text")] = inhalt
        self.data = daten

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("datei")
        inhalt = cleaned.get("text") or ""
        feld = "text"
        if upload:
            feld = "datei"
            roh = upload.read(MAX_BYTES + 1)
            if len(roh) > MAX_BYTES:
                raise forms.ValidationError(
                    {"datei": f"Die Datei ist größer als {MAX_BYTES // (1024 * 1024)} MB."}
                )
            try:
                inhalt = roh.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    {"datei": "Die Datei ist kein Text in UTF-8 (so speichert JSON üblicherweise)."}
                ) from None
            self._behalten(inhalt)
            cleaned["text"] = inhalt
        if not inhalt.strip():
            raise forms.ValidationError(
                {"text": "Bitte wählen Sie eine JSON-Datei oder fügen Sie JSON ein."}
            )
        try:
            self.daten = json.loads(inhalt)
        except json.JSONDecodeError as fehler:
            raise forms.ValidationError(
                {
                    feld: f"Kein gültiges JSON: {_deutsch(fehler.msg)} in Zeile {fehler.lineno}, "
                    f"Spalte {fehler.colno}."
                }
            ) from None
        if not isinstance(self.daten, (dict, list)):
            raise forms.ValidationError(
                {feld: "Erwartet wird ein Objekt ({ … }) oder eine Liste ([ … ])."}
            )
        return cleaned


_MELDUNGEN = {
    "Expecting value": "ein Wert fehlt",
    "Expecting property name enclosed in double quotes": "ein Schlüssel in doppelten "
    "Anführungszeichen fehlt",
    "Expecting ',' delimiter": "ein Komma fehlt",
    "Expecting ':' delimiter": "ein Doppelpunkt fehlt",
    "Extra data": "nach dem Ende folgt noch Text",
    "Unterminated string starting at": "eine Zeichenkette ist nicht geschlossen",
    "Invalid control character at": "ein Steuerzeichen steht in einer Zeichenkette",
}


def _deutsch(meldung: str) -> str:
    return _MELDUNGEN.get(meldung, meldung)
