"""Search the exchange: free places that fit a need, ranked by fit, then day rate, then
straight-line distance, each with the reason in words.

Published offers are visible to every youth office of the installation, so the queries
here read across providers on purpose (``unscoped``); they carry no personal data.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, DecimalField, Exists, F, Min, OuterRef, Q, Subquery
from django.utils import timezone

from koffer import formats
from koffer.placements.models import (
    Angebot,
    Belegung,
    Einrichtung,
    Entgelt,
    Merkmal,
    Platz,
    Reservierung,
)


@dataclass(frozen=True)
class Need:
    """What a youth office looks for; pseudonymous by construction."""

    betreuungsform_id: uuid.UUID
    alter: int
    geschlecht: str
    ab_datum: date
    lat: float
    lon: float
    radius_km: int = 50
    merkmal_ids: frozenset[uuid.UUID] = frozenset()


@dataclass
class Treffer:
    angebot_id: uuid.UUID
    einrichtung_id: uuid.UUID
    einrichtung: str
    traeger: str
    city: str
    title: str
    free_count: int
    frei_ab: date
    tagessatz: Decimal | None
    distance_km: float
    met: int
    total: int
    missing: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        rate = (
            f"{formats.euro(self.tagessatz)}/Tag" if self.tagessatz is not None else "kein Entgelt"
        )
        return (
            f"erfüllt {self.met} von {self.total} Kriterien · {rate} · {round(self.distance_km)} km"
        )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine), good to a few metres at this scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0088 * 2 * math.asin(math.sqrt(a))


def free_places_q(now: datetime) -> Q:
    """The one definition of a free place: offered, not held by an open hold that is still
    running, not occupied on or after the day it is offered from. Holds and Belegungen are
    the place's provider's rows: matched by tenant_id too, so on Citus each check stays in
    the place's shard."""
    open_hold = Reservierung.objects.unscoped().filter(
        tenant_id=OuterRef("tenant_id"),
        platz=OuterRef("pk"),
        status=Reservierung.Status.OFFEN,
        expires_at__gt=now,
    )
    occupied = Belegung.objects.unscoped().filter(
        Q(ende__isnull=True) | Q(ende__gte=OuterRef("frei_ab")),
        tenant_id=OuterRef("tenant_id"),
        platz=OuterRef("pk"),
    )
    return (
        Q(frei_ab__isnull=False)
        & (Q(valid_to__isnull=True) | Q(valid_to__gte=F("frei_ab")))
        & ~Exists(open_hold)
        & ~Exists(occupied)
    )


ANGEBOT_FIELDS = (
    "id",
    "title",
    "einrichtung_id",
    "einrichtung__name",
    "einrichtung__city",
    "einrichtung__lat",
    "einrichtung__lon",
    "einrichtung__age_min",
    "einrichtung__age_max",
    "einrichtung__accepts_w",
    "einrichtung__accepts_m",
    "einrichtung__accepts_d",
    "tenant__name",
)
NO_RATE = Decimal("1e9")  # an Angebot without a day rate on the date ranks after all others
FIRST_BATCH = 2  # times ``limit``: candidates whose free places are counted first


def _free_places(betreuungsform_id: uuid.UUID, now: datetime) -> Any:
    return Platz.objects.unscoped().filter(
        free_places_q(now),
        angebot__betreuungsform_id=betreuungsform_id,
        angebot__is_active=True,
        einrichtung__is_active=True,
    )


def free_counts(betreuungsform_id: uuid.UUID, now: datetime) -> dict[uuid.UUID, tuple[int, date]]:
    """Free places per Angebot of one form of care: count and earliest date."""
    return _counts(_free_places(betreuungsform_id, now))


def _counts(places: Any) -> dict[uuid.UUID, tuple[int, date]]:
    rows = places.values("angebot_id").annotate(n=Count("pk"), first=Min("frei_ab")).order_by()
    return {r["angebot_id"]: (r["n"], r["first"]) for r in rows}


@dataclass
class _Candidate:
    """An active Angebot of the form of care, judged on everything but its free places."""

    row: dict[str, Any]
    km: float
    rate: Decimal | None
    person: list[str]  # criteria missed about the person (age, gender), named first
    place: list[str]  # then distance and the asked-for criteria

    def key(self, late: bool = False) -> tuple[Any, ...]:
        # Fewest criteria missed, then day rate, then distance; name and id make it total.
        missed = len(self.person) + len(self.place) + late
        return (
            missed,
            self.rate or NO_RATE,
            self.km,
            self.row["einrichtung__name"],
            self.row["id"],
        )


def search(need: Need, *, now: datetime | None = None, limit: int = 50) -> list[Treffer]:
    """Ranked free places for ``need``, the best ``limit``.

    Every active Angebot of the form of care is judged first on what does not depend on
    its places (age, gender, distance, criteria, day rate): that is the best rank it can
    reach. Free places are then counted for the most promising candidates only, in
    growing batches, until no candidate left could still rank above the ``limit``-th hit
    (having no place free early enough only lowers a rank). The result is the same as
    counting every place of the form of care, at a fraction of the work (make bench
    ONLY=placements_search)."""
    now = now or timezone.now()
    candidates = _candidates(need)
    total = 4 + len(need.merkmal_ids)
    hits: list[tuple[tuple[Any, ...], Treffer]] = []
    done, batch = 0, max(FIRST_BATCH * limit, 1)
    while done < len(candidates):
        chunk = candidates[done : done + batch]
        done += len(chunk)
        counts = _counts(
            _free_places(need.betreuungsform_id, now).filter(
                angebot_id__in=[_uuid(c.row["id"]) for c in chunk]
            )
        )
        for c in chunk:
            found = counts.get(_uuid(c.row["id"]))
            if found is not None:
                hits.append(_hit(c, *found, need, total))
        hits.sort(key=lambda pair: pair[0])
        settled = len(hits) >= limit and done < len(candidates)
        if settled and hits[limit - 1][0] <= candidates[done].key():
            break
        batch *= 2
    return [treffer for _, treffer in hits[:limit]]


def _candidates(need: Need) -> list[_Candidate]:
    """Active Angebote of the form of care, best possible rank first (two queries)."""
    asked = sorted(need.merkmal_ids)
    rows = _angebot_rows(need.betreuungsform_id, need.ab_datum, asked)
    if not rows:
        return []
    labels = dict(Merkmal.objects.filter(pk__in=asked).values_list("pk", "label")) if asked else {}
    found = []
    for a in rows:
        km = distance_km(need.lat, need.lon, a["einrichtung__lat"], a["einrichtung__lon"])
        person: list[str] = []
        if not a["einrichtung__age_min"] <= need.alter <= a["einrichtung__age_max"]:
            person.append(f"Alter {a['einrichtung__age_min']}–{a['einrichtung__age_max']} Jahre")
        if not a[f"einrichtung__accepts_{need.geschlecht}"]:
            person.append("Geschlecht")
        place: list[str] = []
        if km > need.radius_km:
            place.append(f"außerhalb {need.radius_km} km")
        place.extend(labels[m] for m in need.merkmal_ids - a["offered"] if m in labels)
        found.append(_Candidate(row=a, km=km, rate=a["rate"], person=person, place=place))
    found.sort(key=lambda c: c.key())
    return found


def _angebot_rows(
    betreuungsform_id: uuid.UUID, on: date, asked: list[uuid.UUID]
) -> list[dict[str, Any]]:
    """Every active Angebot of the form of care with its facility, its day rate on ``on``
    (None without one) and which of the ``asked`` criteria its facility offers, in one
    statement. Read as plain rows: the ORM's conversion of ~500 rows cost more than the
    query (make bench ONLY=placements_search). The ids stay in the database's form (hex
    text on SQLite); the other queries here take that form as well."""
    rate = (
        Entgelt.objects.unscoped()  # the Angebot's own rates: its Mandant's (shard's) rows
        .filter(tenant_id=OuterRef("tenant_id"), angebot_id=OuterRef("pk"), valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("-valid_from")
        .annotate(total=F("leistungsentgelt") + F("grundleistung") + F("investitionsbetrag"))
        .values("total")[:1]
    )
    through = Einrichtung.merkmale.through
    offers = {
        f"offers_{i}": Exists(
            through.objects.filter(einrichtung_id=OuterRef("einrichtung_id"), merkmal_id=merkmal)
        )
        for i, merkmal in enumerate(asked)
    }
    query = (
        Angebot.objects.unscoped()
        .filter(betreuungsform_id=betreuungsform_id, is_active=True, einrichtung__is_active=True)
        .annotate(rate=Subquery(rate, output_field=DecimalField()), **offers)
        .values_list(*ANGEBOT_FIELDS, "rate", *offers)
        .query
    )
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    rows = []
    width = len(ANGEBOT_FIELDS)
    for values in raw:
        row = dict(zip(ANGEBOT_FIELDS, values, strict=False))
        row["rate"] = None if values[width] is None else _money(values[width])
        row["offered"] = {m for m, has in zip(asked, values[width + 1 :], strict=True) if has}
        rows.append(row)
    return rows


def _money(value: Any) -> Decimal:
    """An amount as a DecimalField holds it: PostgreSQL hands back a Decimal, SQLite an int
    or a float (a sum of stored cents, exact once rounded to the cent)."""
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(CENT)


CENT = Decimal("0.01")


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _hit(
    c: _Candidate, n: int, first: date, need: Need, total: int
) -> tuple[tuple[Any, ...], Treffer]:
    late = first > need.ab_datum
    missing = [*c.person, *([f"frei erst ab {first:%d.%m.%Y}"] if late else []), *c.place]
    a = c.row
    treffer = Treffer(
        angebot_id=_uuid(a["id"]),
        einrichtung_id=_uuid(a["einrichtung_id"]),
        einrichtung=a["einrichtung__name"],
        traeger=a["tenant__name"],
        city=a["einrichtung__city"],
        title=a["title"],
        free_count=n,
        frei_ab=first,
        tagessatz=c.rate,
        distance_km=c.km,
        met=total - len(missing),
        total=total,
        missing=missing,
    )
    return c.key(late), treffer
