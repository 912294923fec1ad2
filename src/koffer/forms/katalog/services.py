"""Every write of the catalogue, for the Mandant's administration
(``access.verwaltet_katalog``, asked here, so API, pages and the demo cannot differ).

An import reads every definition first (``definition.lesen``) and stores nothing unless
all of them are clean: a list with one broken form is refused with every finding of every
form, each with its path (``[2].schritte[0].felder[3].optionen``). A form gets a new
version only when its JSON differs from the current version's; a version is never
changed afterwards (a trigger refuses UPDATE), drafts stay on the version they began on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.forms import access as rules
from koffer.forms.definition import Definition, DefinitionFehler, als_json, lesen, text_de
from koffer.forms.errors import Conflict, Forbidden, Ungueltig, befunde_text
from koffer.forms.katalog import selectors
from koffer.forms.models import Formular, Formularversion
from koffer.records.models import FristRegel, Module, VorgangTyp
from koffer.tenancy.models import Mandant

MAX_FORMULARE = 200  # one import; a catalogue is a few dozen forms
# Keys the API's paths use beside ``/formulare/{schluessel}``.
RESERVIERT = frozenset({"schema", "import", "entwuerfe", "einreichungen"})

#: The definition's ``fachbereich`` is the E-Akte's module (Vorgangstypen are per module).
MODULE = {module.value: module for module in Module}


def _check(access: Access | None) -> None:
    """``None`` is the system itself (the demo loader)."""
    if access is not None and not rules.verwaltet_katalog(access):
        raise Forbidden("forbidden", "Den Formularkatalog pflegt die Administration.")


@dataclass(frozen=True)
class Importiert:
    """One form of an import: its row, its current version, and whether this import
    made that version (``False``: the JSON was the same as before)."""

    formular: Formular
    version: Formularversion
    neu: bool


def _gelesen(
    tenant: Mandant, eintraege: Sequence[Any], praefix: bool
) -> list[tuple[Definition, dict[str, Any]]]:
    fehler: dict[str, list[str]] = {}
    gelesen = []
    schluessel: dict[str, int] = {}
    for nummer, roh in enumerate(eintraege):
        vorn = f"[{nummer}]" if praefix else ""
        try:
            definition = lesen(roh)
        except DefinitionFehler as befund:
            for pfad, meldung in befund.befunde:
                fehler.setdefault(_pfad(vorn, pfad), []).append(meldung)
            continue
        if definition.schluessel in schluessel:
            fehler.setdefault(_pfad(vorn, "schluessel"), []).append(
                f"Der Schlüssel „{definition.schluessel}“ steht schon an Stelle "
                f"{schluessel[definition.schluessel] + 1} dieses Imports."
            )
        schluessel[definition.schluessel] = nummer
        if definition.schluessel in RESERVIERT:
            fehler.setdefault(_pfad(vorn, "schluessel"), []).append(
                f"Der Schlüssel „{definition.schluessel}“ ist reserviert; bitte wählen Sie "
                "einen anderen."
            )
        for pfad, meldung in _vorgangstyp(tenant, definition):
            fehler.setdefault(_pfad(vorn, pfad), []).append(meldung)
        gelesen.append((definition, json.loads(json.dumps(roh))))
    if fehler:
        raise Ungueltig(
            "form_definition_invalid",
            "Die Formulardefinition ist fehlerhaft; nichts wurde gespeichert: "
            + befunde_text(fehler),
            fehler=fehler,
        )
    return gelesen


def _pfad(vorn: str, pfad: str) -> str:
    if not vorn:
        return pfad
    return f"{vorn}.{pfad}" if pfad and not pfad.startswith("[") else f"{vorn}{pfad}"


def vorgangstyp(
    tenant_id: Any, definition: Definition, module: str | None = None
) -> VorgangTyp | None:
    """The active Vorgangstyp a submission opens: of that code in ``module`` (the Akte's),
    else in the form's own module, else in any."""
    if definition.vorgang is None:
        return None
    typen = list(
        VorgangTyp.objects.for_tenant(tenant_id)
        .filter(code=definition.vorgang.vorgangstyp, is_active=True)
        .order_by("module")
    )
    for wanted in (module, MODULE.get(definition.fachbereich or "")):
        passend = next((t for t in typen if wanted and t.module == wanted), None)
        if passend is not None:
            return passend
    return typen[0] if typen else None


def _vorgangstyp(tenant: Mandant, definition: Definition) -> list[tuple[str, str]]:
    if definition.vorgang is None:
        return []
    befunde = []
    if vorgangstyp(tenant.pk, definition) is None:
        befunde.append(
            (
                "vorgang.vorgangstyp",
                f"Einen aktiven Vorgangstyp „{definition.vorgang.vorgangstyp}“ gibt es in diesem "
                "Mandanten nicht. Bitte legen Sie ihn zuerst an.",
            )
        )
    vorhanden = set(fristregeln(tenant.pk, definition))
    for i, code in enumerate(definition.vorgang.fristen):
        if code not in vorhanden:
            befunde.append(
                (
                    f"vorgang.fristen[{i}]",
                    f"Eine Fristregel „{code}“ gibt es in diesem Mandanten nicht. Bitte legen "
                    "Sie sie unter „Vorgangstypen und Fristen“ an.",
                )
            )
    return befunde


def fristregeln(tenant_id: Any, definition: Definition) -> dict[str, FristRegel]:
    """The Fristregeln a submission's new Vorgang gets, by code (those that exist)."""
    codes = definition.vorgang.fristen if definition.vorgang else ()
    if not codes:
        return {}
    return {r.code: r for r in FristRegel.objects.for_tenant(tenant_id).filter(code__in=codes)}


def importieren(
    *, actor: Actor | None, access: Access | None, tenant: Mandant, daten: Any
) -> list[Importiert]:
    """Import one definition (a JSON object) or several (a list): each form is created or
    gets a new version where its JSON changed; refused with every finding before anything
    is stored (:class:`Ungueltig`, ``fehler`` by path)."""
    _check(access)
    liste = isinstance(daten, list)
    eintraege = daten if liste else [daten]
    if not eintraege:
        raise Ungueltig(
            "form_import_empty", "Der Import enthält kein Formular.", fehler={"": ["leer"]}
        )
    if len(eintraege) > MAX_FORMULARE:
        meldung = f"Höchstens {MAX_FORMULARE} Formulare je Import."
        raise Ungueltig("form_import_too_many", meldung, fehler={"": [meldung]})
    gelesen = _gelesen(tenant, eintraege, liste)
    with transaction.atomic():
        return [_speichern(actor, tenant, definition, roh) for definition, roh in gelesen]


def _speichern(
    actor: Actor | None, tenant: Mandant, definition: Definition, roh: dict[str, Any]
) -> Importiert:
    now = timezone.now()
    titel = text_de(definition.titel)[:300]
    row = (
        Formular.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .filter(schluessel=definition.schluessel)
        .select_related("aktuelle_version")
        .first()
    )
    created = row is None
    if row is None:
        try:
            with transaction.atomic():
                row = Formular.objects.create(
                    tenant=tenant, schluessel=definition.schluessel, titel=titel, updated_at=now
                )
        except IntegrityError:
            raise Conflict(
                "formular_exists",
                f"Das Formular „{definition.schluessel}“ hat gerade jemand anderes angelegt. "
                "Bitte importieren Sie noch einmal.",
            ) from None
    current = row.aktuelle_version
    if current is not None and current.definition == roh:
        if not row.is_active:
            _aktiv(actor, row, True)
        return Importiert(row, current, neu=False)
    last = (
        Formularversion.objects.for_tenant(tenant)
        .filter(formular=row)
        .aggregate(n=Max("nummer"))["n"]
    )
    version = Formularversion.objects.create(
        tenant=tenant,
        formular=row,
        nummer=(last or 0) + 1,
        definition=roh,
        created_at=now,
        created_by=actor if isinstance(actor, User) else None,
    )
    old = {"titel": row.titel, "is_active": row.is_active}
    row.aktuelle_version, row.titel, row.is_active, row.updated_at = version, titel, True, now
    row.save(update_fields=["aktuelle_version", "titel", "is_active", "updated_at"])
    audit.record(
        actor=actor,
        tenant_id=tenant.pk,
        action="forms.formular.create" if created else "forms.formular.version",
        obj=row,
        changes={
            "schluessel": row.schluessel,
            "nummer": version.nummer,
            **audit.diff(old, {"titel": titel, "is_active": True}),
        },
    )
    return Importiert(row, version, neu=True)


def _aktiv(actor: Actor | None, row: Formular, aktiv: bool) -> None:
    """Offer the form for new drafts again, or no longer (the row locked)."""
    row.is_active, row.updated_at = aktiv, timezone.now()
    row.save(update_fields=["is_active", "updated_at"])
    audit.record(
        actor=actor,
        tenant_id=row.tenant_id,
        action="forms.formular.activate" if aktiv else "forms.formular.deactivate",
        obj=row,
        changes={"is_active": {"old": not aktiv, "new": aktiv}},
    )


def exportieren(
    *, actor: Actor | None, access: Access | None, tenant: Mandant, schluessel: str | None = None
) -> list[dict[str, Any]]:
    """The current definitions as imported (one form, or every form of the catalogue),
    ready to import elsewhere. Audited: a catalogue leaving the system is worth a line."""
    _check(access)
    rows = selectors.alle(tenant.pk)
    if schluessel is not None:
        rows = rows.filter(schluessel=schluessel)
    daten = [
        als_json(selectors.definition(row.aktuelle_version))
        for row in rows
        if row.aktuelle_version is not None
    ]
    audit.record(
        actor=actor,
        tenant_id=tenant.pk,
        action="forms.katalog.export",
        changes={"schluessel": schluessel, "anzahl": len(daten)},
    )
    return daten


def deaktivieren(
    *, actor: Actor | None, access: Access | None, tenant: Mandant, formular: Formular
) -> Formular:
    """New drafts can no longer use the form; open drafts and submissions keep theirs."""
    _check(access)
    with transaction.atomic():
        row = Formular.objects.for_tenant(tenant).select_for_update().get(pk=formular.pk)
        if row.is_active:
            _aktiv(actor, row, False)
    return row


def aktivieren(
    *, actor: Actor | None, access: Access | None, tenant: Mandant, formular: Formular
) -> Formular:
    """New drafts may use the form again (its current version); a form without a version
    cannot be activated (nothing could be filled in)."""
    _check(access)
    with transaction.atomic():
        row = Formular.objects.for_tenant(tenant).select_for_update().get(pk=formular.pk)
        if row.is_active:
            return row
        if row.aktuelle_version_id is None:
            raise Conflict(
                "formular_ohne_version",
                "Das Formular hat noch keine Version; importieren Sie zuerst eine Definition.",
            )
        _aktiv(actor, row, True)
    return row
