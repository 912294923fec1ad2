"""Reads of the sync back: the conflict queue, scoped to what the actor may see
(``field.access.konflikte_q``); reading it is audited (it shows personal data: addresses,
bank details as both sides had them)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.field import access as rules
from koffer.field.errors import NotFound
from koffer.field.models import Abgleich, Geraet, Konflikt, Sicherung
from koffer.records import access as records_access
from koffer.records.models import Akte


def access_von(actor: User, tenant_id: uuid.UUID, access: Access | None = None) -> Access:
    return records_access.of_actor(actor, tenant_id, access)


def konflikte(
    *, actor: User, access: Access, offen: bool = True, akte_id: uuid.UUID | None = None
) -> list[Konflikt]:
    """The conflicts the actor sees (open ones, or all), oldest first; the read is
    audited once per Akte shown."""
    found: QuerySet[Konflikt] = (
        Konflikt.objects.for_tenant(access.tenant_id)
        .filter(rules.konflikte_q(access, actor.pk))
        .select_related("akte", "abgleich__geraet__user", "entschieden_von")
        .order_by("created_at", "pk")
    )
    if offen:
        found = found.filter(status=Konflikt.Status.OFFEN)
    if akte_id is not None:
        found = found.filter(akte_id=akte_id)
    rows = list(found[:500])
    akten = {k.akte.pk: k.akte for k in rows if k.akte is not None}
    for akte in sorted(akten.values(), key=lambda a: str(a.pk)):
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="field.konflikte_gelesen",
            obj=akte,
        )
    return rows


def konflikt(*, actor: User, access: Access, konflikt_id: uuid.UUID) -> Konflikt:
    row = (
        Konflikt.objects.for_tenant(access.tenant_id)
        .filter(rules.konflikte_q(access, actor.pk), pk=konflikt_id)
        .select_related("akte")
        .first()
    )
    if row is None:
        raise NotFound("not_found", "Diesen Konflikt gibt es nicht.")
    return row


def offene_der_akte(akte: Akte) -> int:
    return (
        Konflikt.objects.for_tenant(akte.tenant_id)
        .filter(akte_id=akte.pk, status=Konflikt.Status.OFFEN)
        .count()
    )


# How long the Akte's page says that a change from a Koffer met a deletion in the office.
GELOESCHT_TAGE = 30


def hinweis(access: Access, user_id: uuid.UUID | None, akte: Akte) -> str | None:
    """The Akte page's notice while conflicts from a Koffer wait for a decision, and for
    ``GELOESCHT_TAGE`` days after a change from a Koffer met a row deleted in the office
    (the deletion won; said, not hidden). One query."""
    seit = timezone.now() - timedelta(days=GELOESCHT_TAGE)
    zahlen = (
        Konflikt.objects.for_tenant(akte.tenant_id)
        .filter(akte_id=akte.pk)
        .aggregate(
            offen=Count("pk", filter=Q(status=Konflikt.Status.OFFEN)),
            geloescht=Count("pk", filter=Q(art=Konflikt.Art.GELOESCHT, created_at__gte=seit)),
        )
    )
    teile = []
    n = zahlen["offen"]
    if n == 1:
        teile.append(
            "Ein Konflikt aus dem Koffer wartet auf eine Entscheidung (Koffer: Konflikte)."
        )
    elif n:
        teile.append(
            f"{n} Konflikte aus dem Koffer warten auf eine Entscheidung (Koffer: Konflikte)."
        )
    g = zahlen["geloescht"]
    if g:
        teile.append(
            "Eine Änderung aus dem Koffer betraf einen Eintrag, der im Büro gelöscht wurde:"
            " das Löschen gilt, die Änderung wurde nicht übernommen."
            if g == 1
            else f"{g} Änderungen aus dem Koffer betrafen Einträge, die im Büro gelöscht"
            " wurden: das Löschen gilt, die Änderungen wurden nicht übernommen."
        )
    return " ".join(teile) or None


def koffer_kennung(tenant_id: uuid.UUID) -> str:
    """This Koffer's short name in provisional numbers (``KOFFER-<kennung>-0001``): the end
    of its device id — a Koffer carries exactly its own device row in its package."""
    geraet_id = (
        Geraet.objects.for_tenant(tenant_id).order_by("pk").values_list("pk", flat=True).first()
    )
    return geraet_id.hex[-4:].upper() if geraet_id is not None else ""


def blob_wartet(sha256: str) -> bool:
    """A new row from a Koffer waiting in the queue names the blob (a document's file a
    closed Akte did not take): the blob ledger keeps it, so nothing is lost while a
    person decides, nor after (the row stays in the queue)."""
    return (
        Konflikt.objects.unscoped()
        .filter(art=Konflikt.Art.ABGELEHNT, feld="", koffer_wert__icontains=sha256)
        .exists()
    )


def gesichert(geraet: Geraet) -> uuid.UUID | None:
    """The newest push of this Koffer that the newest confirmed backup holds (None: no
    backup confirmed, or none of its pushes in it). A push counts only when it arrived
    ``KOFFER_SICHERUNG_SPIELRAUM`` seconds before the backup began: its arrival time is
    taken when its transaction starts, and one still running when the backup began is
    not in it. Tells the Koffer which of its kept pushes it may drop."""
    stand = (
        Sicherung.objects.for_tenant(geraet.tenant_id)
        .order_by("-stand")
        .values_list("stand", flat=True)
        .first()
    )
    if stand is None:
        return None
    grenze = stand - timedelta(seconds=int(settings.KOFFER_SICHERUNG_SPIELRAUM))
    found: uuid.UUID | None = (
        Abgleich.objects.for_tenant(geraet.tenant_id)
        .filter(geraet=geraet, empfangen_am__lte=grenze)
        .order_by("-empfangen_am")
        .values_list("abgleich_id", flat=True)
        .first()
    )
    return found
