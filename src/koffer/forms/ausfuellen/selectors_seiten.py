"""Reads only the desk pages need (the services' selectors answer single drafts and
submissions): an Akte's open drafts and last submissions, the actor's own open drafts,
the people a person field offers. Scoped like ``forms.access``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from koffer.accounts.access import Access
from koffer.forms import access as rules
from koffer.forms.models import Einreichung, Entwurf
from koffer.outbox import access as outbox_rules
from koffer.outbox.lokaldruck import selectors as lokaldruck
from koffer.records import selectors as records
from koffer.records.models import Akte, Wiedervorlage
from koffer.tenancy.models import Mandant

MEINE_MAX = 200


def offene_entwuerfe(akte: Akte) -> QuerySet[Entwurf]:
    """The Akte's open drafts, newest change first (the caller may fill forms there)."""
    return (
        Entwurf.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte, status=Entwurf.Status.OFFEN)
        .select_related("formularversion__formular", "created_by")
        .order_by("-updated_at", "-pk")
    )


def einreichungen(akte: Akte, anzahl: int = 10) -> list[Einreichung]:
    """The Akte's last submissions (the caller may read the Akte)."""
    return list(
        Einreichung.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .select_related("formularversion__formular", "dokument")
        .order_by("-eingereicht_am", "-pk")[:anzahl]
    )


def meine_entwuerfe(access: Access, user_id: uuid.UUID) -> list[Entwurf]:
    """The actor's own open drafts across Akten they may still fill forms in."""
    assert access.tenant_id is not None
    return list(
        Entwurf.objects.for_tenant(access.tenant_id)
        .filter(
            rules.entwuerfe_q(access, user_id),
            created_by_id=user_id,
            status=Entwurf.Status.OFFEN,
        )
        .select_related("formularversion__formular", "akte")
        .order_by("-updated_at", "-pk")[:MEINE_MAX]
    )


def personen(akte: Akte) -> list[tuple[str, str]]:
    """(id, name) of the people a person field may name: the Akte's, then its BG's."""
    gesehen: dict[str, str] = {}
    leute = [s.person for s in records.akte_subjekte(akte)]
    if akte.bg_id:
        leute += [m.person for m in records.bg_mitglieder(akte.bg_id, akte.tenant_id)]
    for p in leute:
        gesehen.setdefault(str(p.pk), f"{p.given_names} {p.family_name}".strip())
    return list(gesehen.items())


def wiedervorlage(einreichung: Einreichung) -> Wiedervorlage | None:
    """The Wiedervorlage the submission set (on its Dokument), if any."""
    return (
        Wiedervorlage.objects.for_tenant(einreichung.tenant_id)
        .filter(akte_id=einreichung.akte_id, dokument_id=einreichung.dokument_id)
        .order_by("due_date")
        .first()
    )


@dataclass(frozen=True)
class DruckKnopf:
    """The print button on a submission's page: its words and, where one printer is
    offered, that printer's choice (one click prints; else the print page chooses)."""

    text: str
    wahl: str = ""


def druck_knopf(
    access: Access, user_id: uuid.UUID, tenant: Mandant, einreichung: Einreichung
) -> DruckKnopf | None:
    """The button that prints the submission's filed PDF on a local printer (on a Koffer
    „Auf dem Koffer-Drucker drucken“); None where the caller has no printer or may not
    print in the Akte."""
    if not outbox_rules.writes(access, tenant):
        return None
    if not outbox_rules.can_write_in(access, user_id, einreichung.akte):
        return None
    drucker = lokaldruck.drucker_zur_wahl(access)
    if not drucker:
        return None
    return DruckKnopf(lokaldruck.druck_knopf(drucker), drucker[0][0] if len(drucker) == 1 else "")
