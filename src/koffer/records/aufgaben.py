"""The E-Akte's part of "Ihre Aufgaben": my Wiedervorlagen that are due, and the Fristen
of my Vorgänge that end within a week or have passed. Two queries (the counts, then the
most urgent items of both kinds in one ``UNION ALL``), none for a user who reads no Akten;
only Akten the user may open (``akten_q`` inside the query)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.db.models import CharField, F, Q, QuerySet, Value
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.records.access import akten_q
from koffer.records.models import Frist, Wiedervorlage
from koffer.shell.tasks_registry import (
    LISTED,
    StartTask,
    Statement,
    TaskBatch,
    TaskCount,
    as_date,
    count_each,
    run,
    statements,
    url_of,
)

FRIST_DAYS = 7
"""A Frist appears on the start page this many days before it ends."""

WV_OVERDUE = "Wiedervorlage überfällig"
WV_TODAY = "Wiedervorlage heute fällig"
FRIST_PASSED = "Frist überschritten"
FRIST_ENDING = "Frist läuft ab"

_PLURALS = {
    WV_OVERDUE: "Wiedervorlagen überfällig",
    WV_TODAY: "Wiedervorlagen heute fällig",
    FRIST_PASSED: "Fristen überschritten",
    FRIST_ENDING: f"Fristen enden in den nächsten {FRIST_DAYS} Tagen",
}
_SINGULARS = {
    WV_OVERDUE: WV_OVERDUE,
    WV_TODAY: WV_TODAY,
    FRIST_PASSED: FRIST_PASSED,
    FRIST_ENDING: f"Frist endet in den nächsten {FRIST_DAYS} Tagen",
}


def _wiedervorlagen(access: Access, user_id: uuid.UUID, today: date) -> QuerySet[Wiedervorlage]:
    """Open Wiedervorlagen assigned to the user, due today or earlier."""
    assert access.tenant_id is not None
    return Wiedervorlage.objects.for_tenant(access.tenant_id).filter(
        akten_q(access, user_id, prefix="akte__"),
        assignee_id=user_id,
        done_at__isnull=True,
        due_date__lte=today,
    )


def _fristen(access: Access, user_id: uuid.UUID, today: date) -> QuerySet[Frist]:
    """Open Fristen of the Vorgänge the user is responsible for (or, where a Vorgang names
    nobody, of the user's Akten) ending within FRIST_DAYS or already passed: the rule of
    the "Meine Arbeit" queue."""
    assert access.tenant_id is not None
    mine = Q(vorgang__caseworker_id=user_id) | Q(
        vorgang__caseworker__isnull=True, vorgang__akte__caseworker_id=user_id
    )
    return Frist.objects.for_tenant(access.tenant_id).filter(
        mine,
        akten_q(access, user_id, prefix="vorgang__akte__"),
        done_at__isnull=True,
        due_date__lte=today + timedelta(days=FRIST_DAYS),
    )


def _rows(qs: QuerySet[Any], kind: str, akte: str, text: str) -> QuerySet[Any]:
    # Every part of the UNION names the same columns in the same order.
    return (
        qs.order_by()
        .annotate(
            k=Value(kind, output_field=CharField()),
            i=F("pk"),
            d=F("due_date"),
            a=F(f"{akte}id"),
            az=F(f"{akte}aktenzeichen"),
            t=F(text),
        )
        .values_list("k", "i", "d", "a", "az", "t")
    )


def _status(due: date, today: date) -> str:
    days = (due - today).days
    if days < 0:
        return f"seit {due:%d.%m.%Y}" if days < -1 else "seit gestern"
    if days == 0:
        return "heute"
    if days == 1:
        return "morgen"
    return f"bis {due:%d.%m.%Y}"


def open_tasks(request: HttpRequest) -> TaskBatch:
    access: Access | None = getattr(request, "access", None)
    user = getattr(request, "user", None)
    if access is None or access.tenant_id is None or user is None or not user.is_authenticated:
        return TaskBatch()
    if not access.can(Perm.RECORDS_VIEW):
        return TaskBatch()
    today = timezone.localdate()
    # Everything akten_q and the filters are built from: same key, same SQL and parameters.
    paths = tuple(access.unit_paths_with(Perm.RECORDS_VIEW))
    key = (__name__, access.tenant_id, paths, user.pk, today)
    count, listing = statements(key, lambda: _statements(access, user.pk, today))
    counts = dict(zip(KINDS, run(count)[0], strict=True))
    if not any(counts.values()):
        return TaskBatch()
    tasks = [_task(row, today) for row in run(listing)]
    queue = reverse("records:wiedervorlagen")
    lists = {
        WV_OVERDUE: f"{queue}?art=wiedervorlagen",
        WV_TODAY: f"{queue}?art=wiedervorlagen",
        FRIST_PASSED: f"{queue}?art=fristen",
        FRIST_ENDING: f"{queue}?art=fristen",
    }
    return TaskBatch(
        tasks,
        [
            TaskCount(kind, n, _SINGULARS[kind], _PLURALS[kind], lists[kind])
            for kind, n in counts.items()
        ],
    )


KINDS = (WV_OVERDUE, WV_TODAY, FRIST_PASSED, FRIST_ENDING)


def _statements(access: Access, user_id: uuid.UUID, today: date) -> tuple[Statement, QuerySet[Any]]:
    wv = _wiedervorlagen(access, user_id, today)
    fristen = _fristen(access, user_id, today)
    count = count_each(
        [
            wv.filter(due_date__lt=today),
            wv.filter(due_date=today),
            fristen.filter(due_date__lt=today),
            fristen.filter(due_date__gte=today),
        ]
    )
    listing = (
        _rows(wv, "wv", "akte__", "note")
        .union(_rows(fristen, "frist", "vorgang__akte__", "label"), all=True)
        .order_by("d", "k", "i")[:LISTED]
    )
    return count, listing


def _task(row: tuple[Any, ...], today: date) -> StartTask:
    code, _pk, day, akte_id, aktenzeichen, text = row
    due = as_date(day)
    assert due is not None
    if code == "wv":
        kind = WV_OVERDUE if due < today else WV_TODAY
        label = f"Wiedervorlage: {text}" if text else "Wiedervorlage"
    else:
        kind = FRIST_PASSED if due < today else FRIST_ENDING
        label = f"Frist: {text}"
    return StartTask(
        label=label,
        url=url_of("records:akte_detail", akte_id),
        status=_status(due, today),
        kind=kind,
        due=due,
        detail=f"Akte {aktenzeichen}",
    )
