"""Reads of the migration: the Mandant's import runs, one run, its rejected rows, and how
many Akten were imported per Standort (for the rollout page)."""

from __future__ import annotations

import uuid
from collections import Counter

from django.db.models import Count, QuerySet

from koffer.inbox.models import Altsystemschluessel, Importablehnung, Importlauf
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant, Organisationseinheit

RECENT = 20


def laeufe(tenant: Mandant) -> QuerySet[Importlauf]:
    return (
        Importlauf.objects.for_tenant(tenant)
        .select_related("created_by")
        .defer("dateien")
        .order_by("-created_at")[:RECENT]
    )


def lauf(tenant: Mandant, lauf_id: uuid.UUID) -> Importlauf | None:
    return (
        Importlauf.objects.for_tenant(tenant)
        .select_related("created_by", "default_unit")
        .defer("dateien")
        .filter(pk=lauf_id)
        .first()
    )


def ablehnungen(lauf: Importlauf, *, probelauf: bool) -> QuerySet[Importablehnung]:
    return (
        Importablehnung.objects.for_tenant(lauf.tenant_id)
        .filter(lauf=lauf, probelauf=probelauf)
        .order_by("datei", "zeile", "pk")
    )


def file_names(lauf: Importlauf) -> list[tuple[str, str, str]]:
    """Name, kind and encoding of each file of the run (without loading their text)."""
    rows = (
        Importlauf.objects.for_tenant(lauf.tenant_id)
        .filter(pk=lauf.pk)
        .values_list("dateien", flat=True)
    )
    return [(d["name"], d["art"], d["encoding"]) for d in (rows.first() or [])]


def imported_per_standort(tenant: Mandant) -> dict[uuid.UUID, int]:
    """How many imported Akten lie at or below each Standort (an Organisationseinheit of
    kind ``standort``), by the Akte's ``unit_path``; Standorte without any are 0."""
    standorte = list(
        Organisationseinheit.objects.for_tenant(tenant)
        .filter(kind=Organisationseinheit.Kind.STANDORT)
        .values_list("pk", "path")
    )
    if not standorte:
        return {}
    imported = Altsystemschluessel.objects.for_tenant(tenant).filter(
        art=Altsystemschluessel.Art.AKTE
    )
    per_path: Counter[str] = Counter(
        dict(
            Akte.objects.for_tenant(tenant)
            .filter(pk__in=imported.values("objekt_id"))
            .values("unit_path")
            .annotate(n=Count("pk"))
            .values_list("unit_path", "n")
        )
    )
    return {pk: sum(n for p, n in per_path.items() if p.startswith(path)) for pk, path in standorte}
