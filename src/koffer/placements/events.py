"""What the Platzbörse tells others: audit events in the chain of every Mandant a change
concerns, read events for pseudonymous data, and the live feed of changed availability.

Shared by the exchange, billing and § 47 reports, so each writes its events the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.placements.models import Angebot, Verfuegbarkeit
from koffer.tenancy.models import Mandant


def record(
    actor: Actor | None,
    tenants: Iterable[uuid.UUID],
    action: str,
    obj: Any,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> None:
    """One audit event per concerned Mandant, in the order given (provider first), each
    chain written once even if a Mandant is named twice."""
    seen: set[uuid.UUID] = set()
    for tenant_id in tenants:
        if tenant_id in seen:
            continue
        seen.add(tenant_id)
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action=action,
            obj=obj,
            changes=changes,
            reason=reason,
        )


def offer_changed(angebot: Angebot) -> None:
    """Availability of ``angebot`` changed: one row for the live feed of open search pages."""
    Verfuegbarkeit.objects.create(
        angebot_id=angebot.pk,
        einrichtung_id=angebot.einrichtung_id,
        betreuungsform_id=angebot.betreuungsform_id,
    )


def record_read(
    *, actor: Actor, tenant: Mandant, obj: Any, subject: Any = None, purpose: str
) -> None:
    """A pseudonymous child's data was opened: one read event in the viewer's chain."""
    audit.read(actor=actor, tenant_id=tenant.pk, obj=obj, subject=subject, purpose=purpose)


def record_list_read(
    *, actor: Actor, tenant: Mandant, kind: str, pseudonyms: Iterable[str], purpose: str
) -> None:
    """A page listed several children: one read event naming every pseudonym shown (one
    chain write per page view, not one per row). Nothing is recorded for an empty list."""
    shown = sorted(set(pseudonyms))
    if not shown:
        return
    audit.read(
        actor=actor,
        tenant_id=tenant.pk,
        obj=(kind, tenant.pk),
        purpose=f"{purpose}: {', '.join(shown)}",
    )
