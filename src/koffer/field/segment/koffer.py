"""The Koffer's side of the segment: the key from the pairing set up as the audit key of
the carried Mandant (:func:`einrichten`, which also records where the segment begins),
the events since the last segment the office accepted collected for the push
(:func:`sammeln`, after checking the whole local chain), and the office's acceptance
remembered (:func:`angenommen`).

Where the segment stands is kept in ``<VAR_DIR>/koffer/segment.json`` (0600): the
Mandant, the Koffer, the key, and the seq and hash the next segment goes on from. A
tampered local database shows as a chain that no longer verifies: nothing is sent, the
field worker reads why."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from koffer.audit import services as audit
from koffer.audit import verification
from koffer.audit.chain import HASHED_FIELDS
from koffer.audit.models import AuditEvent, AuditHead
from koffer.field.paket.abholung import AbholungFehlgeschlagen, zugang_pfad
from koffer.field.segment import schluessel
from koffer.field.segment.pruefung import BEGINN

# Events that alone are no reason to push: the import of the office's own package (the
# office audited its read) and the segment's beginning. They go with the next push.
NUR_BUCHFUEHRUNG = frozenset({"field.paket_eingespielt", BEGINN})

# Events per push: keeps the request well below DATA_UPLOAD_MAX_MEMORY_SIZE (about 1 KB
# an event); the rest go with the next push.
MAX_EREIGNISSE = 2000

OHNE_SCHLUESSEL = (
    "Dieser Koffer hat keinen Schlüssel für sein Protokoll (er wurde vor dieser Version"
    " gekoppelt): seine Protokollereignisse werden nicht übertragen. Bitte koppeln Sie den"
    " Koffer neu (unter „Mein Koffer“ gibt es einen neuen Kopplungscode)."
)


class ProtokollVeraendert(AbholungFehlgeschlagen):
    """The Koffer's own audit chain does not verify: nothing is sent."""


def pfad() -> Path:
    return Path(settings.VAR_DIR) / "koffer" / "segment.json"


def laden() -> dict[str, Any] | None:
    try:
        return dict(json.loads(pfad().read_text()))
    except FileNotFoundError:
        return None


def _speichern(stand: dict[str, Any]) -> None:
    ziel = pfad()
    ziel.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = ziel.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(stand, out)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(ziel)


def einrichten(segment: dict[str, Any] | None, *, neu: bool = False) -> None:
    """After pairing: seal the carried Mandant's chain with the key the office issued,
    record the segment's beginning (``field.segment.beginn``, the first event the office
    accepts from this Koffer), and keep where the segment stands. Paired again as the
    same Koffer, the segment goes on where the office accepted last, under the new key;
    with ``neu`` (the office began a new segment: „Segment neu beginnen“) it begins at
    this beginning."""
    if not segment:
        return
    key_id = str(segment["schluessel_id"])
    mandant = uuid.UUID(str(segment["mandant_id"]))
    geraet = str(segment["geraet_id"])
    schluessel.einsetzen(key_id, str(segment["schluessel"]))
    with transaction.atomic():
        AuditHead.objects.bulk_create([AuditHead(tenant_id=mandant)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().get(tenant_id=mandant)
        if head.key_id and head.key_id > key_id:
            raise AbholungFehlgeschlagen(
                "Das Protokoll dieses Koffers ist mit einem neueren Schlüssel gesichert als"
                " dem, den das Büro gerade ausgestellt hat. Bitte prüfen Sie die Uhr des"
                " Laptops und koppeln Sie erneut."
            )
        AuditHead.objects.filter(tenant_id=mandant).update(key_id=key_id)
        beginn = audit.record(
            actor=None,
            tenant_id=mandant,
            action=BEGINN,
            obj=("field.geraet", geraet),
            changes={"geraet": geraet, "schluessel": key_id},
        )
    stand = laden()
    if (
        neu
        or stand is None
        or stand.get("geraet") != geraet
        or stand.get("mandant") != str(mandant)
    ):
        stand = {
            "mandant": str(mandant),
            "geraet": geraet,
            "von_seq": beginn.seq,
            "vorher": beginn.prev_hash,
        }
    stand["schluessel"] = key_id
    _speichern(stand)


def _wire(event: AuditEvent) -> dict[str, Any]:
    found = {name: getattr(event, name) for name in HASHED_FIELDS}
    found["tenant_id"] = str(event.tenant_id)
    found["actor_id"] = str(event.actor_id) if event.actor_id is not None else None
    found["at"] = event.at.isoformat()
    found["hash"] = event.hash
    found["key_id"] = event.key_id
    return found


def sammeln(hinweise: list[str]) -> dict[str, Any] | None:
    """The segment of the next push: every event of the carried Mandant's chain since the
    last one the office accepted, in seq order, with all hashed fields, hash and key id.
    The whole local chain is verified first: if it does not, raises ProtokollVeraendert
    (nothing is sent). None without events, or (with a German line in ``hinweise``) on a
    Koffer paired before it had a segment key."""
    stand = laden()
    if stand is None:
        if zugang_pfad().exists():
            hinweise.append(OHNE_SCHLUESSEL)
        return None
    mandant = uuid.UUID(stand["mandant"])
    bericht = verification.verify_tenant(mandant)
    if not bericht.ok:
        raise ProtokollVeraendert(
            f"Das Protokoll dieses Koffers lässt sich nicht prüfen (Ereignis"
            f" {bericht.broken_seq}: {bericht.problem}). Die Datenbank des Koffers wurde"
            " womöglich verändert; es wird nichts an das Büro gesendet. Bitte wenden Sie"
            " sich an die Administration – die Daten im Koffer bleiben erhalten."
        )
    events = list(
        AuditEvent.objects.filter(tenant_id=mandant, seq__gte=int(stand["von_seq"])).order_by(
            "seq"
        )[: MAX_EREIGNISSE + 1]
    )
    if not events:
        return None
    if len(events) > MAX_EREIGNISSE:
        events = events[:MAX_EREIGNISSE]
        hinweise.append(
            f"Das Protokoll dieses Koffers geht mit {MAX_EREIGNISSE} Ereignissen mit; die"
            " übrigen folgen beim nächsten Abgleich."
        )
    return {
        "von_seq": events[0].seq,
        "bis_seq": events[-1].seq,
        "vorher": stand["vorher"],
        "ereignisse": [_wire(e) for e in events],
    }


def nachholen(ab_seq: int | None) -> dict[str, Any]:
    """The segment again from ``ab_seq`` on (None: from this Koffer's beginning, its
    ``field.segment.beginn``), when the office asks for it (``segment_nachholen``: its
    database was restored from an older backup). The local chain keeps every event, so
    they go again, linked to the hash before ``ab_seq``; the office takes them only if
    that is the hash it holds."""
    stand = laden()
    if stand is None:
        raise AbholungFehlgeschlagen(OHNE_SCHLUESSEL)
    mandant = uuid.UUID(stand["mandant"])
    if ab_seq is None:
        beginn = (
            AuditEvent.objects.filter(
                tenant_id=mandant, action=BEGINN, object_id=str(stand["geraet"])
            )
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        ab_seq = beginn
    events = (
        list(
            AuditEvent.objects.filter(tenant_id=mandant, seq__gte=ab_seq).order_by("seq")[
                :MAX_EREIGNISSE
            ]
        )
        if ab_seq is not None
        else []
    )
    if not events or events[0].seq != ab_seq:
        raise AbholungFehlgeschlagen(
            f"Das Büro braucht das Protokoll dieses Koffers ab Ereignis {ab_seq or 'Beginn'};"
            " diese Ereignisse hat der Koffer nicht mehr. Bitte wenden Sie sich an die"
            " Administration des Büros – die Daten im Koffer bleiben erhalten."
        )
    return {
        "von_seq": events[0].seq,
        "bis_seq": events[-1].seq,
        "vorher": events[0].prev_hash,
        "ereignisse": [_wire(e) for e in events],
    }


def traegt_etwas(segment: dict[str, Any] | None) -> bool:
    """The segment is worth a push of its own (more than bookkeeping: a read of an Akte
    offline, a change)."""
    if not segment:
        return False
    return any(e["action"] not in NUR_BUCHFUEHRUNG for e in segment["ereignisse"])


def angenommen(antwort: dict[str, Any]) -> None:
    """The office accepted a push: the next segment goes on after what it accepted."""
    segment = antwort.get("segment")
    stand = laden()
    if not isinstance(segment, dict) or stand is None:
        return
    bis = int(segment["bis_seq"])
    if bis + 1 > int(stand["von_seq"]):
        stand["von_seq"] = bis + 1
        stand["vorher"] = str(segment["hash"])
        _speichern(stand)
