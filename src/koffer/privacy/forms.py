"""The filter of the audit page, read from the query string (German parameter names,
because they show in the address bar and in bookmarks)."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from koffer.privacy import labels
from koffer.privacy.selectors import AuditFilter

SYSTEM = "system"
ACTION_CODE = re.compile(r"^[a-z0-9_.]{1,80}$")
DATE_FORMATS = ["%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"]
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)


def _text(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "kern-form-input__input", **attrs})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "kern-form-input__select"})


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_FORMATS,
        help_text="TT.MM.JJJJ",
        error_messages={"invalid": "Bitte ein Datum im Format TT.MM.JJJJ angeben."},
        widget=forms.DateInput(
            format="%d.%m.%Y",
            attrs={
                "class": "kern-form-input__input",
                "inputmode": "numeric",
                "autocomplete": "off",
                "placeholder": "TT.MM.JJJJ",
            },
        ),
    )


def _cursor_field() -> forms.IntegerField:
    return forms.IntegerField(
        required=False,
        min_value=0,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "Die Seitenangabe ist ungültig.",
            "min_value": "Die Seitenangabe ist ungültig.",
        },
    )


class AuditFilterForm(forms.Form):
    person = forms.CharField(
        label="Betroffene Person",
        required=False,
        max_length=200,
        help_text="Name oder Teil davon",
        widget=_text(autocomplete="off"),
    )
    wer = forms.ChoiceField(label="Wer", required=False, widget=_select())
    aktion = forms.ChoiceField(label="Aktion", required=False, widget=_select())
    von = _date_field("Von")
    bis = _date_field("Bis")
    text = forms.CharField(
        label="Freitext",
        required=False,
        max_length=200,
        help_text="in Objekt, Wer und Grund",
        widget=_text(),
    )
    person_typ = forms.CharField(
        label="Typ der Person", required=False, max_length=80, widget=_text()
    )
    person_id = forms.CharField(
        label="Kennung der Person", required=False, max_length=64, widget=_text()
    )
    objekt_typ = forms.CharField(label="Objekttyp", required=False, max_length=80, widget=_text())
    objekt_id = forms.CharField(
        label="Kennung des Objekts", required=False, max_length=64, widget=_text()
    )
    vor = _cursor_field()
    nach = _cursor_field()

    main_fields = ("person", "wer", "aktion", "von", "bis", "text")
    key_fields = ("person_typ", "person_id", "objekt_typ", "objekt_id")

    def __init__(
        self,
        *args: Any,
        actors: list[tuple[str, str]],
        actions: list[str],
        former_actor_label: Any = None,
        **kwargs: Any,
    ) -> None:
        """``former_actor_label(uuid) -> str`` names an actor who is no longer a member
        (links from older rows may point at them)."""
        super().__init__(*args, **kwargs)
        actor_choices = [("", "Alle"), (SYSTEM, "System (automatisch)"), *actors]
        wanted_actor = str(self.data.get("wer", "") or "")
        if wanted_actor and wanted_actor not in {v for v, _ in actor_choices}:
            actor_id = _uuid_or_none(wanted_actor)
            if actor_id is not None and former_actor_label is not None:
                name = former_actor_label(actor_id) or "Unbekanntes Konto"
                actor_choices.append((wanted_actor, f"{name} (nicht mehr Mitglied)"))
        self.fields["wer"].choices = actor_choices  # type: ignore[attr-defined]

        codes = list(actions)
        wanted_action = str(self.data.get("aktion", "") or "")
        if wanted_action and wanted_action not in codes and ACTION_CODE.match(wanted_action):
            codes.append(wanted_action)
        options = sorted(((c, labels.action_label(c)) for c in codes), key=lambda o: o[1])
        self.fields["aktion"].choices = [("", "Alle"), *options]  # type: ignore[attr-defined]

    def _clean_day(self, name: str) -> date | None:
        day: date | None = self.cleaned_data.get(name)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValidationError(
                f"Bitte ein Datum zwischen {EARLIEST:%d.%m.%Y} und {LATEST:%d.%m.%Y} angeben."
            )
        return day

    def clean_von(self) -> date | None:
        return self._clean_day("von")

    def clean_bis(self) -> date | None:
        return self._clean_day("bis")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("von"), data.get("bis")
        if since and until and since > until:
            self.add_error("bis", "„Bis“ liegt vor „Von“. Bitte den Zeitraum prüfen.")
        if data.get("vor") is not None and data.get("nach") is not None:
            raise ValidationError("Die Seitenangabe ist ungültig.")
        return data

    def audit_filter(self) -> AuditFilter:
        data = self.cleaned_data
        actor = data.get("wer") or ""
        return AuditFilter(
            subject_type=data["person_typ"].strip(),
            subject_id=data["person_id"].strip(),
            subject_search=data["person"].strip(),
            object_type=data["objekt_typ"].strip(),
            object_id=data["objekt_id"].strip(),
            actor_id=_uuid_or_none(actor),
            actor_system=actor == SYSTEM,
            action=data.get("aktion") or "",
            since=data.get("von"),
            until=data.get("bis"),
            text=data["text"].strip(),
        )

    @property
    def keys_set(self) -> bool:
        """Whether the exact-key section has values (then it is shown open)."""
        return any(self.data.get(name) for name in self.key_fields)

    def bound_main(self) -> list[forms.BoundField]:
        return [self[name] for name in self.main_fields]

    def bound_keys(self) -> list[forms.BoundField]:
        return [self[name] for name in self.key_fields]


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
