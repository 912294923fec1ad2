"""The single answer to "may this actor see / do this" in the Platzbörse, for web and API.

Providers (Träger) manage their own facilities and answer requests; youth offices search
and request with pseudonymous needs; the Landesjugendamt reviews § 47 notifications; the
Landesjugendamt and the ministry see statistics as aggregates only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from koffer.accounts.access import Access
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.errors import Forbidden
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
# Who places children and young people: the Jugendamt, an office of a Kreis or of a
# (kreisfreie) Stadt. A Jobcenter places nobody, although its caseworkers hold the same
# Sachbearbeitung role as a Jugendamt's.
PLACING_KINDS = frozenset({Mandant.Kind.KREIS, Mandant.Kind.GEMEINDE})

# The two sides of a § 47 notification.
PROVIDER = "traeger"
RECEIVER = "landesjugendamt"


def is_provider(access: Access, tenant: Mandant) -> bool:
    """Träger run facilities, and so do Kreise and Städte (their own Inobhutnahme
    places, municipal care homes): the role decides, not the kind of Mandant."""
    return access.can(Perm.PLACEMENTS_MANAGE) and tenant.kind not in AGGREGATE_ONLY_KINDS


def require_provider(request: TenantRequest) -> None:
    """For the API: only a provider's account goes on (else 403)."""
    if request.tenant is None or not is_provider(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für Einrichtungsträger mit Platzverwaltung.")


def require_requester(request: TenantRequest) -> None:
    """For the API: only an account of a place-seeking office goes on (else 403)."""
    if request.tenant is None or not is_requester(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für Stellen, die Plätze suchen dürfen.")


def is_requester(access: Access, tenant: Mandant) -> bool:
    return access.can(Perm.PLACEMENTS_SEARCH) and places_people(tenant.kind)


# --- which kinds of Mandant a Platzbörse module exists for (navigation and views alike) ------


def places_people(kind: str) -> bool:
    """Searching places, reserving them and checking the providers' invoices."""
    return kind in PLACING_KINDS


def runs_places(kind: str) -> bool:
    """Managing facilities and places, billing them, filing § 47 notifications."""
    return kind not in AGGREGATE_ONLY_KINDS


def has_statistics(kind: str) -> bool:
    """Some view of the Platzbörse statistics (statistics.scopes_for): the aggregate of
    the supervisors, a provider's own facilities, a placing authority's Belegungen."""
    return kind in AGGREGATE_ONLY_KINDS or kind == Mandant.Kind.TRAEGER or places_people(kind)


CATALOGUE_READERS = frozenset(
    {Perm.PLACEMENTS_MANAGE, Perm.PLACEMENTS_SEARCH, Perm.MELDUNGEN_REVIEW, Perm.STATISTICS_VIEW}
)


def sees_catalogue(access: Access) -> bool:
    """The Fachbereiche with their forms of care and criteria: for whoever works with
    places, notifications or their statistics; not for a scan provider's upload key."""
    return not CATALOGUE_READERS.isdisjoint(access.permissions)


def is_supervisor(access: Access, tenant: Mandant) -> bool:
    return tenant.kind == Mandant.Kind.LANDESJUGENDAMT and access.can(Perm.MELDUNGEN_REVIEW)


def sees_only_aggregates(tenant: Mandant) -> bool:
    return tenant.kind in AGGREGATE_ONLY_KINDS


# --- billing: which side of a Leistungsnachweis or Rechnung the Mandant is on ---------------


def is_billing_party(access: Access, tenant: Mandant) -> bool:
    """May open billing pages at all; the side is decided per object."""
    return is_provider(access, tenant) or is_requester(access, tenant)


def opens_billing(access: Access, tenant: Mandant) -> bool:
    """Page guard of the billing pages: :func:`is_billing_party` at the chosen Mandant."""
    return is_billing_party(access, tenant)


def is_provider_of(access: Access, tenant: Mandant, obj: Rechnung | Leistungsnachweis) -> bool:
    """The Mandant issued it and manages places."""
    return obj.tenant_id == tenant.pk and is_provider(access, tenant)


def is_payer_of(access: Access, tenant: Mandant, obj: Rechnung | Leistungsnachweis) -> bool:
    """The Mandant pays it and places people."""
    return obj.jugendamt_id == tenant.pk and is_requester(access, tenant)


# --- § 47 notifications ---------------------------------------------------------------------


def may_file_meldungen(access: Access) -> bool:
    return access.can(Perm.PLACEMENTS_MANAGE)


def may_review_meldungen(access: Access) -> bool:
    return access.can(Perm.MELDUNGEN_REVIEW)


def is_meldung_party(access: Access) -> bool:
    """May open notification pages at all; the side is decided per notification."""
    return may_file_meldungen(access) or may_review_meldungen(access)


def opens_meldungen(access: Access, tenant: Mandant) -> bool:
    """Page guard of the notification pages: :func:`is_meldung_party` at the chosen Mandant."""
    return is_meldung_party(access)


@dataclass(frozen=True)
class Sicht:
    """A notification as one party sees it: ``seite`` is PROVIDER or RECEIVER."""

    meldung: Meldung
    seite: str

    @property
    def is_receiver(self) -> bool:
        return self.seite == RECEIVER


def meldung_sicht(access: Access, tenant: Mandant, meldung_id: uuid.UUID) -> Sicht | None:
    """The notification if the Mandant filed it (and may manage places) or received it
    (and may review notifications); None otherwise, which callers answer with 404."""
    meldung = (
        Meldung.objects.for_party(tenant)
        .select_related("einrichtung", "jugendamt", "tenant", "eingereicht_by", "bestaetigt_by")
        .filter(pk=meldung_id)
        .first()
    )
    if meldung is None:
        return None
    if meldung.jugendamt_id == tenant.pk and may_review_meldungen(access):
        return Sicht(meldung, RECEIVER)
    if meldung.tenant_id == tenant.pk and may_file_meldungen(access):
        return Sicht(meldung, PROVIDER)
    return None


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
