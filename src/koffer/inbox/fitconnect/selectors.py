"""Reads of FIT-Connect in the Posteingang: the Mandant's destinations (its
administration) and the submissions fetched, with their decision and reason (the
administration and the mail room of the receiving units). Neither shows the submissions'
data, so neither is a read of personal data."""

from __future__ import annotations

from django.db.models import QuerySet

from koffer.accounts.access import Access
from koffer.inbox import access as rules
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
