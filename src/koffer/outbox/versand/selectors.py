"""Every read of the dispatch, scoped to who asks: a provider sees its own batches, the
mail room every batch of the Mandant and the letters of its units, a caseworker the
letters of the Akten it may read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.outbox import access as outbox_access
from koffer.outbox.models import (
    Ablagefehler,
    Brief,
    BriefEreignis,
    Druckdienst,
    Stapelbrief,
    Versandstapel,
    Zustellung,
)
from koffer.outbox.postfach import services as postfach
from koffer.outbox.versand import porto, services
from koffer.records import access as records_access
from koffer.tenancy.models import Mandant

MAX_ALARMS = 200
WAITING = (Versandstapel.Status.BEREIT, Versandstapel.Status.ABGEHOLT)


def waiting_batches(dienst: Druckdienst) -> QuerySet[Versandstapel]:
    """The provider's batches it has not confirmed yet, oldest first."""
    return (
        Versandstapel.objects.for_tenant(dienst.tenant_id)
        .filter(druckdienst=dienst, status__in=WAITING)
        .order_by("created_at", "pk")
    )


def batches(tenant: Mandant) -> QuerySet[Versandstapel]:
    return (
        Versandstapel.objects.for_tenant(tenant)
        .select_related("druckdienst", "vorgaenger")
        .order_by("-created_at", "-pk")
    )


def batch_letters(stapel: Versandstapel) -> QuerySet[Stapelbrief]:
    return (
        Stapelbrief.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .select_related("brief__akte")
        .order_by("position")
    )


def drop_folder_failures(tenant: Mandant) -> QuerySet[Ablagefehler]:
    """Files of the providers' drop folders waiting in ``fehler/``, newest first."""
    return (
        Ablagefehler.objects.for_tenant(tenant)
        .filter(erledigt_at__isnull=True)
        .select_related("druckdienst")
        .order_by("-created_at", "-pk")[:MAX_ALARMS]
    )


def providers(tenant: Mandant) -> QuerySet[Druckdienst]:
    return Druckdienst.objects.for_tenant(tenant).select_related("konto").order_by("rang")


@dataclass(frozen=True)
class Alarm:
    brief: Brief
    seit: datetime
    stunden: int
    grund: str


def alarms(access: Access, tenant: Mandant, now: datetime | None = None) -> list[Alarm]:
    """Letters of the user's units longer in a status than the Mandant allows, oldest
    first, and released hybrid letters too heavy for a letter (they are never batched)."""
    now = now or timezone.now()
    limits = {s: int(h) for s, h in services.regeln(tenant.pk).alarm_stunden.items()}
    hybrid = Q(kanal=Brief.Kanal.HYBRID)
    stuck = hybrid & Q(status=Brief.Status.FREIGEGEBEN, seiten__gt=porto.MAX_SEITEN_SIMPLEX)
    for status, hours in limits.items():
        stuck |= hybrid & Q(status=status, updated_at__lte=now - timedelta(hours=hours))
    rows = (
        Brief.objects.for_tenant(tenant)
        .filter(outbox_access.dispatch_letters_q(access))
        .filter(stuck)
        .select_related("akte")
        .order_by("updated_at", "pk")[:MAX_ALARMS]
    )
    found = []
    for b in rows:
        hours = limits.get(b.status, 0)
        if (
            b.status == Brief.Status.FREIGEGEBEN
            and porto.klasse(b.seiten, duplex=b.duplex).klasse is None
        ):
            found.append(Alarm(b, b.updated_at, 0, "zu schwer für einen Brief (über 1000 g)"))
        elif hours and b.updated_at <= now - timedelta(hours=hours):
            label = b.get_status_display()
            found.append(Alarm(b, b.updated_at, hours, f"seit über {hours} Stunden „{label}“"))
    return found


def nicht_abgerufen(access: Access, tenant: Mandant) -> list[Brief]:
    """Letters of the user's units in the citizen's mailbox whose ten days passed
    without a retrieval (§ 37 Abs. 2a SGB X): to be sent on paper, oldest first."""
    return list(
        postfach.mit_start(
            Brief.objects.for_tenant(tenant).filter(outbox_access.dispatch_letters_q(access))
        )
        .filter(postfach.nicht_abgerufen_q())
        .select_related("akte")
        .order_by("postfach_start", "pk")[:MAX_ALARMS]
    )


def overdue_batches(tenant: Mandant, now: datetime | None = None) -> list[Versandstapel]:
    """Batches their provider did not confirm in time, with no provider left to take over."""
    return services.faellig_zur_uebernahme(tenant.pk, now or timezone.now())


def letter(
    access: Access, user_id: uuid.UUID | None, tenant: Mandant, brief_id: uuid.UUID
) -> Brief | None:
    """A letter whose timeline the user may see; None for unknown and forbidden alike."""
    brief = (
        Brief.objects.for_tenant(tenant)
        .select_related("akte", "vorgang", "version__vorlage")
        .filter(pk=brief_id)
        .first()
    )
    if brief is None or not outbox_access.sees_letter_status(access, user_id, brief.akte):
        return None
    return brief


def timeline(brief: Brief) -> QuerySet[BriefEreignis]:
    return (
        BriefEreignis.objects.for_tenant(brief.tenant_id)
        .filter(brief=brief)
        .select_related("actor")
        .order_by("at", "recorded_at")
    )


@dataclass(frozen=True)
class Ruecklaeufer:
    """The letter came back and its scan was found in the Posteingang."""

    am: date
    grund: str
    dokument_id: uuid.UUID | None  # the scan; None when the viewer may not read it


def ruecklaeufer(access: Access, user_id: uuid.UUID | None, brief: Brief) -> list[Ruecklaeufer]:
    """Returned mail of this letter scanned in the Posteingang, oldest first; the scan
    is linked only for a viewer who may read the Akte it lies in."""
    rows = (
        BriefEreignis.objects.for_tenant(brief.tenant_id)
        .filter(brief=brief, dokument__isnull=False)
        .select_related("dokument__akte")
        .order_by("at", "recorded_at")
    )
    return [
        Ruecklaeufer(
            timezone.localtime(e.at).date(),
            e.detail,
            e.dokument_id
            if e.dokument is not None and records_access.can_view(access, user_id, e.dokument.akte)
            else None,
        )
        for e in rows
    ]


def zustellung(brief: Brief) -> Zustellung | None:
    return (
        Zustellung.objects.for_tenant(brief.tenant_id)
        .filter(brief=brief)
        .select_related("widerspruchsfrist", "wiedervorlage")
        .first()
    )


def current_batch(brief: Brief) -> Stapelbrief | None:
    return (
        Stapelbrief.objects.for_tenant(brief.tenant_id)
        .filter(brief=brief, aktiv=True)
        .select_related("stapel__druckdienst")
        .first()
    )


def letters_in_reach(access: Access, tenant: Mandant) -> QuerySet[Brief]:
    """Letters of Akten in units where the user watches dispatch."""
    return Brief.objects.for_tenant(tenant).filter(outbox_access.dispatch_letters_q(access))
