"""Every read of triage (die Zuordnung), already limited to what the actor may see
(``inbox.access.klaerung_q``): the documents waiting in its units, oldest first, one
document with its batch, the next one to look at, and Akten to file into."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.inbox import access as rules
from koffer.inbox.models import Eingangsdokument
from koffer.records.models import AccessLevel, Akte, Vorgang
from koffer.records.selectors import Viewer
from koffer.records.suche import services as search
from koffer.tenancy.models import Mandant, Organisationseinheit

State = Eingangsdokument.State


def waiting(access: Access, tenant: Mandant) -> QuerySet[Eingangsdokument]:
    """Documents waiting for a person in the actor's units, oldest first."""
    return (
        Eingangsdokument.objects.for_tenant(tenant)
        .filter(rules.klaerung_q(access), state=State.ZU_PRUEFEN)
        .select_related("stapel", "datei", "unit", "claimed_by")
        .order_by("created_at", "pk")
    )


def dokument(access: Access, tenant: Mandant, pk: uuid.UUID) -> Eingangsdokument | None:
    """One document of the actor's units in any state (to show who filed it), or None."""
    return (
        Eingangsdokument.objects.for_tenant(tenant)
        .filter(rules.klaerung_q(access), pk=pk)
        .select_related("stapel", "datei", "unit", "akte", "vorgang", "filed_by", "claimed_by")
        .first()
    )


def next_waiting(
    access: Access, tenant: Mandant, user_id: object, *, after: Eingangsdokument | None = None
) -> Eingangsdokument | None:
    """The oldest waiting document nobody else has open (a claim older than
    ``CLAIM_MINUTES`` has lapsed), after ``after`` in the queue's order."""
    qs = waiting(access, tenant).filter(rework_job_id__isnull=True)
    qs = qs.filter(
        Q(claimed_by__isnull=True)
        | Q(claimed_by_id=user_id)
        | Q(claimed_at__lt=timezone.now() - timedelta(minutes=CLAIM_MINUTES))
    )
    if after is not None:
        qs = qs.filter(
            Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, pk__gt=after.pk)
        )
    return qs.first()


CLAIM_MINUTES = 10


@dataclass(frozen=True)
class Alter:
    label: str
    count: int


def by_age(access: Access, tenant: Mandant, today: date | None = None) -> list[Alter]:
    """How long the waiting documents have waited: today, 1-2 days, 3-7 days, older."""
    today = today or timezone.localdate()
    start = datetime.combine(today, time.min, tzinfo=timezone.get_current_timezone())
    bounds = [
        ("heute", start, None),
        ("seit 1–2 Tagen", start - timedelta(days=2), start),
        ("seit 3–7 Tagen", start - timedelta(days=7), start - timedelta(days=2)),
        ("seit mehr als 7 Tagen", None, start - timedelta(days=7)),
    ]
    qs = waiting(access, tenant)
    found = []
    for label, lower, upper in bounds:
        part = qs
        if lower is not None:
            part = part.filter(created_at__gte=lower)
        if upper is not None:
            part = part.filter(created_at__lt=upper)
        found.append(Alter(label, part.count()))
    return found


def teams(tenant: Mandant) -> list[Organisationseinheit]:
    """The units a document can be handed to."""
    return list(Organisationseinheit.objects.for_tenant(tenant).order_by("path"))


def find_akten(access: Access, tenant: Mandant, query: str) -> list[search.AkteHit]:
    """Open Akten to file into, found as the header search finds them (Aktenzeichen,
    BG-Nummer, a person's name in the search spelling: "Yilmaz" finds "Yılmaz"), among
    all open Akten of the Mandant that are not restricted: the mail room files into Akten
    it may not read, and sees of them only what it needs to choose (Aktenzeichen, title,
    name and birth date). A restricted Akte is handed to its team instead."""
    among = Q(status=Akte.Status.OPEN) & ~Q(access_level=AccessLevel.RESTRICTED)
    return search.find_akten(Viewer(access=access, user_id=None), query, among=among)


def akte(tenant: Mandant, pk: uuid.UUID) -> Akte | None:
    return (
        Akte.objects.for_tenant(tenant)
        .filter(pk=pk)
        .select_related("aktenplaneinheit", "unit")
        .first()
    )


def vorgaenge(akte: Akte) -> list[Vorgang]:
    return list(
        Vorgang.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte, status=Vorgang.Status.OPEN)
        .order_by("-opened_at")
    )


NEIGHBOURS = 3  # documents offered for a merge on each side (a file may hold hundreds)


def merge_candidates(
    access: Access, tenant: Mandant, doc: Eingangsdokument
) -> list[Eingangsdokument]:
    """The documents of ``doc``'s file waiting next to it in the actor's units, a few on
    each side in the file's order: what ``doc`` can be merged with."""
    near = (
        Eingangsdokument.objects.for_tenant(tenant)
        .filter(rules.klaerung_q(access), datei_id=doc.datei_id, state=State.ZU_PRUEFEN)
        .exclude(pk=doc.pk)
        .only("pk", "pages", "first_page", "datei_id")
    )
    before = near.filter(first_page__lt=doc.first_page).order_by("-first_page")[:NEIGHBOURS]
    after = near.filter(first_page__gt=doc.first_page).order_by("first_page")[:NEIGHBOURS]
    return [*reversed(list(before)), *after]
