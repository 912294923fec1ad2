"""The Koffer wipes a checked-out Akte whose time ran out (``Ausleihe.bis``) by itself,
without asking the office: on the worker's start and every few minutes (``jobs.periodic``)
and before its page is shown. „Now“ is the office's clock as last seen (``uhr``), so a
laptop clock turned back keeps nothing longer.

Nothing unsynced is lost: when the Akte has changes the office would take, the push
payload is written first (``rueckgabe.abgleich.vorbereiten``, encrypted with the tresor)
and the next sync sends it; only then are the Akte's rows, documents and the blobs no
longer named removed, in one transaction, audited. (Locking the Akte read-only until a
sync instead would keep personal data on the laptop past the day the office allowed.)"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from koffer.audit import services as audit
from koffer.blobs.store import get_store
from koffer.field.models import Ausleihe, Stand
from koffer.field.rueckgabe import abgleich
from koffer.field.rueckgabe.sammeln import AKTE_PFAD, sammeln
from koffer.field.unterwegs import selectors, uhr, vermerke
from koffer.forms.ausfuellen.ablage import genannte_blobs
from koffer.forms.models import Einreichung, Entwurf
from koffer.records.models import (
    Akte,
    AkteSubjekt,
    Bedarfsgemeinschaft,
    BgMitglied,
    Dokument,
    DokumentVersion,
    Person,
)

logger = logging.getLogger("koffer.field")

AKTION = "field.koffer.ablauf_geloescht"
AKTION_BEENDET = "field.koffer.ausleihe_beendet_geloescht"
# Seconds between two looks in the worker's heartbeat.
ALLE = 300.0


@dataclass
class Verfall:
    """One expired Akte wiped: its id, rows and blobs removed, whether its changes were
    written to the payload file first."""

    akte_id: uuid.UUID
    zeilen: int
    blobs: int
    gesichert: bool


def alle() -> float:
    return ALLE if settings.KOFFER_MODE == "koffer" else 0.0


def abgelaufene_abwischen(*, jetzt: datetime | None = None) -> list[Verfall]:
    """Wipe every carried Akte whose checkout ended by ``jetzt`` (the office's clock)."""
    if settings.KOFFER_MODE != "koffer":
        return []
    jetzt = jetzt or uhr.buero_jetzt()
    with _allein() as frei:
        if not frei:
            return []
        faellig = list(
            Ausleihe.objects.unscoped()
            .filter(zurueck_am__isnull=True, bis__lte=jetzt)
            .values_list("tenant_id", "akte_id", "bis")
        )
        if not faellig:
            return []
        hinweise: list[str] = []
        je_akte = selectors.aenderungen_je_akte(sammeln(hinweise=hinweise))
        gesichert = any(str(akte_id) in je_akte for _, akte_id, _ in faellig) or bool(
            je_akte.get(selectors.OHNE_AKTE)
        )
        if gesichert:
            abgleich.vorbereiten()
        erledigt = [
            akte_abwischen(
                tenant_id=tenant_id,
                akte_id=akte_id,
                bis=bis,
                gesichert=gesichert and str(akte_id) in je_akte,
                nicht_uebertragen=len(hinweise),
            )
            for tenant_id, akte_id, bis in faellig
        ]
    vermerke.setzen(
        verfall={
            "am": timezone.now().isoformat(),
            "akten": len(erledigt),
            "gesichert": sum(1 for v in erledigt if v.gesichert),
        }
    )
    return erledigt


def beendete_abwischen(
    *, akte_ids: list[str], gesendet: dict[str, Any] | None = None
) -> list[Verfall]:
    """Wipe the Akten the office no longer lets this Koffer carry (a pull's
    ``entfernt``: checkout returned, ended or expired, access withdrawn) that are still
    here, saving their unsent changes first as :func:`abgelaufene_abwischen` does; what
    ``gesendet`` (a push the office just confirmed) carried is not saved again."""
    hier = list(
        Akte._base_manager.filter(pk__in=list(_uuids(akte_ids))).values_list("tenant_id", "pk")
    )
    if not hier:
        return []
    jetzt = uhr.buero_jetzt()
    with _allein() as frei:
        if not frei:
            return []
        hinweise: list[str] = []
        je_akte = selectors.aenderungen_je_akte(sammeln(hinweise=hinweise))
        gesichert = any(str(a) in je_akte for _, a in hier)
        if gesichert:
            payload, _ = abgleich.vorbereiten(gesendet=gesendet)
            gesichert = payload is not None
        erledigt = []
        for tenant_id, akte_id in hier:
            bis = (
                Ausleihe._base_manager.filter(akte_id=akte_id)
                .order_by("-bis")
                .values_list("bis", flat=True)
                .first()
            )
            erledigt.append(
                akte_abwischen(
                    tenant_id=tenant_id,
                    akte_id=akte_id,
                    bis=bis or jetzt,
                    gesichert=gesichert and str(akte_id) in je_akte,
                    nicht_uebertragen=len(hinweise),
                    aktion=AKTION_BEENDET,
                )
            )
    return erledigt


def _uuids(values: list[str]) -> set[uuid.UUID]:
    found = set()
    for value in values:
        try:
            found.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


def akte_abwischen(
    *,
    tenant_id: uuid.UUID,
    akte_id: uuid.UUID,
    bis: datetime,
    gesichert: bool = False,
    nicht_uebertragen: int = 0,
    aktion: str = AKTION,
) -> Verfall:
    """Remove one Akte from this Koffer: everything below it, the Akte, its persons and
        Bedarfsgemeinschaft when no other carried Akte names them, their base versions, and
        the blobs no remaining version or form names (a form's uploads and drawn signatures
    included). One transaction, one audit event."""
    entfernt: dict[type[models.Model], list[str]] = {}
    with transaction.atomic():
        akte = Akte._base_manager.filter(pk=akte_id).values("bg_id").first()
        personen = [
            str(p)
            for p in AkteSubjekt._base_manager.filter(akte_id=akte_id).values_list(
                "person_id", flat=True
            )
        ]
        versionen = DokumentVersion._base_manager.filter(dokument__akte_id=akte_id)
        blobs = {s for pair in versionen.values_list("sha256", "pdf_sha256") for s in pair if s}
        blobs |= _formular_blobs(akte_id=akte_id)
        Dokument._base_manager.filter(akte_id=akte_id).update(current_version=None)
        for model, pfad in reversed(AKTE_PFAD.items()):
            entfernt[model] = _loeschen(model, model._base_manager.filter(**{pfad: akte_id}))
        entfernt[Akte] = _loeschen(Akte, Akte._base_manager.filter(pk=akte_id))
        bleiben = set(
            AkteSubjekt._base_manager.filter(person_id__in=personen).values_list(
                "person_id", flat=True
            )
        )
        weg = [p for p in personen if uuid.UUID(p) not in bleiben]
        entfernt[BgMitglied] = _loeschen(
            BgMitglied, BgMitglied._base_manager.filter(person_id__in=weg)
        )
        entfernt[Person] = _loeschen(Person, Person._base_manager.filter(pk__in=weg))
        if akte and akte["bg_id"]:
            bg = Bedarfsgemeinschaft._base_manager.filter(pk=akte["bg_id"])
            if not Akte._base_manager.filter(bg_id=akte["bg_id"]).exists():
                entfernt[Bedarfsgemeinschaft] = _loeschen(Bedarfsgemeinschaft, bg)
        for model, ids in entfernt.items():
            if ids:
                Stand.objects.for_tenant(tenant_id).filter(
                    modell=model._meta.label_lower, objekt_id__in=ids
                ).delete()
        genannt = set(
            DokumentVersion._base_manager.filter(
                Q(sha256__in=blobs) | Q(pdf_sha256__in=blobs)
            ).values_list("sha256", "pdf_sha256")
        )
        frei = blobs - {s for pair in genannt for s in pair} - _formular_blobs()
        zeilen = sum(len(ids) for ids in entfernt.values())
        audit.record(
            actor=None,
            tenant_id=tenant_id,
            action=aktion,
            obj=("records.akte", str(akte_id)),
            changes={
                "bis": bis.isoformat(),
                "zeilen": zeilen,
                "blobs": len(frei),
                "gesichert": gesichert,
                "nicht_uebertragen": nicht_uebertragen,
            },
        )
        transaction.on_commit(lambda: _blobs_loeschen(frei))
    return Verfall(akte_id=akte_id, zeilen=zeilen, blobs=len(frei), gesichert=gesichert)


def _formular_blobs(*, akte_id: uuid.UUID | None = None) -> set[str]:
    """The blobs named inside form drafts and submissions (uploads, drawn signatures):
    of one Akte, or (``akte_id`` None) of every form still on this Koffer."""
    entwuerfe = Entwurf._base_manager.all()
    einreichungen = Einreichung._base_manager.all()
    if akte_id is not None:
        entwuerfe = entwuerfe.filter(akte_id=akte_id)
        einreichungen = einreichungen.filter(akte_id=akte_id)
    gefunden: set[str] = set()
    for antworten in [
        *entwuerfe.values_list("antworten", flat=True),
        *einreichungen.values_list("werte", flat=True),
    ]:
        if isinstance(antworten, dict):
            gefunden.update(genannte_blobs(antworten))
    return gefunden


def _loeschen(model: type[models.Model], rows: models.QuerySet[Any]) -> list[str]:
    """Delete ``rows``; a row something else on this Koffer still protects stays (its
    base version too, so a later wipe finds it). Returns the ids removed."""
    ids = [str(pk) for pk in rows.values_list("pk", flat=True)]
    if not ids:
        return []
    try:
        with transaction.atomic():
            rows.delete()
        return ids
    except ProtectedError:
        pass
    weg = []
    for pk in ids:
        try:
            with transaction.atomic():
                model._base_manager.filter(pk=pk).delete()
            weg.append(pk)
        except ProtectedError:
            logger.warning("%s %s bleibt im Koffer: noch verwendet", model._meta.label, pk)
    return weg


def _blobs_loeschen(blobs: set[str]) -> None:
    store = get_store()
    for sha in sorted(blobs):
        store.delete(sha)


@contextlib.contextmanager
def _allein() -> Iterator[bool]:
    """One wipe at a time on this laptop (web and worker may look at once)."""
    pfad = Path(settings.VAR_DIR) / "koffer" / "verfall.lock"
    pfad.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with pfad.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
