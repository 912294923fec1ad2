"""The demo catalogue of forms: every ``demo/formulare/*.json`` imported into the Mandant
its ``fachbereich`` belongs to (the Jobcenter's forms into the Jobcenter, the Kreis's
Ämter's into the Landkreis; a form without one into both), by each Mandant's
administrator. A Vorgangstyp a form opens is created where the Mandant lacks it, so that
submitting every demo form works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from koffer.accounts.models import User
from koffer.demo.outbox import ADMINS, JOBCENTER, KREIS
from koffer.forms.katalog import services as katalog
from koffer.records.konfiguration import services as konfiguration
from koffer.records.models import Module, VorgangTyp
from koffer.tenancy.models import Mandant

ORDNER = Path(__file__).resolve().parent / "formulare"
MANDANT_JE_FACHBEREICH = {
    "jobcenter": (JOBCENTER,),
    "jugendamt": (KREIS,),
    "sozialamt": (KREIS,),
    "gesundheitsamt": (KREIS,),
    "sgb9": (KREIS,),
    "": (KREIS, JOBCENTER),
}


def definitionen(ordner: Path = ORDNER) -> list[dict[str, Any]]:
    """Every definition of the folder (none while it is empty or missing), by file name."""
    if not ordner.is_dir():
        return []
    daten = []
    for datei in sorted(ordner.glob("*.json")):
        inhalt = json.loads(datei.read_text(encoding="utf-8"))
        daten.extend(inhalt if isinstance(inhalt, list) else [inhalt])
    return daten


def _vorgangstyp(admin: User, tenant: Mandant, definition: dict[str, Any]) -> None:
    code = (definition.get("vorgang") or {}).get("vorgangstyp")
    if not code:
        return
    if VorgangTyp.objects.for_tenant(tenant).filter(code=code, is_active=True).exists():
        return
    module = katalog.MODULE.get(definition.get("fachbereich") or "", Module.ALLGEMEIN)
    label = code.replace("-", " ").replace("_", " ").capitalize()
    konfiguration.create_vorgang_typ(
        actor=admin, tenant=tenant, module=module, code=code, label=label
    )


def load(mandanten: dict[str, Mandant], ordner: Path = ORDNER) -> None:
    je_mandant: dict[str, list[dict[str, Any]]] = {}
    for definition in definitionen(ordner):
        for slug in MANDANT_JE_FACHBEREICH.get(definition.get("fachbereich") or "", (KREIS,)):
            je_mandant.setdefault(slug, []).append(definition)
    for slug, liste in je_mandant.items():
        tenant = mandanten[slug]
        admin = User.objects.get(username=ADMINS[slug])
        for definition in liste:
            _vorgangstyp(admin, tenant, definition)
        katalog.importieren(actor=admin, access=None, tenant=tenant, daten=liste)
