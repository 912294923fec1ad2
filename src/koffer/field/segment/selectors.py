"""Reads of the segment: the key a newly paired Koffer gets, and the quarantine of
refused segments for the Mandant's administration (one query; the read is audited: a
segment holds what the Koffer recorded, names of people among it)."""

from __future__ import annotations

from typing import Any

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import keys
from koffer.audit import services as audit
from koffer.audit.models import AuditEvent
from koffer.field import access as rules
from koffer.field.errors import Forbidden
from koffer.field.models import Geraet, SegmentQuarantaene
from koffer.field.segment import schluessel

LIMIT = 200


def schluessel_fuer_koffer(geraet: Geraet) -> dict[str, Any] | None:
    """The newest segment key of a Koffer just paired (for the pairing's answer), or None
    if the office has none for it."""
    if not geraet.segment_schluessel:
        return None
    key_id = str(geraet.segment_schluessel[-1])
    try:
        secret = schluessel.geheimnis(key_id)
    except keys.AuditKeyMissing:
        return None
    return {
        "schluessel_id": key_id,
        "schluessel": secret,
        "mandant_id": geraet.tenant_id,
        "geraet_id": geraet.pk,
    }


def quarantaene(*, actor: User, access: Access) -> list[SegmentQuarantaene]:
    """The refused segments of the Mandant, newest first (at most LIMIT); only for the
    administration. Audited once per look."""
    if access.tenant_id is None or not rules.verwaltet_geraete(access):
        raise Forbidden("forbidden", "Die Quarantäne sieht nur die Administration.")
    rows = list(
        SegmentQuarantaene.objects.for_tenant(access.tenant_id)
        .select_related("geraet__user")
        .order_by("-empfangen_am", "pk")[:LIMIT]
    )
    audit.record(
        actor=actor,
        tenant_id=access.tenant_id,
        action="field.segment_quarantaene_gelesen",
        obj=("field.segmentquarantaene", ""),
        changes={"eintraege": len(rows)},
    )
    return rows


def ereignis_aus_koffer(
    *, geraet: Geraet, action: str, object_type: str, object_id: Any, **gleich: Any
) -> dict[str, Any] | None:
    """Where in the Koffer's segment it recorded ``action`` on ``object_id`` (the event
    the office appended from it, newest first; ``gleich``: values its changes must have):
    the Koffer, its seq and hash, for the office's own event about the same thing to name
    it. None if the segment has no such event (a Koffer paired before segments)."""
    rows = (
        AuditEvent.objects.filter(
            tenant_id=geraet.tenant_id,
            object_type=object_type,
            object_id=str(object_id),
            action=action,
        )
        .order_by("-seq")
        .values_list("changes", flat=True)
    )
    for changes in rows:
        ereignis = changes.get("koffer_ereignis") if isinstance(changes, dict) else None
        if not isinstance(ereignis, dict) or ereignis.get("geraet") != str(geraet.pk):
            continue
        if all(changes.get(k) == v for k, v in gleich.items()):
            return {k: ereignis.get(k) for k in ("geraet", "seq", "hash")}
    return None
