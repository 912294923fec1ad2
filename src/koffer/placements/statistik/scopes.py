"""Who sees which statistics: a provider its own facilities, a youth office the
Belegungen it made, the Landesjugendamt and the ministry the whole installation, aggregated
only (no per-facility rows, small cells suppressed)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from django.db.models import (
    QuerySet,
)

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.placements import access as placement_access
from koffer.placements.models import Belegung, Platz
from koffer.tenancy.models import Mandant

ScopeKind = Literal["provider", "requester", "aggregate"]

# --- who sees what -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose Belegungen the statistics count, and whether only aggregates may leave."""

    kind: ScopeKind
    tenant_id: uuid.UUID
    tenant_name: str

    @property
    def aggregated(self) -> bool:
        return self.kind == "aggregate"

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self.kind]

    @property
    def description(self) -> str:
        if self.kind == "provider":
            return "Belegungen in den Einrichtungen Ihres Mandanten, mit allen Einzelheiten."
        if self.kind == "requester":
            return (
                "Belegungen, die Ihre Behörde veranlasst hat, in allen Einrichtungen. "
                "Eine Auslastung in % zeigt nur die Sicht „Eigene Einrichtungen“: die Plätze "
                "gehören den Trägern."
            )
        return (
            "Alle Einrichtungen und Belegungen der Platzbörse, nur zusammengefasst: keine "
            "Zahlen einzelner Einrichtungen, Werte unter 3 unterdrückt."
        )


SCOPE_LABELS: dict[str, str] = {
    "provider": "Eigene Einrichtungen",
    "requester": "Von Ihrer Behörde veranlasste Belegungen",
    "aggregate": "Landesweit, zusammengefasst",
}


def scopes_for(access: Access, tenant: Mandant) -> list[Scope]:
    """The views of the statistics ``access`` may take in ``tenant``; empty: 403.

    Landesjugendamt and ministry: the whole installation, aggregated only, with
    STATISTICS_VIEW. Who manages places (a Träger, or a Kreis with its own Inobhutnahme
    places) sees its own facilities; a Träger also with STATISTICS_VIEW. A placing
    authority with STATISTICS_VIEW sees the Belegungen it made. A Kreis with both rights
    chooses; the first is the default."""
    if placement_access.sees_only_aggregates(tenant):
        kinds: list[ScopeKind] = ["aggregate"] if access.can(Perm.STATISTICS_VIEW) else []
    else:
        is_traeger = tenant.kind == Mandant.Kind.TRAEGER
        kinds = []
        if access.can(Perm.PLACEMENTS_MANAGE) or (is_traeger and access.can(Perm.STATISTICS_VIEW)):
            kinds.append("provider")
        if placement_access.places_people(tenant.kind) and access.can(Perm.STATISTICS_VIEW):
            kinds.insert(0, "requester")
    return [Scope(kind=k, tenant_id=tenant.pk, tenant_name=tenant.name) for k in kinds]


def sees_statistik(access: Access, tenant: Mandant) -> bool:
    """Page guard of the statistics: some view of them is allowed at ``tenant``. It lives
    beside :func:`scopes_for`, not in ``placements/access.py``, because it is that rule."""
    return bool(scopes_for(access, tenant))


def scope_for(access: Access, tenant: Mandant, wanted: str | None = None) -> Scope | None:
    """The view ``wanted`` (a scope kind) if allowed, else the default one, else None."""
    scopes = scopes_for(access, tenant)
    for scope in scopes:
        if scope.kind == wanted:
            return scope
    return scopes[0] if scopes else None


def belegungen_in(scope: Scope) -> QuerySet[Belegung]:
    if scope.kind == "provider":
        return Belegung.objects.for_tenant(scope.tenant_id)
    if scope.kind == "requester":
        return Belegung.objects.for_party(scope.tenant_id).filter(jugendamt_id=scope.tenant_id)
    # Deliberately across all Mandanten: only suppressed aggregates leave this module.
    return Belegung.objects.unscoped()


def plaetze_in(scope: Scope) -> QuerySet[Platz] | None:
    """Places whose capacity the viewer may compare with: none for a youth office (the
    places are the providers', an occupancy rate of them would show other offices' use)."""
    if scope.kind == "provider":
        return Platz.objects.for_tenant(scope.tenant_id)
    if scope.kind == "aggregate":
        return Platz.objects.unscoped()
    return None
