"""„Portal: Einstellungen“, a Mandant's portal settings (``PortalEinstellung``: e-mail
accounts allowed, and whatever else the table keeps), set by its administration
(``portal.access.verwaltet_portal``). No row means the defaults; the first save creates it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.portal import access as rules
from koffer.portal.errors import Forbidden
from koffer.portal.models import PortalEinstellung

# Not settings this page changes: the home visits' offer and planning team have their own
# page („Portal: Hausbesuche“, ``portal.hausbesuch``), which checks the team.
NICHT_EINSTELLBAR = {"id", "tenant", "hausbesuche_angeboten", "hausbesuche_unit"}


def felder() -> list[str]:
    """The names of every setting of ``PortalEinstellung`` (fields added later appear on
    the page by themselves)."""
    return [
        f.name
        for f in PortalEinstellung._meta.get_fields()
        if getattr(f, "editable", False) and f.name not in NICHT_EINSTELLBAR and f.concrete
    ]


def einstellung(tenant_id: Any) -> PortalEinstellung:
    """The Mandant's settings, or an unsaved row with the defaults."""
    return PortalEinstellung.objects.for_tenant(tenant_id).first() or PortalEinstellung(
        tenant_id=tenant_id
    )


def speichern(*, actor: User, access: Access, werte: dict[str, Any]) -> PortalEinstellung:
    """Save the Mandant's portal settings (only the names of :func:`felder`), audited
    with what changed."""
    tenant_id = access.tenant_id
    if tenant_id is None or not rules.verwaltet_portal(access):
        raise Forbidden("forbidden", "Die Portal-Einstellungen verwaltet die Administration.")
    namen = felder()
    with transaction.atomic():
        row = PortalEinstellung.objects.for_tenant(
            tenant_id
        ).select_for_update().first() or PortalEinstellung(tenant_id=tenant_id)
        alt = {n: getattr(row, n) for n in namen}
        for name in namen:
            if name in werte:
                setattr(row, name, werte[name])
        neu = {n: getattr(row, n) for n in namen}
        if alt == neu and row.pk is not None and not row._state.adding:
            return row
        row.save()
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="portal.einstellung.change",
            obj=row,
            changes=audit.diff(alt, neu),
        )
    return row
