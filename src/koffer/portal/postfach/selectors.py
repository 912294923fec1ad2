"""Reads of the citizen's mailbox, scoped to the persons the account may act for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from koffer.audit import services as audit
from koffer.outbox.models import Brief
from koffer.outbox.postfach import services as postfach
from koffer.portal import access
from koffer.portal.models import Buergerkonto


def _briefe(konto: Buergerkonto) -> QuerySet[Brief]:
    ids = [p.pk for p in access.personen_des_kontos(konto)]
    return (
        Brief.objects.for_tenant(konto.tenant_id)
        .filter(empfaenger_id__in=ids, bereitgestellt_am__isnull=False)
        .select_related("empfaenger", "dokument__current_version")
    )


@dataclass(frozen=True)
class Eintrag:
    brief: Brief
    neu: bool  # never opened
    abrufbar: bool  # opening it is possible (and, the first time, the receipt)
    abruf_bis: date | None


def briefe(konto: Buergerkonto) -> list[Eintrag]:
    """The letters in the account's mailbox (its own and its represented persons'),
    newest first."""
    rows = list(_briefe(konto).order_by("-bereitgestellt_am", "-pk")[:500])
    eintraege = []
    for b in rows:
        offen = b.abgerufen_am is not None or postfach.abrufbar(b)
        eintraege.append(Eintrag(b, b.abgerufen_am is None, offen, postfach.abruf_bis(b)))
    return eintraege


def briefe_lesen(konto: Buergerkonto, zweck: str) -> list[Eintrag]:
    """The mailbox as the citizen reads it (page or API): :func:`briefe`, the read
    audited (subjects and senders of letters to the account's persons are their data)."""
    eintraege = briefe(konto)
    audit.read(
        actor=konto, tenant_id=konto.tenant_id, obj=konto, subject=konto.person, purpose=zweck
    )
    return eintraege


def brief(konto: Buergerkonto, brief_id: uuid.UUID) -> Brief | None:
    """One letter of the mailbox; None for unknown and another's alike."""
    return _briefe(konto).filter(pk=brief_id).first()


def ungelesen(konto: Buergerkonto) -> int:
    return sum(1 for e in briefe(konto) if e.neu and e.abrufbar)
