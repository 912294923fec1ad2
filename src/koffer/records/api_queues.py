"""API of the work queues: Wiedervorlagen (mine or the team's, due today or overdue),
marking one done, and the Fristen calendar. Reads go through queues.py, which limits
every queue to the Akten the caller may see inside the query."""

from __future__ import annotations

import calendar
import uuid
from datetime import date, datetime, timedelta
from typing import Literal

from django.utils import timezone
from ninja import Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.api.problems import ApiProblem, not_found
from koffer.records import access, queues, selectors, services
from koffer.records.models import Frist, Wiedervorlage

router = Router(tags=["Wiedervorlagen und Fristen"])

MAX_ITEMS = 200
MAX_CALENDAR_DAYS = 366

DueFilter = Literal["alle", "faellig", "heute", "ueberfaellig"]


class WiedervorlageItem(Schema):
    id: uuid.UUID
    akte_id: uuid.UUID
    aktenzeichen: str
    vorgang_id: uuid.UUID | None
    dokument_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    unit_id: uuid.UUID | None
    due_date: date
    note: str
    done_at: datetime | None
    lage: Literal["ueberfaellig", "heute", "spaeter", "erledigt"]


class WiedervorlageQueue(Schema):
    items: list[WiedervorlageItem]
    truncated: bool


class FristItem(Schema):
    id: uuid.UUID
    label: str
    regel: str | None
    base_date: date
    due_date: date
    done_at: datetime | None
    vorgang_id: uuid.UUID
    vorgang_title: str
    akte_id: uuid.UUID
    aktenzeichen: str
    lage: Literal["ueberfaellig", "heute", "spaeter", "erledigt"]


class FristList(Schema):
    von: date
    bis: date
    items: list[FristItem]
    truncated: bool


def _lage(due_date: date, done_at: datetime | None, today: date) -> str:
    if done_at is not None:
        return "erledigt"
    if due_date < today:
        return "ueberfaellig"
    return "heute" if due_date == today else "spaeter"


def wiedervorlage_item(wv: Wiedervorlage, today: date | None = None) -> WiedervorlageItem:
    return WiedervorlageItem(
        id=wv.id,
        akte_id=wv.akte_id,
        aktenzeichen=wv.akte.aktenzeichen,
        vorgang_id=wv.vorgang_id,
        dokument_id=wv.dokument_id,
        assignee_id=wv.assignee_id,
        unit_id=wv.unit_id,
        due_date=wv.due_date,
        note=wv.note,
        done_at=wv.done_at,
        lage=_lage(wv.due_date, wv.done_at, today or timezone.localdate()),  # type: ignore[arg-type]
    )


def frist_item(frist: Frist, today: date) -> FristItem:
    return FristItem(
        id=frist.id,
        label=frist.label,
        regel=frist.regel.code if frist.regel else None,
        base_date=frist.base_date,
        due_date=frist.due_date,
        done_at=frist.done_at,
        vorgang_id=frist.vorgang_id,
        vorgang_title=frist.vorgang.title,
        akte_id=frist.vorgang.akte_id,
        aktenzeichen=frist.vorgang.akte.aktenzeichen,
        lage=_lage(frist.due_date, frist.done_at, today),  # type: ignore[arg-type]
    )


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_ITEMS:
        raise ApiProblem(
            400,
            "invalid_limit",
            "Ungültige Anzahl",
            f"limit muss zwischen 1 und {MAX_ITEMS} liegen.",
        )
    return limit


@router.get(
    "/wiedervorlagen",
    response=WiedervorlageQueue,
    summary="Offene Wiedervorlagen: meine oder die des Teams, nach Fälligkeit",
    description="`ansicht=meine` (Standard): mir zugewiesene; `ansicht=team`: alle offenen "
    "Wiedervorlagen der Akten, die ich sehe. `faellig` filtert: heute, ueberfaellig, "
    "faellig (heute oder überfällig). Sortiert nach Datum; höchstens `limit` Einträge.",
)
def list_wiedervorlagen(
    request: TenantRequest,
    ansicht: Literal["meine", "team"] = "meine",
    faellig: DueFilter = "alle",
    limit: int = 100,
) -> WiedervorlageQueue:
    access.require(request.access, Perm.RECORDS_VIEW)
    viewer = selectors.Viewer.of(request)
    items = (
        queues.team_wiedervorlagen(viewer)
        if ansicht == "team"
        else queues.my_wiedervorlagen(viewer)
    )
    today = timezone.localdate()
    rows = list(queues.due(items, faellig, today)[: _limit(limit) + 1])
    return WiedervorlageQueue(
        items=[wiedervorlage_item(wv, today) for wv in rows[:limit]],
        truncated=len(rows) > limit,
    )


@router.post(
    "/wiedervorlagen/{wiedervorlage_id}/erledigt",
    response=WiedervorlageItem,
    summary="Wiedervorlage als erledigt markieren",
)
def complete_wiedervorlage(
    request: TenantRequest, wiedervorlage_id: uuid.UUID
) -> WiedervorlageItem:
    access.require(request.access, Perm.RECORDS_EDIT)
    wv = (
        queues.team_wiedervorlagen(selectors.Viewer.of(request)).filter(pk=wiedervorlage_id).first()
    )
    if wv is None or not access.can_edit(request.access, request.user.id, wv.akte):
        raise not_found("Diese Wiedervorlage")
    services.complete_wiedervorlage(actor=request.user, wiedervorlage=wv)
    return wiedervorlage_item(wv)


@router.get(
    "/fristen",
    response=FristList,
    summary="Fristenkalender: offene Fristen der sichtbaren Akten in einem Zeitraum",
    description="Ohne `von`/`bis` der laufende Monat; höchstens 366 Tage auf einmal.",
)
def list_fristen(
    request: TenantRequest,
    von: date | None = None,
    bis: date | None = None,
    limit: int = MAX_ITEMS,
) -> FristList:
    access.require(request.access, Perm.RECORDS_VIEW)
    today = timezone.localdate()
    start = von or today.replace(day=1)
    end = bis or start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if end < start or end - start > timedelta(days=MAX_CALENDAR_DAYS):
        raise ApiProblem(
            422,
            "range_invalid",
            "Ungültiger Zeitraum",
            f"„bis“ muss nach „von“ liegen, höchstens {MAX_CALENDAR_DAYS} Tage später.",
        )
    rows = list(
        queues.open_fristen(selectors.Viewer.of(request), start, end).select_related("regel")[
            : _limit(limit) + 1
        ]
    )
    return FristList(
        von=start,
        bis=end,
        items=[frist_item(f, today) for f in rows[:limit]],
        truncated=len(rows) > limit,
    )


class FristQueue(Schema):
    items: list[FristItem]
    truncated: bool


@router.get(
    "/fristen/faellig",
    response=FristQueue,
    summary="Fristen als Arbeitsvorrat: meine oder die des Teams, überfällige zuerst",
    description="Offene Fristen, die bis heute + `tage` enden (überfällige eingeschlossen). "
    "`ansicht=meine`: Fristen der Vorgänge, für die ich zuständig bin (ohne zuständige "
    "Person: der Akte); `ansicht=team`: alle sichtbaren. `faellig` filtert wie bei den "
    "Wiedervorlagen.",
)
def list_fristen_faellig(
    request: TenantRequest,
    ansicht: Literal["meine", "team"] = "meine",
    faellig: DueFilter = "alle",
    tage: int = queues.FRIST_HORIZON_DAYS,
    limit: int = 100,
) -> FristQueue:
    access.require(request.access, Perm.RECORDS_VIEW)
    if not 0 <= tage <= MAX_CALENDAR_DAYS:
        raise ApiProblem(
            400,
            "invalid_days",
            "Ungültige Tage",
            f"tage muss zwischen 0 und {MAX_CALENDAR_DAYS} liegen.",
        )
    viewer = selectors.Viewer.of(request)
    today = timezone.localdate()
    items = queues.team_fristen(viewer) if ansicht == "team" else queues.my_fristen(viewer)
    items = queues.due(queues.within_horizon(items, today, tage), faellig, today)
    rows = list(items[: _limit(limit) + 1])
    return FristQueue(
        items=[frist_item(f, today) for f in rows[:limit]], truncated=len(rows) > limit
    )


@router.post(
    "/fristen/{frist_id}/erledigt",
    response=FristItem,
    summary="Frist als erledigt markieren (sie verlässt Arbeitsvorrat und Kalender)",
)
def complete_frist(request: TenantRequest, frist_id: uuid.UUID) -> FristItem:
    access.require(request.access, Perm.RECORDS_EDIT)
    frist = queues.team_fristen(selectors.Viewer.of(request)).filter(pk=frist_id).first()
    if frist is None or not access.can_edit(request.access, request.user.id, frist.vorgang.akte):
        raise not_found("Diese Frist")
    services.complete_frist(actor=request.user, frist=frist)
    return frist_item(frist, timezone.localdate())
