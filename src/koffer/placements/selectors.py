"""Reads of the provider and youth-office pages, already scoped to the Mandant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from koffer.placements import access
from koffer.placements.models import (
    Abwesenheit,
    Angebot,
    Belegung,
    Einrichtung,
    Entgelt,
    Platz,
    Platzgesuch,
    Reservierung,
    with_gesuch,
)
from koffer.placements.search import Need, Treffer, search
from koffer.tenancy.models import Mandant


@dataclass
class PlatzZeile:
    platz: Platz
    status: str
    detail: str


def einrichtungen_overview(tenant: Mandant, now: datetime | None = None) -> list[dict[str, Any]]:
    """Own facilities with places, free, held and occupied counts (four queries)."""
    now = now or timezone.now()
    rows = list(access.einrichtungen(tenant).order_by("name").prefetch_related("formen"))
    plaetze = (
        Platz.objects.for_tenant(tenant)
        .values("einrichtung_id")
        .annotate(
            n=Count("pk"),
            offered=Count("pk", filter=Q(frei_ab__isnull=False)),
        )
        .order_by()
    )
    counts = {r["einrichtung_id"]: r for r in plaetze}
    held = dict(
        Reservierung.objects.for_tenant(tenant)
        .filter(status=Reservierung.Status.OFFEN, expires_at__gt=now)
        .values("platz__einrichtung_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("platz__einrichtung_id", "n")
    )
    occupied = dict(
        Belegung.objects.for_tenant(tenant)
        .filter(ende__isnull=True)
        .values("einrichtung_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("einrichtung_id", "n")
    )
    return [
        {
            "einrichtung": e,
            "plaetze": counts.get(e.pk, {}).get("n", 0),
            "angeboten": counts.get(e.pk, {}).get("offered", 0),
            "angefragt": held.get(e.pk, 0),
            "belegt": occupied.get(e.pk, 0),
        }
        for e in rows
    ]


def einrichtung_detail(tenant: Mandant, einrichtung_id: uuid.UUID) -> Einrichtung | None:
    return (
        access.einrichtungen(tenant)
        .prefetch_related(
            "formen",
            "merkmale",
            Prefetch(
                "angebote",
                queryset=Angebot.objects.for_tenant(tenant)
                .select_related("betreuungsform")
                .prefetch_related(
                    Prefetch("entgelte", queryset=Entgelt.objects.for_tenant(tenant))
                ),
            ),
        )
        .filter(pk=einrichtung_id)
        .first()
    )


def platz_zeilen(
    tenant: Mandant, angebot: Angebot, now: datetime | None = None
) -> list[PlatzZeile]:
    """Every place of an Angebot with its state in words (one query)."""
    now = now or timezone.now()
    # The place's holds and stays are its provider's rows: matched by tenant_id too, so on
    # Citus the page's one query stays in the provider's shard.
    hold = Reservierung.objects.unscoped().filter(
        tenant_id=OuterRef("tenant_id"),
        platz=OuterRef("pk"),
        status=Reservierung.Status.OFFEN,
        expires_at__gt=now,
    )
    stay = Belegung.objects.unscoped().filter(
        tenant_id=OuterRef("tenant_id"), platz=OuterRef("pk"), ende__isnull=True
    )
    places = (
        Platz.objects.for_tenant(tenant)
        .filter(angebot=angebot)
        .annotate(
            hold_until=Subquery(hold.values("expires_at")[:1]),
            stay_since=Subquery(stay.values("beginn")[:1]),
        )
        .order_by("label")
    )
    out = []
    for p in places:
        if p.stay_since is not None:
            out.append(PlatzZeile(p, "belegt", f"belegt seit {p.stay_since:%d.%m.%Y}"))
        elif p.hold_until is not None:
            until = timezone.localtime(p.hold_until)
            out.append(
                PlatzZeile(p, "angefragt", f"angefragt, reserviert bis {until:%d.%m.%Y %H:%M} Uhr")
            )
        elif p.frei_ab is not None:
            out.append(PlatzZeile(p, "frei", f"frei ab {p.frei_ab:%d.%m.%Y}"))
        else:
            out.append(PlatzZeile(p, "nicht angeboten", "nicht in der Platzbörse angeboten"))
    return out


def offene_anfragen(tenant: Mandant, now: datetime | None = None) -> QuerySet[Reservierung]:
    """Requests waiting for the provider's answer, oldest deadline first."""
    now = now or timezone.now()
    return with_gesuch(
        Reservierung.objects.for_tenant(tenant)
        .filter(status=Reservierung.Status.OFFEN, expires_at__gt=now)
        .select_related("platz__einrichtung", "platz__angebot", "jugendamt")
        .order_by("expires_at"),
        prefetch=("merkmale",),
    )


def laufende_belegungen(tenant: Mandant) -> QuerySet[Belegung]:
    """The running Belegungen the Mandant is a party of: on its places, or paid by it. A
    Mandant that places nobody (a Träger) is never the payer: its own rows only, which on
    Citus stay on its shard (the party condition asks every provider's shard)."""
    if access.places_people(tenant.kind):
        rows = access.belegungen(tenant)
    else:
        rows = Belegung.objects.for_tenant(tenant)
    return with_gesuch(
        rows.filter(ende__isnull=True)
        .select_related("einrichtung", "angebot", "platz", "jugendamt", "tenant")
        .order_by("einrichtung__name", "beginn")
    )


def eigene_belegung(tenant: Mandant, belegung_id: uuid.UUID) -> Belegung | None:
    """A Belegung on one of the provider's own places (not one it pays as youth office)."""
    return with_gesuch(
        access.belegungen(tenant)
        .filter(tenant=tenant, pk=belegung_id)
        .select_related("einrichtung", "platz", "jugendamt")
    ).first()


def abwesenheiten_of(belegung: Belegung) -> QuerySet[Abwesenheit]:
    return Abwesenheit.objects.for_tenant(belegung.tenant_id).filter(belegung=belegung)


def eigene_abwesenheit(tenant: Mandant, abwesenheit_id: uuid.UUID) -> Abwesenheit | None:
    """An absence on a Belegung of the provider's own places, with what its pages show."""
    return with_gesuch(
        Abwesenheit.objects.for_tenant(tenant.pk)
        .filter(pk=abwesenheit_id, belegung__in=access.belegungen(tenant).filter(tenant=tenant))
        .select_related("belegung__einrichtung", "belegung__platz"),
        "belegung__gesuch",
    ).first()


def gesuche_of(tenant: Mandant, limit: int) -> list[Platzgesuch]:
    """The youth office's newest Gesuche, each with ``offen``: its requests still open.

    Two queries: the requests are the providers' rows (on Citus in their shards), counted
    by the youth office and Gesuch, never joined to the Gesuche."""
    rows = list(
        access.gesuche(tenant)
        .select_related("betreuungsform", "region")
        .order_by("-created_at")[:limit]
    )
    offen = dict(
        Reservierung.objects.for_party(tenant)
        .filter(
            jugendamt=tenant,
            gesuch_id__in=[g.pk for g in rows],
            status=Reservierung.Status.OFFEN,
        )
        .values("gesuch_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("gesuch_id", "n")
    )
    for gesuch in rows:
        gesuch.offen = offen.get(gesuch.pk, 0)  # type: ignore[attr-defined]
    return rows


def gesuch_detail(tenant: Mandant, gesuch_id: uuid.UUID) -> Platzgesuch | None:
    return (
        access.gesuche(tenant)
        .select_related("betreuungsform__fachbereich", "region")
        .prefetch_related("merkmale")
        .filter(pk=gesuch_id)
        .first()
    )


def anfragen_of(gesuch: Platzgesuch) -> QuerySet[Reservierung]:
    return (
        Reservierung.objects.for_party(gesuch.tenant_id)
        .filter(gesuch=gesuch)
        .select_related("platz__einrichtung", "platz__angebot", "tenant")
        .order_by("-created_at")
    )


def need_of(gesuch: Platzgesuch) -> Need:
    return Need(
        betreuungsform_id=gesuch.betreuungsform_id,
        alter=gesuch.alter,
        geschlecht=gesuch.geschlecht,
        ab_datum=gesuch.ab_datum,
        lat=gesuch.region.lat,
        lon=gesuch.region.lon,
        radius_km=gesuch.radius_km,
        merkmal_ids=frozenset(m.pk for m in gesuch.merkmale.all()),
    )


def treffer_for(gesuch: Platzgesuch, limit: int = 25) -> list[Treffer]:
    return search(need_of(gesuch), limit=limit)


def today() -> date:
    return timezone.localdate()
