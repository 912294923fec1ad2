"""Every read of local printing: the printers (all for the administration, the usable ones
for a writer), a letter's prints, and the letters a person still has to print."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from koffer.accounts.access import Access
from koffer.outbox import access as rules
from koffer.outbox.briefe import selectors as briefe
from koffer.outbox.models import Brief, Druckauftrag, Drucker

MAX_SAMMEL = 100  # letters in one Sammel-PDF: a mobile printer's afternoon


def alle_drucker(tenant_id: uuid.UUID) -> QuerySet[Drucker]:
    return Drucker.objects.for_tenant(tenant_id).select_related("unit").order_by("name")


def drucker_of(tenant_id: uuid.UUID, drucker_id: uuid.UUID) -> Drucker | None:
    return alle_drucker(tenant_id).filter(pk=drucker_id).first()


def nutzbare_drucker(access: Access) -> QuerySet[Drucker]:
    """Active printers this person may print on."""
    assert access.tenant_id is not None
    return alle_drucker(access.tenant_id).filter(rules.printers_q(access), is_active=True)


def auftraege(brief: Brief) -> QuerySet[Druckauftrag]:
    return (
        Druckauftrag.objects.for_tenant(brief.tenant_id)
        .filter(brief=brief)
        .select_related("drucker", "created_by")
        .order_by("-created_at")
    )


def auftrag(access: Access, user_id: uuid.UUID, auftrag_id: uuid.UUID) -> Druckauftrag | None:
    """A print of a letter this person may see (404 otherwise)."""
    assert access.tenant_id is not None
    found = (
        Druckauftrag.objects.for_tenant(access.tenant_id)
        .select_related("brief", "drucker")
        .filter(pk=auftrag_id)
        .first()
    )
    if found is None or briefe.brief(access, user_id, found.brief_id) is None:
        return None
    return found


def zu_drucken(access: Access, user_id: uuid.UUID) -> QuerySet[Brief]:
    """This person's released local letters not printed yet, oldest release first."""
    return (
        briefe.sichtbar(access, user_id)
        .filter(created_by_id=user_id, kanal=Brief.Kanal.LOKAL, status=Brief.Status.FREIGEGEBEN)
        .select_related("akte", "dokument__current_version", "empfaenger")
        .order_by("freigegeben_at", "pk")
    )
