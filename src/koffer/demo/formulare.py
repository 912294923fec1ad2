"""The demo catalogue of forms: every ``demo/formulare/*.json`` imported into the Mandant
its ``fachbereich`` belongs to (the Jobcenter's forms into the Jobcenter, the Kreis's
Ämter's into the Landkreis; a form without one into both), by each Mandant's
administrator. The Stadt Beispielstadt, whose field worker visits senior citizens at
home with a Koffer, gets the forms of a senior office (``STADT_FORMULARE``), imported by
the system (it has no administration in the demo). A Vorgangstyp a form opens is created
where the Mandant lacks it, so that submitting every demo form works.

Then each Mandant's caseworker has filled its smallest form for the first Akte: one
draft submitted (filed in the Akte) and one begun, so that drafts, submissions and their
pages and API have something to show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.utils import timezone

from koffer.accounts.models import User
from koffer.demo.outbox import ADMINS, JOBCENTER, KREIS, STADT
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.definition import Definition, Feld, pruefen, sichtbar
from koffer.forms.katalog import selectors as katalog_selectors
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Formular
from koffer.records.konfiguration import services as konfiguration
from koffer.records.models import Akte, FristRegel, Module, VorgangTyp
from koffer.tenancy.models import Mandant

ORDNER = Path(__file__).resolve().parent / "formulare"
MANDANT_JE_FACHBEREICH = {
    "sgb2": (JOBCENTER,),
    "sgb8": (KREIS,),
    "sgb12": (KREIS,),
    "ifsg": (KREIS,),
    "sgb9": (KREIS,),
    "allgemein": (KREIS, JOBCENTER),
    "": (KREIS, JOBCENTER),
}
# A senior office's home visits: care, housing benefit, a disability application, a note.
STADT_FORMULARE = ("hilfe-zur-pflege", "wohngeld", "feststellung-behinderung", "freie-notiz")


def definitionen(ordner: Path = ORDNER) -> list[dict[str, Any]]:
    """Every definition of the folder (none while it is empty or missing), by file name."""
    if not ordner.is_dir():
        return []
    daten = []
    for datei in sorted(ordner.glob("*.json")):
        inhalt = json.loads(datei.read_text(encoding="utf-8"))
        daten.extend(inhalt if isinstance(inhalt, list) else [inhalt])
    return daten


def _vorgangstyp(admin: User | None, tenant: Mandant, definition: dict[str, Any]) -> None:
    code = (definition.get("vorgang") or {}).get("vorgangstyp")
    if not code:
        return
    module = katalog.MODULE.get(definition.get("fachbereich") or "")
    typen = VorgangTyp.objects.for_tenant(tenant).filter(code=code, is_active=True)
    if module:
        typen = typen.filter(module=module)
    if typen.exists():
        return
    module = module or Module.ALLGEMEIN
    label = code.replace("-", " ").replace("_", " ").capitalize()
    konfiguration.create_vorgang_typ(
        actor=admin, tenant=tenant, module=module, code=code, label=label
    )


#: Fristregeln the demo forms name that the E-Akte's defaults lack: code → (label, months).
FRISTREGELN = {
    "bearbeitung": ("Entscheidung über den Antrag (§ 88 Abs. 1 SGG: sechs Monate)", 6),
}


def _fristregeln(admin: User | None, tenant: Mandant, definition: dict[str, Any]) -> None:
    for code in (definition.get("vorgang") or {}).get("fristen", []):
        if (
            code in FRISTREGELN
            and not FristRegel.objects.for_tenant(tenant).filter(code=code).exists()
        ):
            label, months = FRISTREGELN[code]
            konfiguration.create_frist_regel(
                actor=admin, tenant=tenant, code=code, label=label, months=months
            )


def voraussetzungen(admin: User | None, tenant: Mandant, definition: dict[str, Any]) -> None:
    """What a demo form needs in the Mandant before it can be imported: the Vorgangstyp it
    opens and the Fristregeln it names (``admin`` None: the system)."""
    _vorgangstyp(admin, tenant, definition)
    _fristregeln(admin, tenant, definition)


def load(mandanten: dict[str, Mandant], ordner: Path = ORDNER) -> None:
    je_mandant: dict[str, list[dict[str, Any]]] = {}
    for definition in definitionen(ordner):
        for slug in MANDANT_JE_FACHBEREICH.get(definition.get("fachbereich") or "", (KREIS,)):
            je_mandant.setdefault(slug, []).append(definition)
    if STADT in mandanten:
        je_mandant[STADT] = [d for d in definitionen(ordner) if d["schluessel"] in STADT_FORMULARE]
    je_mandant = {slug: liste for slug, liste in je_mandant.items() if slug in mandanten}
    for slug, liste in je_mandant.items():
        tenant = mandanten[slug]
        admin = User.objects.get(username=ADMINS[slug]) if slug in ADMINS else None
        if not liste:
            continue
        for definition in liste:
            voraussetzungen(admin, tenant, definition)
        katalog.importieren(actor=admin, access=None, tenant=tenant, daten=liste)
    for slug in je_mandant:
        _beispiele(mandanten[slug])


def _beispielwert(feld: Feld, heute: str) -> Any:
    """A value a demo person would give a required field; None where none is obvious
    (a pattern, a format, a file)."""
    if feld.typ in ("text", "mehrzeilig") and not (feld.muster or feld.format):
        return "Beispielangabe"
    if feld.typ == "janein":
        return False
    if feld.typ == "auswahl" and feld.optionen:
        return [feld.optionen[0].wert] if feld.mehrfach else feld.optionen[0].wert
    if feld.typ == "datum":
        return next((g for g in (feld.min, feld.max) if g and g != "heute"), heute)
    if feld.typ in ("zahl", "geld"):
        return feld.min or "1"
    if feld.typ == "unterschrift":
        return {"art": "papier"}
    return None


def _ausgefuellt(definition: Definition, antworten: dict[str, Any]) -> dict[str, Any]:
    """``antworten`` with every shown required field filled (a condition may show more
    fields once one is answered: a few rounds)."""
    heute = timezone.localdate()
    for _ in range(5):
        pruefung = pruefen(definition, antworten, heute=heute, streng=False)
        offen = [
            feld
            for feld_id in pruefung.fehler
            if (feld := definition.feld(feld_id)) is not None and feld.id not in antworten
        ]
        neu = {f.id: w for f in offen if (w := _beispielwert(f, heute.isoformat())) is not None}
        if not neu:
            break
        antworten = {**antworten, **neu}
    return antworten


def _beispiele(tenant: Mandant) -> None:
    formulare = list(katalog_selectors.katalog(tenant.pk))
    akte = (
        Akte.objects.for_tenant(tenant)
        .filter(status=Akte.Status.OPEN, caseworker__isnull=False)
        .select_related("caseworker", "unit")
        .order_by("opened_at", "pk")
        .first()
    )
    if not formulare or akte is None or akte.caseworker is None:
        return
    formular = min(formulare, key=_groesse)
    sachbearbeitung = akte.caseworker
    entwurf = ausfuellen.entwurf_beginnen(actor=sachbearbeitung, formular=formular, akte=akte)
    definition = katalog_selectors.definition(entwurf.formularversion)
    antworten = _ausgefuellt(definition, dict(entwurf.antworten))
    heute = timezone.localdate()
    gezeigt = sichtbar(definition, antworten, heute=heute).felder
    for schritt in definition.schritte:
        ausfuellen.schritt_speichern(
            actor=sachbearbeitung,
            entwurf=entwurf,
            schritt=schritt.id,
            # a prefilled answer of a field the answers hide is cleared, as a person would
            antworten={
                f.id: antworten[f.id] if f.id in gezeigt else None
                for f in schritt.felder
                if f.id in antworten
            },
        )
    gezeigte = {k: v for k, v in antworten.items() if k in gezeigt}
    if pruefen(definition, gezeigte, heute=heute, streng=True).ok:
        ausfuellen.einreichen(actor=sachbearbeitung, entwurf=entwurf)
    # and one begun, as the caseworker left it
    ausfuellen.entwurf_beginnen(actor=sachbearbeitung, formular=formular, akte=akte)


def _groesse(formular: Formular) -> int:
    assert formular.aktuelle_version is not None
    return len(katalog_selectors.definition(formular.aktuelle_version).felder)
