"""Writes of the segment in the office: a key for a Koffer at its pairing
(:func:`schluessel_ausstellen`), a push's segment checked (:func:`pruefen`: a segment
that does not verify goes to the quarantine, in a transaction of its own, and refuses the
push) and appended to the Mandant's chain inside the push's transaction
(:func:`anhaengen`).

Each Koffer event becomes one office event with the Koffer's action, object, subject,
actor and reason, so that every view of the audit (who read which Akte, the privacy
report about a person) finds what happened in the Koffer as it finds what happened in
the office; ``changes`` keeps the Koffer's own changes and, under ``koffer_ereignis``, the
Koffer, its seq and hash, and its time (the event's ``at`` is the office's, when it was
appended). One more event, ``field.segment.angehaengt``, records the segment itself."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.field import access as rules
from koffer.field.errors import Conflict, NotFound, SegmentNeu, SegmentUngueltig
from koffer.field.models import Geraet, SegmentQuarantaene
from koffer.field.segment import pruefung, schluessel
from koffer.field.segment.pruefung import Ereignis, Pruefung


def schluessel_ausstellen(*, geraet: Geraet) -> dict[str, str]:
    """A new segment key for ``geraet`` (at its pairing, in the caller's transaction): kept
    as a file in the office, its id added to the Koffer's keys; returns what the Koffer
    needs to seal its events (id, secret, Mandant, Koffer). Older keys stay: events the
    Koffer sealed before a new pairing still verify."""
    key_id, secret = schluessel.ausstellen()
    geraet.segment_schluessel = [*geraet.segment_schluessel, key_id]
    geraet.save(update_fields=["segment_schluessel"])
    return {
        "schluessel_id": key_id,
        "schluessel": secret,
        "mandant_id": str(geraet.tenant_id),
        "geraet_id": str(geraet.pk),
    }


def _aktuell(geraet: Geraet, *, sperren: bool = False) -> Geraet:
    rows = Geraet.objects.for_tenant(geraet.tenant_id)
    if sperren:
        rows = rows.select_for_update()
    return rows.get(pk=geraet.pk)


def neu_beginnen(*, actor: User, geraet: Geraet, grund: str, access: Access) -> Geraet:
    """„Segment neu beginnen“: for a Koffer whose segment the office refused for good (its
    laptop's database restored from an old copy, say), the administration issues a new
    segment key and retires the older ones; the office forgets where the old segment
    stood, its quarantined segments stay. The Koffer learns it at its next push (answered
    ``segment_neu`` with the key, :func:`vorher_neu`), begins its segment again under the
    new key and sends its waiting changes; its pairing and token stay. Audited with the
    reason."""
    if not rules.beginnt_segment_neu(access) or access.tenant_id != geraet.tenant_id:
        raise NotFound("not_found", "Diesen Koffer gibt es nicht.")
    grund = need_reason(
        grund, max_length=500, prompt="Bitte geben Sie an, warum das Segment neu beginnt."
    )
    with transaction.atomic():
        geraet = _aktuell(geraet, sperren=True)
        if geraet.gesperrt_am is not None:
            raise Conflict("koffer_gesperrt", "Dieser Koffer ist gesperrt.")
        if not geraet.token_hash:
            raise Conflict("nicht_gekoppelt", "Dieser Koffer ist noch nicht gekoppelt.")
        key_id, _ = schluessel.ausstellen()
        alt = {
            "schluessel": list(geraet.segment_schluessel),
            "seq": geraet.segment_seq,
            "hash": geraet.segment_hash,
        }
        geraet.segment_schluessel = [key_id]
        geraet.segment_seq = None
        geraet.segment_hash = ""
        geraet.segment_neu = key_id
        geraet.save(
            update_fields=["segment_schluessel", "segment_seq", "segment_hash", "segment_neu"]
        )
        audit.record(
            actor=actor,
            tenant_id=geraet.tenant_id,
            action="field.segment.neu_begonnen",
            obj=geraet,
            changes={
                "alt": alt,
                "schluessel": key_id,
                "quarantaene": SegmentQuarantaene.objects.for_tenant(geraet.tenant_id)
                .filter(geraet=geraet)
                .count(),
            },
            reason=grund,
        )
    return geraet


def vorher_neu(geraet: Geraet, segment: Any) -> None:
    """A push of a Koffer whose new segment it has not begun yet (its segment sealed
    under a retired key, or none): answered ``segment_neu`` with the new key, nothing
    applied. Its first segment under the new key goes through."""
    geraet = _aktuell(geraet)
    if not geraet.segment_neu:
        return
    ereignisse = segment.get("ereignisse") if isinstance(segment, dict) else None
    erstes = ereignisse[0] if isinstance(ereignisse, list) and ereignisse else None
    if isinstance(erstes, dict) and str(erstes.get("key_id")) == geraet.segment_neu:
        return
    raise SegmentNeu(
        {
            "schluessel_id": geraet.segment_neu,
            "schluessel": schluessel.geheimnis(geraet.segment_neu),
            "mandant_id": str(geraet.tenant_id),
            "geraet_id": str(geraet.pk),
        }
    )


def pruefen(*, geraet: Geraet, abgleich_id: uuid.UUID, segment: Any) -> Pruefung | None:
    """Check the segment of a push (None: the push carries none). One that does not
    verify is kept in the quarantine with its reason, audited, and raised as
    SegmentUngueltig: the push is refused before anything of it is applied. A Koffer
    whose segment the administration began anew is told first (:func:`vorher_neu`)."""
    vorher_neu(geraet, segment)
    if segment is None:
        return None
    try:
        return pruefung.pruefen(_aktuell(geraet), segment)
    except SegmentUngueltig as exc:
        quarantaene(geraet=geraet, abgleich_id=abgleich_id, segment=segment, grund=exc.grund)
        raise


def quarantaene(
    *, geraet: Geraet, abgleich_id: uuid.UUID | None, segment: Any, grund: str
) -> SegmentQuarantaene:
    """Keep a refused segment as received, with the reason; audited on the Koffer."""
    with transaction.atomic():
        row = SegmentQuarantaene.objects.create(
            tenant_id=geraet.tenant_id,
            geraet=geraet,
            abgleich_id=abgleich_id,
            empfangen_am=timezone.now(),
            grund=grund,
            segment=segment if isinstance(segment, dict | list) else {"roh": str(segment)},
        )
        bereich = segment if isinstance(segment, dict) else {}
        audit.record(
            actor=None,
            tenant_id=geraet.tenant_id,
            action="field.segment.quarantaene",
            obj=geraet,
            changes={
                "quarantaene": str(row.pk),
                "abgleich": str(abgleich_id) if abgleich_id else None,
                "von_seq": bereich.get("von_seq"),
                "bis_seq": bereich.get("bis_seq"),
            },
            reason=grund,
        )
    return row


def anhaengen(*, geraet: Geraet, abgleich_id: uuid.UUID, segment: Any) -> dict[str, Any] | None:
    """Inside the push's transaction: check the segment again with the Koffer's row
    locked (a push running at the same time has settled by then), append its new events
    to the Mandant's chain and remember where the Koffer's chain stands. Returns the
    answer's ``segment`` member (None without a segment)."""
    if segment is None:
        return None
    geraet = _aktuell(geraet, sperren=True)
    geprueft = pruefung.pruefen(geraet, segment)
    if geprueft.neu:
        user = User.objects.get(pk=geraet.user_id)
        for ev in geprueft.neu:
            _uebernehmen(geraet, user, ev)
        audit.record(
            actor=user,
            tenant_id=geraet.tenant_id,
            action="field.segment.angehaengt",
            obj=geraet,
            changes={
                "abgleich": str(abgleich_id),
                "von_seq": geprueft.neu[0].seq,
                "bis_seq": geprueft.bis_seq,
                "ereignisse": len(geprueft.neu),
                "hash": geprueft.hash,
            },
        )
        geraet.segment_seq = geprueft.bis_seq
        geraet.segment_hash = geprueft.hash
        geraet.segment_neu = ""  # begun under the new key: the Koffer has it
        geraet.save(update_fields=["segment_seq", "segment_hash", "segment_neu"])
    return {
        "bis_seq": geprueft.bis_seq,
        "hash": geprueft.hash,
        "uebernommen": len(geprueft.neu),
    }


def _uebernehmen(geraet: Geraet, user: User, ev: Ereignis) -> None:
    f = ev.felder
    changes = f["changes"] if isinstance(f["changes"], dict) else {"werte": f["changes"]}
    # The Koffer's own action: the same code wrote it there, so it has its label.
    action = str(f["action"])
    audit.record(
        actor=user if f["actor_id"] is not None else None,
        tenant_id=geraet.tenant_id,
        action=action,
        obj=(f["object_type"], f["object_id"], f["object_label"]),
        subject=(f["subject_type"], f["subject_id"]),
        changes={
            **changes,
            "koffer_ereignis": {
                "geraet": str(geraet.pk),
                "seq": ev.seq,
                "hash": ev.hash,
                "at": f["at"].isoformat(),
                "client_ip": f["client_ip"],
            },
        },
        reason=str(f["reason"]),
    )
