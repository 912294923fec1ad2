"""Every read of local printing: the printers (all for the administration, the usable ones
for a writer), a letter's prints, and the letters a person still has to print."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db.models import QuerySet

from koffer.accounts.access import Access
from koffer.outbox import access as rules
from koffer.outbox.briefe import selectors as briefe
from koffer.outbox.models import Brief, Druckauftrag, Drucker
from koffer.records.models import Dokument

MAX_SAMMEL = 100  # letters in one Sammel-PDF: a mobile printer's afternoon
EINSTELLUNGSDRUCKER = "Koffer-Drucker"  # the printer of the setting KOFFER_DRUCKER


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
    if found is None or found.brief_id is None:
        return None
    if briefe.brief(access, user_id, found.brief_id) is None:
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


def dokument_auftraege(dokument: Dokument) -> QuerySet[Druckauftrag]:
    """The prints of a filed Dokument (not a letter), newest first."""
    return (
        Druckauftrag.objects.for_tenant(dokument.tenant_id)
        .filter(dokument=dokument)
        .select_related("drucker", "created_by")
        .order_by("-created_at")
    )


def einstellungsdrucker_fehlt(access: Access) -> bool:
    """The setting ``KOFFER_DRUCKER`` names a printer this Mandant has no row for yet
    (the first print adds it: ``services.einstellungsdrucker``)."""
    assert access.tenant_id is not None
    if not str(getattr(settings, "KOFFER_DRUCKER", "") or "").strip():
        return False
    return not alle_drucker(access.tenant_id).filter(name=EINSTELLUNGSDRUCKER).exists()


def drucker_zur_wahl(access: Access) -> list[tuple[str, str]]:
    """Printers offered for a letter or a filed Dokument as (value, name); the setting's
    printer (the Koffer's) before its first print as the value ``einstellung``."""
    choices = [(str(d.pk), d.name) for d in nutzbare_drucker(access)]
    if einstellungsdrucker_fehlt(access):
        choices.insert(0, ("einstellung", EINSTELLUNGSDRUCKER))
    return choices


def druck_knopf(drucker: list[tuple[str, str]]) -> str:
    """The print button's words: on a Koffer „Auf dem Koffer-Drucker drucken“."""
    if len(drucker) == 1 and drucker[0][1] == EINSTELLUNGSDRUCKER:
        return "Auf dem Koffer-Drucker drucken"
    if len(drucker) == 1:
        return f"Drucken auf {drucker[0][1]}"
    return "Drucken"
