"""Reads of serial letters: a person sees the serial letters they started."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from koffer.accounts.models import User
from koffer.outbox.models import Serienbrief, SerienbriefFehler


def eigene(tenant_id: uuid.UUID, user: User) -> QuerySet[Serienbrief]:
    return (
        Serienbrief.objects.for_tenant(tenant_id)
        .filter(created_by=user)
        .select_related("vorlage")
        .order_by("-created_at")
    )


def eigener(tenant_id: uuid.UUID, user: User, serie_id: uuid.UUID) -> Serienbrief | None:
    return eigene(tenant_id, user).filter(pk=serie_id).first()


def fehler(serie: Serienbrief) -> QuerySet[SerienbriefFehler]:
    return SerienbriefFehler.objects.for_tenant(serie.tenant_id).filter(serienbrief=serie)
