"""Reads of the Hausbesuch auf Anfrage for the portal: whether the Mandant offers it, and
the signed-in account's own requests (through the field's selectors)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Count, Q

from koffer.audit import services as audit
from koffer.field.models import Besuchswunsch
from koffer.field.wuensche import selectors as wuensche
from koffer.portal.models import Buergerkonto, PortalEinstellung


def angebot(tenant_id: uuid.UUID) -> PortalEinstellung | None:
    """The Mandant's setting when it offers home visits on request, else None."""
    return (
        PortalEinstellung.objects.for_tenant(tenant_id)
        .select_related("hausbesuche_unit")
        .filter(hausbesuche_angeboten=True, hausbesuche_unit__isnull=False)
        .first()
    )


def einstellung(tenant_id: uuid.UUID) -> PortalEinstellung | None:
    return PortalEinstellung.objects.for_tenant(tenant_id).first()


def anfragen(konto: Buergerkonto) -> list[wuensche.Stand]:
    """The account's requests with their state, newest first."""
    return wuensche.des_kontos(konto.tenant_id, konto.pk)


def anzahl_anfragen(konto: Buergerkonto, seit: datetime) -> tuple[int, int]:
    """How many requests the account made since ``seit``, and how many are open."""
    zahlen = (
        Besuchswunsch.objects.for_tenant(konto.tenant_id)
        .filter(konto_id=konto.pk)
        .aggregate(
            neu=Count("pk", filter=Q(created_at__gte=seit)),
            offen=Count("pk", filter=Q(status=Besuchswunsch.Status.OFFEN)),
        )
    )
    return int(zahlen["neu"] or 0), int(zahlen["offen"] or 0)


def erste_anfrage_seit(konto: Buergerkonto, seit: datetime) -> datetime | None:
    """When the account's first request since ``seit`` was made (None: none)."""
    return (
        Besuchswunsch.objects.for_tenant(konto.tenant_id)
        .filter(konto_id=konto.pk, created_at__gte=seit)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def anfragen_lesen(
    konto: Buergerkonto, zweck: str, *, nur_wenn_welche: bool = False
) -> list[wuensche.Stand]:
    """The account's requests as :func:`anfragen`, the read audited (they name the
    person visited and the address); with ``nur_wenn_welche`` only when there are any (a
    page that lists them among other things, where an empty list shows nothing)."""
    staende = anfragen(konto)
    if staende or not nur_wenn_welche:
        audit.read(
            actor=konto, tenant_id=konto.tenant_id, obj=konto, subject=konto.person, purpose=zweck
        )
    return staende


def anfrage(konto: Buergerkonto, wunsch_id: uuid.UUID) -> wuensche.Stand | None:
    """One request of the account with its state; another's is None (a 404 alike)."""
    return wuensche.des_kontos_einer(konto.tenant_id, konto.pk, wunsch_id)


def anfrage_lesen(konto: Buergerkonto, wunsch_id: uuid.UUID, zweck: str) -> wuensche.Stand | None:
    """One request of the account (another's is None, a 404 alike), the read audited."""
    stand = anfrage(konto, wunsch_id)
    if stand is not None:
        audit.read(
            actor=konto,
            tenant_id=konto.tenant_id,
            obj=stand.wunsch,
            subject=stand.wunsch.person or konto.person,
            purpose=zweck,
        )
    return stand
