"""Where digital deliveries went: for the sender (the Online-Dienste), per delivered
document, whether it is filed, into which Akte and Vorgang, and when."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from koffer.inbox.models import Eingangsdokument


@dataclass(frozen=True)
class Verbleib:
    eingang_id: uuid.UUID
    abgelegt: bool
    abgelegt_am: datetime | None
    akte_id: uuid.UUID | None
    # The Dokument's Vorgang where it is filed (a caseworker may have moved it since),
    # else the one the filing chose.
    vorgang_id: uuid.UUID | None
    dokument_id: uuid.UUID | None


def verbleib(tenant_id: uuid.UUID, eingang_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Verbleib]:
    """Each delivered document's whereabouts, by id, in one query."""
    ids = [i for i in eingang_ids if i is not None]
    if not ids:
        return {}
    rows = (
        Eingangsdokument.objects.for_tenant(tenant_id)
        .filter(pk__in=ids)
        .values(
            "pk",
            "state",
            "filed_at",
            "akte_id",
            "vorgang_id",
            "dokument_id",
            "dokument__vorgang_id",
        )
    )
    found = {}
    for row in rows:
        abgelegt = row["state"] == Eingangsdokument.State.ABGELEGT
        found[row["pk"]] = Verbleib(
            eingang_id=row["pk"],
            abgelegt=abgelegt,
            abgelegt_am=row["filed_at"] if abgelegt else None,
            akte_id=row["akte_id"] if abgelegt else None,
            vorgang_id=(row["dokument__vorgang_id"] or row["vorgang_id"]) if abgelegt else None,
            dokument_id=row["dokument_id"] if abgelegt else None,
        )
    return found
