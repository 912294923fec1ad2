"""Reads of the sync back: the conflict queue, scoped to what the actor may see
(``field.access.konflikte_q``); reading it is audited (it shows personal data: addresses,
bank details as both sides had them)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.field import access as rules
from koffer.field.errors import NotFound
from koffer.field.models import Geraet, Konflikt
from koffer.records import access as records_access
from koffer.records.models import Akte


def access_von(actor: User, tenant_id: uuid.UUID, access: Access | None = None) -> Access:
    return records_access.of_actor(actor, tenant_id, access)


def konflikte(
    *, actor: User, access: Access, offen: bool = True, akte_id: uuid.UUID | None = None
) -> list[Konflikt]:
    """The conflicts the actor sees (open ones, or all), oldest first; the read is
    audited once per Akte shown."""
    found: QuerySet[Konflikt] = (
        Konflikt.objects.for_tenant(access.tenant_id)
        .filter(rules.konflikte_q(access, actor.pk))
        .select_related("akte", "abgleich__geraet__user", "entschieden_von")
        .order_by("created_at", "pk")
    )
    if offen:
        found = found.filter(status=Konflikt.Status.OFFEN)
    if akte_id is not None:
        found = found.filter(akte_id=akte_id)
    rows = list(found[:500])
    akten = {k.akte.pk: k.akte for k in rows if k.akte is not None}
    for akte in sorted(akten.values(), key=lambda a: str(a.pk)):
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="field.konflikte_gelesen",
            obj=akte,
        )
    return rows


def konflikt(*, actor: User, access: Access, konflikt_id: uuid.UUID) -> Konflikt:
    row = (
        Konflikt.objects.for_tenant(access.tenant_id)
        .filter(rules.konflikte_q(access, actor.pk), pk=konflikt_id)
        .select_related("akte")
        .first()
    )
    if row is None:
        raise NotFound("not_found", "Diesen Konflikt gibt es nicht.")
    return row


def offene_der_akte(akte: Akte) -> int:
    return (
        Konflikt.objects.for_tenant(akte.tenant_id)
        .filter(akte_id=akte.pk, status=Konflikt.Status.OFFEN)
        .count()
    )


def hinweis(access: Access, user_id: uuid.UUID | None, akte: Akte) -> str | None:
    """The Akte page's notice while conflicts from a Koffer wait for a decision."""
    n = offene_der_akte(akte)
    if not n:
        return None
    if n == 1:
        return "Ein Konflikt aus dem Koffer wartet auf eine Entscheidung (Koffer: Konflikte)."
    return f"{n} Konflikte aus dem Koffer warten auf eine Entscheidung (Koffer: Konflikte)."


def koffer_kennung(tenant_id: uuid.UUID) -> str:
    """This Koffer's short name in provisional numbers (``KOFFER-<kennung>-0001``): the end
    of its device id — a Koffer carries exactly its own device row in its package."""
    geraet_id = (
        Geraet.objects.for_tenant(tenant_id).order_by("pk").values_list("pk", flat=True).first()
    )
    return geraet_id.hex[-4:].upper() if geraet_id is not None else ""
