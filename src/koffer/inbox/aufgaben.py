"""The Posteingang's part of "Ihre Aufgaben": for the mail room, the batches whose check
found problems or put everything in quarantine; for the mail room and caseworkers, the
scanned documents waiting in their teams' triage. Two queries per kind (the count, the
oldest), none for a user without the permission."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from koffer.accounts.access import Access
from koffer.inbox import access as rules
from koffer.inbox.klaerung import selectors as klaerung
from koffer.inbox.lieferung import selectors
from koffer.shell.tasks_registry import LISTED, StartTask, TaskBatch, TaskCount, url_of
from koffer.tenancy.models import Mandant

KIND = "Scan-Stapel mit Problemen"
KIND_WAITING = "Posteingang zuordnen"


def open_tasks(request: HttpRequest) -> TaskBatch:
    tenant = getattr(request, "tenant", None)
    access = getattr(request, "access", None)
    if tenant is None or access is None:
        return TaskBatch()
    batch = TaskBatch()
    if rules.processes(access, tenant):
        batch = _batches_with_problems(access, tenant)
    if rules.sorts_post(access, tenant):
        waiting = _waiting(access, tenant)
        batch = TaskBatch(batch.tasks + waiting.tasks, batch.counts + waiting.counts)
    return batch


def _batches_with_problems(access: Access, tenant: Mandant) -> TaskBatch:
    qs = selectors.with_problems(access, tenant)
    count = qs.count()
    if not count:
        return TaskBatch()
    rows = qs.order_by("created_at", "pk").values_list("pk", "batch_id", "state", "created_at")
    tasks = [
        StartTask(
            label=f"Scan-Stapel {batch_id}",
            url=url_of("inbox:stapel_detail", pk),
            status="Quarantäne" if state == "quarantaene" else "mit Problemen",
            kind=KIND,
            due=created_at,
            detail="Prüfung gegen den Lieferschein",
        )
        for pk, batch_id, state, created_at in rows[:LISTED]
    ]
    counts = [
        TaskCount(
            KIND,
            count,
            "Scan-Stapel mit Problemen",
            "Scan-Stapel mit Problemen",
            reverse("inbox:stapel_list"),
        )
    ]
    return TaskBatch(tasks, counts)


def _waiting(access: Access, tenant: Mandant) -> TaskBatch:
    qs = klaerung.waiting(access, tenant)
    count = qs.count()
    if not count:
        return TaskBatch()
    rows = qs.values_list("pk", "stapel__batch_id", "created_at", "reason")[:LISTED]
    tasks = [
        StartTask(
            label=f"Eingang aus Stapel {batch_id}",
            url=url_of("inbox:klaerung_dokument", pk),
            status="wartet auf Zuordnung",
            kind=KIND_WAITING,
            due=created_at,
            detail=reason[:120],
        )
        for pk, batch_id, created_at, reason in rows
    ]
    counts = [
        TaskCount(
            KIND_WAITING,
            count,
            "Dokument wartet auf Zuordnung",
            "Dokumente warten auf Zuordnung",
            reverse("inbox:klaerung"),
        )
    ]
    return TaskBatch(tasks, counts)
