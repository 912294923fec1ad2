"""The dispatch round every worker's heartbeat runs (``jobs.periodic``): per Mandant with
a print provider, make the batch of the last cut-off, pack every batch still open
(also one a killed worker left), and hand over batches nobody confirmed in time. Safe in
two workers at once: the services lock and the constraints decide. For a provider with a
drop folder the round also puts each packed batch into its folder and removes taken-over
ones (``ablage``); reading the folders' reports is a round of its own (``ablage.runde``)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from koffer.outbox.models import Druckdienst, Versandstapel
from koffer.outbox.versand import ablage, services

logger = logging.getLogger("koffer.outbox")


def runde(now: datetime | None = None) -> list[Versandstapel]:
    """One round for every Mandant; returns the batches made (new or taken over)."""
    now = now or timezone.now()
    made: list[Versandstapel] = []
    tenants = (
        Druckdienst.objects.unscoped()
        .filter(is_active=True)
        .values_list("tenant_id", flat=True)
        .distinct()
    )
    for tenant_id in list(tenants):
        made += runde_mandant(tenant_id, now)
    return made


def runde_mandant(tenant_id: object, now: datetime) -> list[Versandstapel]:
    made: list[Versandstapel] = []
    neu = services.stapeln(tenant_id=tenant_id, now=now)  # type: ignore[arg-type]
    if neu is not None:
        made.append(neu)
    for stapel in services.faellig_zur_uebernahme(tenant_id, now):  # type: ignore[arg-type]
        taken = services.uebernehmen(stapel=stapel, now=now)
        if taken is not None:
            made.append(taken)
    for stapel in Versandstapel.objects.for_tenant(tenant_id).filter(
        status=Versandstapel.Status.OFFEN
    ):
        services.packen(stapel=stapel, now=now)
    ablage.ausgang(tenant_id, now)  # type: ignore[arg-type]
    return made
