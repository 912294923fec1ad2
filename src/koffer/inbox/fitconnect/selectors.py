"""Reads of FIT-Connect in the Posteingang: the Mandant's destinations (its
administration) and the submissions fetched, with their decision and reason (the
administration and the mail room of the receiving units). Neither shows the submissions'
data, so neither is a read of personal data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.errors import DomainError
from koffer.inbox import access as rules
from koffer.inbox.fitconnect import schluessel
from koffer.inbox.models import FitConnectEinreichung, FitConnectZiel
from koffer.tenancy.models import Mandant


def ziele(tenant: Mandant) -> QuerySet[FitConnectZiel]:
    return FitConnectZiel.objects.for_tenant(tenant).select_related("unit").order_by("name")


def einreichungen(access: Access, tenant: Mandant) -> QuerySet[FitConnectEinreichung]:
    return (
        FitConnectEinreichung.objects.for_tenant(tenant)
        .filter(rules.fitconnect_q(access, tenant))
        .select_related("ziel")
        .defer("metadaten", "daten", "rohdaten", "ereignis")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class Schluesselstand:
    """The current decryption key of a destination: its id and since when it is used."""

    kid: str
    seit: datetime

    @property
    def alter(self) -> str:
        tage = (timezone.localdate() - timezone.localtime(self.seit).date()).days
        if tage <= 0:
            return "heute erzeugt"
        return "vor 1 Tag erzeugt" if tage == 1 else f"vor {tage} Tagen erzeugt"


def schluesselstand(ziel: FitConnectZiel) -> Schluesselstand:
    return Schluesselstand(ziel.encryption_kid, ziel.schluessel_seit or ziel.created_at)


def oeffentliche_schluessel(ziel: FitConnectZiel) -> str:
    """The destination's public keys as JSON to copy into the Zustelldienst, or why they
    cannot be read (German)."""
    try:
        keys = schluessel.laden(tenant_id=ziel.tenant_id, destination_id=ziel.destination_id)
    except DomainError as exc:
        return exc.message
    return json.dumps(keys.oeffentlich(), indent=2, ensure_ascii=False)
