from __future__ import annotations

from django import forms

from koffer.inputs import CheckboxGroups
from koffer.portal.nachrichten.services import MAX_ANLAGEN, MAX_TEXT


class NachrichtForm(forms.Form):
    text = forms.CharField(
        label="Ihre Nachricht",
        max_length=MAX_TEXT,
        help_text=f"Höchstens {MAX_TEXT} Zeichen. Die Nachricht wird in Ihrer Akte abgelegt.",
        widget=forms.Textarea(attrs={"class": "kern-form-input__input", "rows": 6}),
        error_messages={"required": "Bitte schreiben Sie Ihre Nachricht."},
    )


class AntwortForm(NachrichtForm):
    dokumente = forms.MultipleChoiceField(
        label="Dokumente der Akte anhängen",
        required=False,
        widget=CheckboxGroups,
        help_text=f"Höchstens {MAX_ANLAGEN}. Die Person kann sie in den Online-Diensten "
        "herunterladen.",
    )

    def __init__(self, *args: object, dokumente: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        feld = self.fields["dokumente"]
        assert isinstance(feld, forms.MultipleChoiceField)
        feld.choices = dokumente
        self.fields["text"].label = "Antwort"
        self.fields["text"].help_text = (
            "Wird als ausgehendes Dokument im Vorgang abgelegt und im Postfach bereitgestellt; "
            "die Person erhält eine E-Mail ohne Inhalt."
        )
