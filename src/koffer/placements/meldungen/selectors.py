"""Reads of the § 47 reports: the provider's own, the Landesjugendamt's inbox, and what
happened to one report (from the reader's own audit chain)."""

from __future__ import annotations

from django.db.models import QuerySet

from koffer.audit.models import AuditEvent
from koffer.placements import access
from koffer.placements.models import Einrichtung, Meldung
from koffer.tenancy.models import Mandant

Art = Meldung.Art
Status = Meldung.Status


def filed(tenant: Mandant) -> QuerySet[Meldung]:
    """The provider's own notifications."""
    return Meldung.objects.for_tenant(tenant)


def received(tenant: Mandant) -> QuerySet[Meldung]:
    """Notifications addressed to the Mandant as Landesjugendamt."""
    return Meldung.objects.for_party(tenant).filter(jugendamt_id=tenant.pk)


def filtered(qs: QuerySet[Meldung], *, art: str = "", status: str = "") -> QuerySet[Meldung]:
    if art in Art.values:
        qs = qs.filter(art=art)
    if status == "offen":
        qs = qs.exclude(status=Status.ABGESCHLOSSEN)
    elif status in Status.values:
        qs = qs.filter(status=status)
    return qs


def verlauf(tenant: Mandant, meldung: Meldung) -> list[AuditEvent]:
    """What happened to the notification, from the Mandant's own audit chain."""
    return list(
        AuditEvent.objects.filter(
            tenant_id=tenant.pk,
            object_type=Meldung._meta.label_lower,
            object_id=str(meldung.pk),
            action__startswith="placements.meldung.",
        ).order_by("seq")
    )


VERLAUF_LABELS = {
    "placements.meldung.file": "Eingereicht",
    "placements.meldung.acknowledge": "Eingang bestätigt",
    "placements.meldung.ask_back": "Rückfrage",
    "placements.meldung.close": "Abgeschlossen",
    "placements.meldung.quittung": "Eingangsbestätigung neu erstellt",
}


def meldepflichtige_einrichtungen(tenant: Mandant) -> QuerySet[Einrichtung]:
    """The provider's facilities that must report under § 47 (youth welfare fields)."""
    return (
        access.einrichtungen(tenant).filter(fachbereich__meldepflicht=True).order_by("name", "pk")
    )
