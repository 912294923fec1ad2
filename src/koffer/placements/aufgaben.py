"""The Platzbörse's part of "Ihre Aufgaben", by side:

- a provider (Träger, or a Kreis running its own places): requests for a place waiting
  for its answer before the hold runs out (48 hours by default), Leistungsnachweise still
  to confirm, and § 47 notifications the Landesjugendamt asked back about;
- a youth office: invoices that arrived and wait to be checked (released or rejected);
- a Landesjugendamt: § 47 notifications still open at its Bearbeitungsfrist.

Two queries whatever the side (the counts, then the most urgent items of every kind in
one ``UNION ALL``), and a third for the pseudonyms of the youth offices' Gesuche when
requests are listed (they live in other Mandanten: never joined, see
koffer.tenancy.across); none for a user with no such tasks. Each kind is limited to what the
user may open, by the same rules as the pages (``placements.access``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import CharField, DateField, DateTimeField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat, TruncDate
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.placements import access as rules
from koffer.placements.models import (
    Leistungsnachweis,
    Meldung,
    Platzgesuch,
    Rechnung,
    Reservierung,
)
from koffer.shell.tasks_registry import (
    LISTED,
    NOW,
    StartTask,
    Statement,
    TaskBatch,
    TaskCount,
    as_date,
    as_moment,
    count_each,
    run,
    statements,
    url_of,
)
from koffer.tenancy.models import Mandant

NO_DATE = Value(None, output_field=DateField())
NO_MOMENT = Value(None, output_field=DateTimeField())
# Still waiting for the Landesjugendamt, so its deadline counts (meldungen.OPEN_AT_LJA).
MELDUNG_OPEN = (Meldung.Status.EINGEGANGEN, Meldung.Status.BESTAETIGT)


@dataclass(frozen=True)
class Kind:
    code: str
    one: str
    many: str
    detail_url: str  # URL name of one item's page, with its pk
    list_url: str  # URL name of the page listing all of them


ANFRAGE = Kind(
    "anfrage",
    "Anfrage zu beantworten",
    "Anfragen zu beantworten",
    "placements:anfragen",
    "placements:anfragen",
)
NACHWEIS = Kind(
    "nachweis",
    "Leistungsnachweis zu bestätigen",
    "Leistungsnachweise zu bestätigen",
    "placements:abrechnung_nachweis",
    "placements:abrechnung",
)
RUECKFRAGE = Kind(
    "rueckfrage",
    "Rückfrage zu einer Meldung § 47",
    "Rückfragen zu Meldungen § 47",
    "placements:meldungen_detail",
    "placements:meldungen_list",
)
RECHNUNG = Kind(
    "rechnung",
    "Rechnung zu prüfen",
    "Rechnungen zu prüfen",
    "placements:abrechnung_rechnung",
    "placements:abrechnung_eingang",
)
MELDUNG = Kind(
    "meldung",
    "Meldung § 47 zu bearbeiten",
    "Meldungen § 47 zu bearbeiten",
    "placements:meldungen_detail",
    "placements:meldungen_inbox",
)
KINDS = {k.code: k for k in (ANFRAGE, NACHWEIS, RUECKFRAGE, RECHNUNG, MELDUNG)}


def _rows(qs: QuerySet[Any], kind: Kind, **columns: Any) -> QuerySet[Any]:
    """One part of the UNION: kind, pk, due day, due moment, name, Einrichtung, in this
    order in every part."""
    return (
        qs.order_by()
        .annotate(
            k=Value(kind.code, output_field=CharField()),
            i=F("pk"),
            d=columns["d"],
            at=columns["at"],
            n=columns["n"],
            e=columns["e"],
        )
        .values_list("k", "i", "d", "at", "n", "e")
    )


def _kinds(access: Access, tenant: Mandant) -> tuple[Kind, ...]:
    """The kinds of task the user's side of the Platzbörse has."""
    kinds: list[Kind] = []
    if rules.is_provider(access, tenant):
        kinds += [ANFRAGE, NACHWEIS]
    if rules.may_file_meldungen(access):
        kinds.append(RUECKFRAGE)
    if rules.is_requester(access, tenant):
        kinds.append(RECHNUNG)
    if rules.may_review_meldungen(access):
        kinds.append(MELDUNG)
    return tuple(kinds)


def _parts(tenant: Mandant, now: datetime) -> dict[Kind, QuerySet[Any]]:
    """The open tasks of every kind, as querysets (nothing runs here)."""
    return {
        ANFRAGE: Reservierung.objects.for_tenant(tenant).filter(
            status=Reservierung.Status.OFFEN, expires_at__gt=now
        ),
        NACHWEIS: Leistungsnachweis.objects.for_tenant(tenant).filter(
            status=Leistungsnachweis.Status.ENTWURF
        ),
        RUECKFRAGE: Meldung.objects.for_tenant(tenant).filter(status=Meldung.Status.RUECKFRAGE),
        RECHNUNG: Rechnung.objects.for_party(tenant).filter(
            jugendamt=tenant, status=Rechnung.Status.VERSENDET
        ),
        MELDUNG: Meldung.objects.for_party(tenant).filter(
            jugendamt=tenant, status__in=MELDUNG_OPEN
        ),
    }


_COLUMNS: dict[str, dict[str, Any]] = {
    ANFRAGE.code: {
        "d": TruncDate("expires_at"),
        "at": F("expires_at"),
        # The youth office's Gesuch lives in its Mandant (on Citus other shards): the
        # listing names it by Mandant and id, _gesuch_names reads the pseudonyms.
        "n": Concat(Cast("jugendamt_id", CharField()), Value(" "), Cast("gesuch_id", CharField())),
        "e": F("platz__einrichtung__name"),
    },
    NACHWEIS.code: {
        "d": NO_DATE,
        "at": NO_MOMENT,
        "n": F("platz__label"),
        "e": F("platz__einrichtung__name"),
    },
    RUECKFRAGE.code: {
        "d": NO_DATE,
        "at": NO_MOMENT,
        "n": F("betreff"),
        "e": F("einrichtung__name"),
    },
    RECHNUNG.code: {"d": NO_DATE, "at": F("sent_at"), "n": F("number"), "e": F("tenant__name")},
    MELDUNG.code: {
        "d": F("frist"),
        "at": NO_MOMENT,
        "n": F("betreff"),
        "e": F("einrichtung__name"),
    },
}


def open_tasks(request: HttpRequest) -> TaskBatch:
    access: Access | None = getattr(request, "access", None)
    tenant: Mandant | None = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if access is None or tenant is None or user is None or not user.is_authenticated:
        return TaskBatch()
    kinds = _kinds(access, tenant)
    if not kinds:
        return TaskBatch()
    # The querysets depend on the Mandant and the kinds alone; the moment goes in as NOW.
    key = (__name__, tenant.pk, kinds)
    count, listing = statements(key, lambda: _statements(tenant, kinds))
    now = timezone.now()
    counts = dict(zip(kinds, run(count, now)[0], strict=True))
    if not any(counts.values()):
        return TaskBatch()
    rows = run(listing, now)
    names = _gesuch_names([row[4] for row in rows if row[0] == ANFRAGE.code])
    return TaskBatch(
        [
            _task(KINDS[code], pk, day, moment, names.get(name, name), einrichtung)
            for code, pk, day, moment, name, einrichtung in rows
        ],
        [
            TaskCount(kind.one, counts[kind], kind.one, kind.many, reverse(kind.list_url))
            for kind in kinds
        ],
    )


def _statements(tenant: Mandant, kinds: tuple[Kind, ...]) -> tuple[Statement, QuerySet[Any]]:
    parts = _parts(tenant, NOW)
    querysets = [parts[kind] for kind in kinds]
    first, *rest = [_rows(parts[kind], kind, **_COLUMNS[kind.code]) for kind in kinds]
    combined = first.union(*rest, all=True) if rest else first
    listing = combined.order_by(F("d").asc(nulls_last=True), "at", "k", "i")[:LISTED]
    return count_each(querysets), listing


def _gesuch_names(keys: list[str]) -> dict[str, str]:
    """The pseudonyms of the Gesuche the listing names by "Mandant id" (one query, routed
    to those Mandanten; none without requests)."""
    if not keys:
        return {}
    pairs = {key: tuple(uuid.UUID(part) for part in key.split()) for key in keys}
    pseudonyms = dict(
        Platzgesuch.objects.filter(
            tenant_id__in={mandant for mandant, _ in pairs.values()},
            pk__in={gesuch for _, gesuch in pairs.values()},
        ).values_list("pk", "pseudonym")
    )
    return {key: pseudonyms[gesuch] for key, (_, gesuch) in pairs.items() if gesuch in pseudonyms}


def _task(kind: Kind, pk: Any, day: Any, moment: Any, name: str, einrichtung: str) -> StartTask:
    day, moment = as_date(day), as_moment(moment)
    url = url_of(kind.detail_url, pk) if kind is not ANFRAGE else reverse(kind.list_url)
    if kind is ANFRAGE:
        assert moment is not None
        return StartTask(
            label=f"Anfrage für {name} beantworten",
            url=url,
            status=f"Antwort bis {timezone.localtime(moment):%d.%m.%Y, %H:%M} Uhr",
            kind=kind.one,
            due=moment,
            detail=einrichtung,
        )
    if kind is RECHNUNG:
        received = f"eingegangen am {timezone.localtime(moment):%d.%m.%Y}" if moment else ""
        return StartTask(
            f"Rechnung {name} prüfen", url, received, kind.one, detail=f"von {einrichtung}"
        )
    if kind is MELDUNG:
        assert day is not None
        return StartTask(
            f"Meldung: {name}", url, f"Frist {day:%d.%m.%Y}", kind.one, due=day, detail=einrichtung
        )
    if kind is RUECKFRAGE:
        return StartTask(
            f"Rückfrage zu „{name}“",
            url,
            "Rückfrage des Landesjugendamts",
            kind.one,
            detail=einrichtung,
        )
    return StartTask(
        f"Leistungsnachweis {name} bestätigen", url, "Entwurf", kind.one, detail=einrichtung
    )
