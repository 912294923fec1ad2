"""Reads of the Koffer's page on the laptop: what it carries and until when, what waits to
be sent (per Akte), the office reachable or not. On the Koffer only."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import Model

from koffer.field.models import Ausleihe, Geraet
from koffer.field.paket import abholung
from koffer.field.rueckgabe import abgleich
from koffer.field.rueckgabe.sammeln import AKTE_PFAD, sammeln
from koffer.records.models import Akte, AkteSubjekt, Person

# Seconds the page waits for the office before it says „nicht erreichbar“.
PROBE_TIMEOUT = 2.0
# Changes that belong to no Akte (the key of :func:`aenderungen_je_akte`).
OHNE_AKTE = ""


def aenderungen_je_akte(payload: dict[str, Any]) -> dict[str, int]:
    """How many changes a push payload carries per Akte (its id as text): changed fields
    and new rows; a person's change counts for every carried Akte naming the person."""
    anzahl: dict[tuple[str, str], int] = defaultdict(int)
    for g in payload["geaendert"]:
        anzahl[(g["modell"], str(g["id"]))] += len(g["felder"])
    for row in payload["neu"]:
        anzahl[(row["model"], str(row["pk"]))] += 1
    je_label: dict[str, list[str]] = defaultdict(list)
    for label, pk in anzahl:
        je_label[label].append(pk)
    ergebnis: dict[str, int] = defaultdict(int)
    for label, pks in je_label.items():
        model = apps.get_model(label)
        for pk, akte_id in _akten_von(model, pks):
            ergebnis[akte_id] += anzahl[(label, pk)]
    return dict(ergebnis)


def _akten_von(model: type[Model], pks: list[str]) -> list[tuple[str, str]]:
    if model is Akte:
        return [(pk, pk) for pk in pks]
    if model is Person:
        paare = AkteSubjekt._base_manager.filter(person_id__in=pks).values_list(
            "person_id", "akte_id"
        )
        found = [(str(p), str(a)) for p, a in paare]
        ohne = set(pks) - {p for p, _ in found}
        return found + [(pk, OHNE_AKTE) for pk in ohne]
    pfad = AKTE_PFAD.get(model) or (
        "akte" if any(f.name == "akte" for f in model._meta.concrete_fields) else ""
    )
    if not pfad:
        return [(pk, OHNE_AKTE) for pk in pks]
    found = [
        (str(pk), str(akte) if akte else OHNE_AKTE)
        for pk, akte in model._base_manager.filter(pk__in=pks).values_list("pk", pfad)
    ]
    ohne = set(pks) - {p for p, _ in found}
    return found + [(pk, OHNE_AKTE) for pk in ohne]


def offene_aenderungen() -> tuple[dict[str, int], list[str]]:
    """What the next sync would send, per Akte, and the changes it would not send
    (German), collected without writing anything; a waiting push counts too."""
    hinweise: list[str] = []
    je_akte: dict[str, int] = defaultdict(int)
    for datei in abgleich.offene():
        for akte_id, n in aenderungen_je_akte(abgleich.lesen(datei)).items():
            je_akte[akte_id] += n
    for akte_id, n in aenderungen_je_akte(sammeln(hinweise=hinweise)).items():
        je_akte[akte_id] += n
    return dict(je_akte), hinweise


@dataclass
class Getragen:
    """A carried Akte: its checkout, until when, and its changes waiting to be sent."""

    ausleihe: Ausleihe
    aenderungen: int = 0


def getragene_akten() -> list[Ausleihe]:
    """The Akten on this Koffer with their checkout (open ones), by Aktenzeichen."""
    return list(
        Ausleihe.objects.unscoped()
        .filter(zurueck_am__isnull=True)
        .select_related("akte")
        .order_by("akte__aktenzeichen")
    )


def dieser_koffer() -> Geraet | None:
    """This Koffer's own row, as its package brought it (its name, field worker, since
    when paired); None before the first pull."""
    return Geraet.objects.unscoped().select_related("user").order_by("-gekoppelt_am").first()


@dataclass
class Erreichbarkeit:
    erreichbar: bool
    meldung: str = ""
    gesperrt: bool = False
    antwort: dict[str, Any] = field(default_factory=dict)


def buero_pruefen(buero: abholung.Buero) -> Erreichbarkeit:
    """A quick probe of the office (``/koffer/zustand``, short timeout); its answer also
    sets the office's clock."""
    try:
        antwort = abholung.json_anfrage(buero, "/koffer/zustand", timeout=PROBE_TIMEOUT)
    except abholung.KofferGesperrt as exc:
        return Erreichbarkeit(erreichbar=True, gesperrt=True, meldung=str(exc))
    except abholung.AbholungFehlgeschlagen as exc:
        return Erreichbarkeit(erreichbar=False, meldung=str(exc))
    return Erreichbarkeit(erreichbar=True, antwort=antwort if isinstance(antwort, dict) else {})


def zeit(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def akte_ids(ausleihen: list[Ausleihe]) -> list[uuid.UUID]:
    return [a.akte_id for a in ausleihen]
