"""The single answer to "may this actor see / do this" in the Platzbörse, for web and API.

Providers (Träger) manage their own facilities and answer requests; youth offices search
and request with pseudonymous needs; the Landesjugendamt reviews § 47 notifications; the
Landesjugendamt and the ministry see statistics as aggregates only.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.placements.models import (
    Belegung,
    Einrichtung,
    Leistungsnachweis,
    Meldung,
    Platzgesuch,
    Rechnung,
    Reservierung,
)
from koffer.tenancy.models import Mandant

AGGREGATE_ONLY_KINDS = frozenset({Mandant.Kind.LANDESJUGENDAMT, Mandant.Kind.MINISTERIUM})


def is_provider(access: Access, tenant: Mandant) -> bool:
    """Träger run facilities, and so do Kreise and Städte (their own Inobhutnahme
    places, municipal care homes): the role decides, not the kind of Mandant."""
    return access.can(Perm.PLACEMENTS_MANAGE) and tenant.kind not in AGGREGATE_ONLY_KINDS


def is_requester(access: Access, tenant: Mandant) -> bool:
    return access.can(Perm.PLACEMENTS_SEARCH) and tenant.kind not in AGGREGATE_ONLY_KINDS


def is_supervisor(access: Access, tenant: Mandant) -> bool:
    return tenant.kind == Mandant.Kind.LANDESJUGENDAMT and access.can(Perm.MELDUNGEN_REVIEW)


def sees_only_aggregates(tenant: Mandant) -> bool:
    return tenant.kind in AGGREGATE_ONLY_KINDS


def einrichtungen(tenant: Mandant) -> QuerySet[Einrichtung]:
    return Einrichtung.objects.for_tenant(tenant)


def gesuche(tenant: Mandant) -> QuerySet[Platzgesuch]:
    return Platzgesuch.objects.for_tenant(tenant)


def reservierungen(tenant: Mandant) -> QuerySet[Reservierung]:
    """Holds the Mandant is a party of: on its places, or requested by it."""
    return Reservierung.objects.for_party(tenant)


def belegungen(tenant: Mandant) -> QuerySet[Belegung]:
    return Belegung.objects.for_party(tenant)


def nachweise(tenant: Mandant) -> QuerySet[Leistungsnachweis]:
    return Leistungsnachweis.objects.for_party(tenant)


def rechnungen(tenant: Mandant) -> QuerySet[Rechnung]:
    return Rechnung.objects.for_party(tenant)


def meldungen(tenant: Mandant) -> QuerySet[Meldung]:
    """Notifications the Mandant filed (provider) or received (Landesjugendamt)."""
    return Meldung.objects.for_party(tenant)


def get_or_none(qs: QuerySet[Any], pk: uuid.UUID) -> Any:
    """Missing and forbidden look the same: None, which the caller answers with 404."""
    return qs.filter(pk=pk).first()
