"""German wording for audit events: action names, object types and a compact text of the
changes. Unknown codes fall back to the code itself, so a new action is never hidden."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from django.apps import apps

AUDIT_QUERY_ACTION = "privacy.audit.query"

ACTION_LABELS: dict[str, str] = {
    "read": "Gelesen",
    "tenancy.mandant.create": "Mandant angelegt",
    "tenancy.unit.create": "Organisationseinheit angelegt",
    "accounts.login": "Angemeldet",
    "accounts.otp.verified": "Zweiten Faktor bestätigt",
    "accounts.user.create": "Benutzer angelegt",
    "accounts.user.password_reset": "Passwort neu gesetzt",
    "accounts.user.sessions_revoked": "Sitzungen beendet",
    "accounts.membership.add": "Rolle vergeben",
    "accounts.token.create": "API-Schlüssel erzeugt",
    "accounts.token.revoke": "API-Schlüssel widerrufen",
    AUDIT_QUERY_ACTION: "Protokoll eingesehen",
    "jobs.job.start": "Hintergrundauftrag gestartet",
    "jobs.job.done": "Hintergrundauftrag abgeschlossen",
    "jobs.job.failed": "Hintergrundauftrag fehlgeschlagen",
    "jobs.job.retry": "Hintergrundauftrag wiederholt",
    "jobs.job.recovered": "Hintergrundauftrag neu eingeplant",
    "records.aktenplan.create": "Aktenplaneinheit angelegt",
    "records.defaults.install": "Standard-Aktenplan eingerichtet",
    "records.person.create": "Person angelegt",
    "records.bg.create": "Bedarfsgemeinschaft angelegt",
    "records.akte.create": "Akte angelegt",
    "records.akte.change": "Akte geändert",
    "records.vorgang.create": "Vorgang angelegt",
    "records.vorgang.status": "Status des Vorgangs geändert",
    "records.dokument.create": "Dokument angelegt",
    "records.dokument.change": "Dokument geändert",
    "records.dokument.version": "Neue Dokumentversion",
    "records.dokument.move": "Dokument verschoben",
    "records.dokument.cancel": "Dokument storniert",
    "records.frist.create": "Frist angelegt",
    "records.wiedervorlage.create": "Wiedervorlage angelegt",
    "records.wiedervorlage.done": "Wiedervorlage erledigt",
}

# For ``<app>.<model>.<verb>`` codes nobody listed above: "<Modell> <Partizip>".
VERB_LABELS: dict[str, str] = {
    "create": "angelegt",
    "change": "geändert",
    "update": "geändert",
    "delete": "gelöscht",
    "read": "gelesen",
    "export": "exportiert",
    "done": "erledigt",
    "cancel": "storniert",
    "move": "verschoben",
    "revoke": "widerrufen",
}

# Object and subject types that are not Django models (audit.record(obj=("kind", id))).
TYPE_LABELS: dict[str, str] = {
    "privacy.audit": "Audit-Protokoll",
}

ARROW = " → "
EMPTY = "–"


@lru_cache(maxsize=512)
def action_label(code: str) -> str:
    """The German label; else "<verbose name> <verb>" for ``app.model.verb``; else the code."""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    model_code, _, verb = code.rpartition(".")
    if verb in VERB_LABELS and "." in model_code:
        model_label = type_label(model_code)
        if model_label != model_code:
            return f"{model_label} {VERB_LABELS[verb]}"
    return code


@lru_cache(maxsize=256)
def type_label(code: str) -> str:
    """The model's German verbose name for ``app_label.model`` codes, else the code."""
    if not code:
        return ""
    if code in TYPE_LABELS:
        return TYPE_LABELS[code]
    try:
        model = apps.get_model(code)
    except (LookupError, ValueError):
        return code
    return str(model._meta.verbose_name)


def _value_text(value: Any, limit: int | None) -> str:
    if value is None or value == "":
        text = EMPTY
    elif value is True:
        text = "ja"
    elif value is False:
        text = "nein"
    elif isinstance(value, list):
        text = ", ".join(_value_text(v, None) for v in value) or EMPTY
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    else:
        text = str(value)
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def _is_old_new(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"old", "new"}


def changes_text(changes: Any, *, limit: int | None = None) -> str:
    """``feld: alt → neu; feld2: wert`` for both shapes of ``changes``.

    ``limit`` shortens each value (the page); the export passes None and keeps everything.
    """
    if not changes:
        return ""
    if not isinstance(changes, dict):
        return _value_text(changes, limit)
    parts = []
    for field, value in changes.items():
        if _is_old_new(value):
            text = _value_text(value["old"], limit) + ARROW + _value_text(value["new"], limit)
        else:
            text = _value_text(value, limit)
        parts.append(f"{field}: {text}")
    return "; ".join(parts)
