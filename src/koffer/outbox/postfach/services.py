"""Writes of the mailbox channel: a released letter made available, the e-mail notice
recorded, the first retrieval as receipt, and the letter sent on paper when it was not
retrieved.

§ 37 Abs. 2a SGB X: with the citizen's consent an electronic administrative act is
notified by its retrieval (after authentication) and counts as known on the day after
the retrieval (Satz 3); not retrieved within ten days after the notice of its
availability was sent, the provision ends and nothing was notified (Satz 4, 5) — the
office then sends it another way. The ten days are a time filter (:func:`abruf_bis`),
no job ends them; the mail room sees such letters as „nicht abgerufen — auf Papier
senden“ and sends them on the hybrid channel with one click (:func:`auf_papier`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.outbox import access as rules
from koffer.outbox import zustellung
from koffer.outbox.errors import Conflict, Forbidden, Invalid, NotFound
from koffer.outbox.models import Brief, BriefEreignis
from koffer.outbox.postfach import kanal
from koffer.records.models import Person

Status = Brief.Status
ABRUF_TAGE = 10  # § 37 Abs. 2a Satz 4 SGB X

NICHT_ERREICHBAR = (
    "Dieser Brief kann nicht ins Bürgerpostfach gehen: die Empfängerin oder der Empfänger "
    "hat kein Konto in den Online-Diensten, das der elektronischen Zustellung zugestimmt "
    "hat, oder der Mandant lässt sie nicht zu."
)


def pruefen(person: Person | None) -> None:
    """Refuse the mailbox channel for a recipient who cannot receive there."""
    if not kanal.erreichbar(person):
        raise Invalid("postfach_nicht_erreichbar", NICHT_ERREICHBAR, field="kanal")


def bereitstellen(brief: Brief, *, actor: User) -> None:
    """Inside the release (the letter locked and filed; the caller saves it): made
    available in the mailbox at once, no print batch; the notice is scheduled by the
    portal."""
    pruefen(brief.empfaenger)
    now = timezone.now()
    brief.status = Status.BEREITGESTELLT
    brief.bereitgestellt_am = now
    BriefEreignis.objects.create(
        tenant_id=brief.tenant_id,
        brief=brief,
        key=Status.BEREITGESTELLT,
        status=Status.BEREITGESTELLT,
        at=now,
        recorded_at=now,
        actor=actor,
        detail="im Bürgerpostfach bereitgestellt",
    )
    kanal.bereitgestellt(brief)


def abruf_bis(brief: Brief) -> date | None:
    """The last day the letter may be retrieved: ten days after the notice was sent (or,
    while none was sent, after it was made available)."""
    start = brief.benachrichtigt_am or brief.bereitgestellt_am
    if start is None:
        return None
    return timezone.localdate(start) + timedelta(days=ABRUF_TAGE)


def abrufbar(brief: Brief, heute: date | None = None) -> bool:
    """Whether opening it now is a retrieval: made available, not yet retrieved, the
    provision neither ended by the office nor by the ten days."""
    ende = abruf_bis(brief)
    return (
        brief.status == Status.BEREITGESTELLT
        and brief.bereitstellung_beendet_am is None
        and ende is not None
        and (heute or timezone.localdate()) <= ende
    )


def nicht_abgerufen_q(heute: date | None = None) -> Q:
    """Letters in the mailbox whose ten days are over without a retrieval: to be sent
    on paper (a time filter; the notice's day, or the provision's while none was sent)."""
    heute = heute or timezone.localdate()
    grenze = timezone.make_aware(datetime.combine(heute - timedelta(days=ABRUF_TAGE), time.min))
    return Q(
        kanal=Brief.Kanal.PORTAL,
        status=Status.BEREITGESTELLT,
        abgerufen_am__isnull=True,
        bereitstellung_beendet_am__isnull=True,
        postfach_start__lt=grenze,
    )


def mit_start(qs: Any) -> Any:
    """``qs`` with ``postfach_start`` for :func:`nicht_abgerufen_q`."""
    return qs.annotate(postfach_start=Coalesce("benachrichtigt_am", "bereitgestellt_am"))


def zur_benachrichtigung(tenant_id: Any, brief_id: Any) -> Brief | None:
    """In the caller's transaction: the letter locked, if its notice is still to be
    sent (made available, not notified, not ended); else None."""
    return (
        Brief.objects.for_tenant(tenant_id)
        .select_for_update(of=("self",))
        .select_related("akte__tenant", "empfaenger")
        .filter(
            pk=brief_id,
            kanal=Brief.Kanal.PORTAL,
            benachrichtigt_am__isnull=True,
            bereitstellung_beendet_am__isnull=True,
            status=Status.BEREITGESTELLT,
        )
        .first()
    )


def benachrichtigt(*, brief: Brief, anzahl: int) -> None:
    """The notice went out (in :func:`zur_benachrichtigung`'s transaction): the ten days
    run from now. ``anzahl``: how many addresses (the audit names no address)."""
    now = timezone.now()
    brief.benachrichtigt_am = now
    brief.save(update_fields=["benachrichtigt_am"])
    audit.record(
        actor=None,
        tenant_id=brief.tenant_id,
        action="outbox.brief.benachrichtigt",
        obj=brief,
        subject=brief.empfaenger,
        changes={"empfaenger": anzahl},
    )


def oeffnen(*, actor: Actor, brief: Brief, von: str) -> Brief:
    """The citizen (or a representative: the caller checked who may) opens the letter.
    The first retrieval within the ten days is the receipt: ``abgerufen_am`` and by whom,
    the Bekanntgabe the day after (the Mandant's rule ``bekanntgabe_abruf``) and a
    Bescheid's objection deadline through ``outbox.zustellung``. Later opens change
    nothing. A letter whose provision ended is not opened (409)."""
    regel = zustellung.bekanntgabe_regel(brief.akte.tenant, None, code=zustellung.BEKANNTGABE_ABRUF)
    with transaction.atomic():
        brief = (
            Brief.objects.for_tenant(brief.tenant_id)
            .select_for_update(of=("self",))
            .select_related("akte", "vorgang", "version__vorlage", "empfaenger", "dokument")
            .get(pk=brief.pk)
        )
        if brief.abgerufen_am is not None:
            return brief
        if not abrufbar(brief):
            raise Conflict(
                "bereitstellung_beendet",
                "Dieser Brief steht nicht mehr im Postfach bereit. "
                "Sie erhalten ihn auf anderem Weg, in der Regel per Post.",
            )
        now = timezone.now()
        brief.abgerufen_am = now
        brief.abgerufen_von = von[:200]
        brief.status = Status.ABGERUFEN
        brief.updated_at = now
        changes = zustellung.abgerufen(actor, brief, timezone.localdate(now), regel)
        brief.save()
        BriefEreignis.objects.create(
            tenant_id=brief.tenant_id,
            brief=brief,
            key=Status.ABGERUFEN,
            status=Status.ABGERUFEN,
            at=now,
            recorded_at=now,
            detail=f"im Bürgerpostfach abgerufen von {brief.abgerufen_von}"[:500],
        )
        audit.record(
            actor=actor,
            tenant_id=brief.tenant_id,
            action="outbox.brief.abgerufen",
            obj=brief,
            subject=brief.empfaenger,
            changes={**changes, "von": brief.abgerufen_von},
        )
    return brief


def auf_papier(*, actor: User, access: Access, brief: Brief) -> Brief:
    """End the provision of a letter not retrieved and send it on paper: the same filed
    letter on the hybrid channel, into the next batch (§ 37 Abs. 2a Satz 5 SGB X: the
    Bekanntgabe another way)."""
    with transaction.atomic():
        brief = (
            Brief.objects.for_tenant(brief.tenant_id)
            .select_for_update(of=("self",))
            .select_related("akte", "empfaenger")
            .filter(pk=brief.pk)
            .first()
        )
        if brief is None:
            raise NotFound("brief_unknown", "Diesen Brief gibt es nicht.")
        if not rules.can_write_in(access, actor.pk, brief.akte):
            raise Forbidden("outbox_forbidden", "Sie dürfen in dieser Akte keine Briefe senden.")
        if brief.kanal != Brief.Kanal.PORTAL or brief.status != Status.BEREITGESTELLT:
            raise Conflict(
                "brief_nicht_im_postfach",
                f"Der Brief ist {brief.get_status_display()}; er geht nicht mehr auf Papier.",
            )
        now = timezone.now()
        brief.kanal = Brief.Kanal.HYBRID
        brief.status = Status.FREIGEGEBEN
        brief.bereitstellung_beendet_am = now
        brief.updated_at = now
        brief.save()
        BriefEreignis.objects.create(
            tenant_id=brief.tenant_id,
            brief=brief,
            key="auf_papier",
            status=Status.FREIGEGEBEN,
            at=now,
            recorded_at=now,
            actor=actor,
            detail="nicht abgerufen: Bereitstellung beendet, geht per Hybridpost",
        )
        audit.record(
            actor=actor,
            tenant_id=brief.tenant_id,
            action="outbox.brief.auf_papier",
            obj=brief,
            subject=brief.empfaenger,
            changes={"kanal": Brief.Kanal.HYBRID},
        )
    return brief
