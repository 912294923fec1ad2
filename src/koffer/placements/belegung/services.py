"""Writes of holds and occupancy: Reservierung (hold, confirm, decline, withdraw), the end
of a Belegung, its Abwesenheiten. Like every write of the Platzbörse: keyword-only arguments with the acting user first, one
transaction, audit events in the chains of every Mandant the change concerns (the
provider's first, then the youth office's, always in that order).

Giving and taking places runs inside :func:`koffer.placements.locking.critical`, so a
place is never given twice: availability is computed from the rows (offered minus open
holds minus Belegungen), an open hold counts only until ``expires_at``, and expired holds
are closed inside the lock before a new one is written.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.audit.services import Actor
from koffer.placements import events, rows
from koffer.placements.abrechnung.abgerechnet import AbgerechneterMonat, abgerechnete_monate
from koffer.placements.errors import Conflict, NotFound, PlacementsError
from koffer.placements.locking import critical, critical_for_gesuch
from koffer.placements.models import (
    Abwesenheit,
    Angebot,
    Belegung,
    Platz,
    Platzgesuch,
    Reservierung,
)
from koffer.placements.search import free_places_q
from koffer.tenancy.models import Mandant

# Where a reason is kept: Reservierung.reason, Abwesenheit.grund (the forms and API schemas
# cap at the same lengths).
HOLD_REASON_MAX_LENGTH = 300
ABWESENHEIT_GRUND_MAX_LENGTH = 200


def _close_expired(angebot: Angebot, now: datetime) -> set[uuid.UUID]:
    """Close the holds of the Angebot whose time ran out (they stopped counting at
    ``expires_at`` already; this is the write that records it), with one audit event per
    Mandant concerned for the whole batch, naming every hold; returns the Gesuche of the
    holds still open. Runs inside the locked section, so its cost must not grow with the
    backlog: one SELECT of the Angebot's open holds (the Gesuche they hold are what
    :func:`reserve` checks next), an UPDATE and at most one event per chain (the
    provider's and each youth office's) only when some ran out, never one per hold."""
    holds = list(
        Reservierung.objects.for_tenant(angebot.tenant_id)  # the provider's holds
        .filter(platz__angebot_id=angebot.pk, status=Reservierung.Status.OFFEN)
        .values_list("pk", "tenant_id", "jugendamt_id", "gesuch_id", "expires_at")
    )
    expired = [(pk, p, j) for pk, p, j, _, expires_at in holds if expires_at <= now]
    still_open = {gesuch_id for _, _, _, gesuch_id, expires_at in holds if expires_at > now}
    if not expired:
        return still_open
    Reservierung.objects.for_tenant(angebot.tenant_id).filter(
        pk__in=[pk for pk, _, _ in expired]
    ).update(status=Reservierung.Status.ABGELAUFEN, decided_at=now)
    chains: dict[uuid.UUID, list[str]] = {}
    for pk, provider_id, jugendamt_id in expired:
        chains.setdefault(provider_id, []).append(str(pk))
        if jugendamt_id != provider_id:
            chains.setdefault(jugendamt_id, []).append(str(pk))
    for tenant_id, ids in chains.items():
        audit.record(
            actor=None,
            tenant_id=tenant_id,
            action="placements.reservierung.expire",
            obj=("placements.angebot", angebot.pk),
            changes={"status": {"old": "offen", "new": "abgelaufen"}, "reservierungen": ids},
            reason="Reservierungsfrist abgelaufen",
        )
    return still_open


def free_places(angebot: Angebot, now: datetime) -> Any:
    """Free places of one Angebot (see :func:`koffer.placements.search.free_places_q`)."""
    return Platz.objects.for_tenant(angebot.tenant_id).filter(
        free_places_q(now), angebot_id=angebot.pk
    )


def reserve(
    *,
    actor: Actor,
    gesuch: Platzgesuch,
    angebot: Angebot | None = None,
    platz: Platz | None = None,
    now: datetime | None = None,
) -> Reservierung:
    """Hold one free place of ``angebot`` (or the named ``platz``) for ``gesuch`` until the
    provider answers, at most ``reservation_hours`` of the Fachbereich. Raises
    :class:`Conflict` "vergeben" when no place is free, :class:`Busy` when the lock is busy."""
    now = now or timezone.now()
    if platz is not None:
        angebot = platz.angebot
    if angebot is None:
        raise NotFound("not_found", "Dieses Angebot gibt es nicht.")
    if not angebot.is_active or not angebot.einrichtung.is_active:
        raise Conflict("inactive", "Dieses Angebot ist nicht mehr aktiv.")
    if angebot.betreuungsform.fachbereich_id != gesuch.fachbereich_id:
        raise PlacementsError("field_mismatch", "Das Angebot gehört zu einem anderen Fachbereich.")
    hours = gesuch.fachbereich.reservation_hours
    angebot_id = angebot.pk
    # Most attempts on a full Angebot end here, with a plain read and without queueing
    # for the write lock; whoever finds a free place re-checks inside the lock.
    quick = free_places(angebot, now)
    if platz is not None:
        quick = quick.filter(pk=platz.pk)
    if not quick.exists():
        raise Conflict("vergeben", "Der Platz ist leider vergeben.")

    def work(fresh: Platzgesuch) -> Reservierung:
        if fresh.status != Platzgesuch.Status.OFFEN:
            raise Conflict(
                "gesuch_closed",
                "Für dieses Gesuch wurde schon ein Platz vermittelt oder es wurde zurückgezogen.",
            )
        if fresh.pk in _close_expired(angebot, now):
            raise Conflict(
                "already_requested",
                "Für dieses Gesuch liegt bei diesem Angebot schon eine Anfrage vor.",
            )
        candidates = free_places(angebot, now)
        if platz is not None:
            candidates = candidates.filter(pk=platz.pk)
        chosen = candidates.order_by("frei_ab", "label", "pk").first()
        if chosen is None:
            raise Conflict("vergeben", "Der Platz ist leider vergeben.")
        try:
            # No savepoint of its own: a refused row ends the whole section (the Conflict
            # leaves critical()'s transaction, which rolls back).
            hold = Reservierung.objects.create(
                tenant_id=chosen.tenant_id,
                platz=chosen,
                gesuch=fresh,
                jugendamt_id=fresh.tenant_id,
                expires_at=now + timedelta(hours=hours),
                created_by=actor,
            )
        except IntegrityError as exc:  # the database's own guard (one open hold per place)
            raise Conflict("vergeben", "Der Platz ist leider vergeben.") from exc
        events.record(
            actor,
            [chosen.tenant_id, fresh.tenant_id],
            "placements.reservierung.create",
            hold,
            {
                "platz": {"old": None, "new": chosen.label},
                "gesuch": {"old": None, "new": fresh.pseudonym},
            },
        )
        events.offer_changed(angebot)
        return hold

    # The Gesuch is locked too (and read by its lock): a confirm elsewhere (which locks it)
    # either finishes first, and this sees the child placed, or waits for this hold and
    # withdraws it.
    return critical_for_gesuch(
        work, angebote=[(angebot.tenant_id, angebot_id)], gesuch=(gesuch.tenant_id, gesuch.pk)
    )


def _load_hold(reservierung_id: uuid.UUID, tenant_id: uuid.UUID) -> Reservierung:
    try:
        hold = (
            Reservierung.objects.for_party(tenant_id)
            .select_related("platz")
            .get(pk=reservierung_id)
        )
    except Reservierung.DoesNotExist as exc:
        raise NotFound("not_found", "Diese Anfrage gibt es nicht.") from exc
    # The Gesuch is the youth office's row, the hold the provider's: read by its Mandant
    # instead of joined (on Citus a join across two Mandanten' shards is refused).
    hold.gesuch = Platzgesuch.objects.for_tenant(hold.jugendamt_id).get(pk=hold.gesuch_id)
    return hold


def _check_open(hold: Reservierung, now: datetime) -> None:
    if hold.status == Reservierung.Status.OFFEN and hold.expires_at <= now:
        raise Conflict("expired", "Die Reservierung ist abgelaufen.")
    if hold.status != Reservierung.Status.OFFEN:
        raise Conflict(
            "already_decided",
            f"Über diese Anfrage wurde bereits entschieden ({hold.get_status_display()}).",
        )


def release_holds(
    actor: Actor, gesuch: Platzgesuch, status: str, reason: str, keep: uuid.UUID | None = None
) -> int:
    now = timezone.now()
    holds = list(
        Reservierung.objects.for_party(gesuch.tenant_id)
        .filter(gesuch=gesuch, status=Reservierung.Status.OFFEN)
        .exclude(pk=keep)
        .select_related("platz__angebot")
    )
    for hold in holds:
        hold.status = status
        hold.decided_at = now
        hold.decided_by = actor
        hold.reason = reason
        hold.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        events.record(
            actor,
            [hold.tenant_id, hold.jugendamt_id],
            "placements.reservierung.withdraw",
            hold,
            reason=reason,
        )
        events.offer_changed(hold.platz.angebot)
    return len(holds)


def confirm(
    *,
    actor: User,
    tenant: Mandant,
    reservierung_id: uuid.UUID,
    beginn: date,
    now: datetime | None = None,
) -> Belegung:
    """The provider agrees: the hold becomes a Belegung from ``beginn``, the place leaves
    the exchange, and every other open request for the same person is withdrawn."""
    now = now or timezone.now()
    hold = _load_hold(reservierung_id, tenant.pk)
    if hold.tenant_id != tenant.pk:
        raise NotFound("not_found", "Diese Anfrage gibt es nicht.")
    others = list(
        Reservierung.objects.unscoped()  # the other providers' holds for the same person
        .filter(gesuch_id=hold.gesuch_id, status=Reservierung.Status.OFFEN)
        .values_list("tenant_id", "platz__angebot_id")
    )

    def work() -> Belegung:
        fresh = _load_hold(reservierung_id, tenant.pk)
        _check_open(fresh, now)
        gesuch = fresh.gesuch
        if beginn < gesuch.ab_datum - timedelta(days=30) or beginn > now.date() + timedelta(
            days=365
        ):
            raise PlacementsError(
                "beginn", "Der Beginn liegt zu weit vom gewünschten Datum entfernt."
            )
        overlapping = Belegung.objects.for_party(gesuch.tenant_id).filter(
            Q(ende__isnull=True) | Q(ende__gte=beginn), gesuch=gesuch
        )
        if overlapping.exists():
            raise Conflict(
                "kind_placed", "Für diese Person besteht schon eine Belegung in diesem Zeitraum."
            )
        place_busy = Belegung.objects.for_tenant(fresh.tenant_id).filter(
            Q(ende__isnull=True) | Q(ende__gte=beginn), platz_id=fresh.platz_id
        )
        if place_busy.exists():
            raise Conflict("vergeben", "Der Platz ist zu diesem Datum belegt.")
        platz = fresh.platz
        try:
            with transaction.atomic():
                belegung = Belegung.objects.create(
                    tenant_id=fresh.tenant_id,
                    platz=platz,
                    einrichtung_id=platz.einrichtung_id,
                    angebot_id=platz.angebot_id,
                    gesuch=gesuch,
                    reservierung=fresh,
                    jugendamt_id=gesuch.tenant_id,
                    alter_bei_beginn=gesuch.alter,
                    geschlecht=gesuch.geschlecht,
                    beginn=beginn,
                )
        except IntegrityError as exc:
            raise Conflict("kind_placed", "Für diese Person besteht schon eine Belegung.") from exc
        fresh.status = Reservierung.Status.ZUGESAGT
        fresh.decided_at = now
        fresh.decided_by = actor
        fresh.save(update_fields=["status", "decided_at", "decided_by"])
        platz.frei_ab = None
        platz.save(update_fields=["frei_ab", "changed_at"])
        gesuch.status = Platzgesuch.Status.VERMITTELT
        gesuch.save(update_fields=["status"])
        events.record(
            actor,
            [fresh.tenant_id, gesuch.tenant_id],
            "placements.belegung.create",
            belegung,
            {
                "beginn": {"old": None, "new": beginn.isoformat()},
                "platz": {"old": None, "new": platz.label},
            },
        )
        release_holds(
            actor,
            gesuch,
            Reservierung.Status.ZURUECKGEZOGEN,
            f"automatisch zurückgezogen: Platz zugesagt ({platz.einrichtung.name})",
            keep=fresh.pk,
        )
        events.offer_changed(platz.angebot)
        return belegung

    return critical(
        work,
        angebote=[(hold.tenant_id, hold.platz.angebot_id), *others],
        gesuche=[(hold.jugendamt_id, hold.gesuch_id)],
    )


def decline(
    *,
    actor: User,
    tenant: Mandant,
    reservierung_id: uuid.UUID,
    reason: str,
    now: datetime | None = None,
    anbieter_id: uuid.UUID | None = None,
) -> Reservierung:
    """The provider says no (with a reason); the place is free again at once.
    ``anbieter_id`` as for :func:`withdraw` (the provider is ``tenant`` here anyway)."""
    reason = need_reason(reason, max_length=HOLD_REASON_MAX_LENGTH)
    return _decide(
        actor,
        tenant,
        reservierung_id,
        Reservierung.Status.ABGESAGT,
        reason,
        now,
        provider=True,
        anbieter_id=anbieter_id,
    )


def withdraw(
    *,
    actor: User,
    tenant: Mandant,
    reservierung_id: uuid.UUID,
    reason: str,
    now: datetime | None = None,
    anbieter_id: uuid.UUID | None = None,
) -> Reservierung:
    """The youth office takes its request back; the place is free again at once.
    ``anbieter_id``, the provider's Mandant, when the caller knows it (it has read the hold
    already): the hold is then read on that Mandant's shard instead of among every
    provider's holds."""
    reason = need_reason(reason, max_length=HOLD_REASON_MAX_LENGTH)
    return _decide(
        actor,
        tenant,
        reservierung_id,
        Reservierung.Status.ZURUECKGEZOGEN,
        reason,
        now,
        provider=False,
        anbieter_id=anbieter_id,
    )


def _decide(
    actor: User,
    tenant: Mandant,
    reservierung_id: uuid.UUID,
    status: str,
    reason: str,
    now: datetime | None,
    *,
    provider: bool,
    anbieter_id: uuid.UUID | None,
) -> Reservierung:
    now = now or timezone.now()
    # The hold with its place and Angebot in one read: the provider's on its own shard; the
    # youth office's on the provider's shard when the caller names it, else by the youth
    # office among every provider's holds.
    found = Reservierung.objects.select_related("platz__angebot")
    if provider:
        found = found.for_tenant(tenant.pk)
    elif anbieter_id is not None:
        found = found.for_tenant(anbieter_id).filter(jugendamt=tenant)
    else:
        found = found.unscoped().filter(jugendamt=tenant)
    if anbieter_id is not None and provider and anbieter_id != tenant.pk:
        raise NotFound("not_found", "Diese Anfrage gibt es nicht.")
    try:
        hold = found.get(pk=reservierung_id)
    except Reservierung.DoesNotExist as exc:
        raise NotFound("not_found", "Diese Anfrage gibt es nicht.") from exc
    angebot = hold.platz.angebot

    def work() -> Reservierung:
        # Decided only while open and not run out, in one statement on the provider's shard;
        # the Angebot's lock keeps a confirm or another decision from passing in between.
        decided = (
            Reservierung.objects.for_tenant(hold.tenant_id)
            .filter(pk=hold.pk, status=Reservierung.Status.OFFEN, expires_at__gt=now)
            .update(status=status, decided_at=now, decided_by=actor, reason=reason)
        )
        if not decided:
            _check_open(Reservierung.objects.for_tenant(hold.tenant_id).get(pk=hold.pk), now)
            raise Conflict("already_decided", "Über diese Anfrage wurde bereits entschieden.")
        hold.status, hold.decided_at, hold.decided_by, hold.reason = status, now, actor, reason
        events.record(
            actor,
            [hold.tenant_id, hold.jugendamt_id],
            f"placements.reservierung.{'decline' if provider else 'withdraw'}",
            hold,
            reason=reason,
        )
        events.offer_changed(angebot)
        return hold

    return critical(work, angebote=[(hold.tenant_id, angebot.pk)])


def end_belegung(
    *,
    actor: Actor,
    tenant: Mandant,
    belegung: Belegung,
    ende: date,
    grund: str,
    bemerkung: str = "",
    wieder_anbieten: bool = True,
) -> Belegung:
    """End an occupancy on ``ende`` (last day) with a reason; the place is offered again
    from the next day unless the provider says otherwise."""
    if grund not in Belegung.Endegrund.values:
        raise PlacementsError("grund", "Bitte einen Grund für das Ende der Belegung wählen.")
    if belegung.tenant_id != tenant.pk and belegung.jugendamt_id != tenant.pk:
        raise NotFound("not_found", "Diese Belegung gibt es nicht.")

    def work() -> Belegung:
        fresh = Belegung.objects.for_party(tenant.pk).select_related("platz").get(pk=belegung.pk)
        if fresh.ende is not None:
            raise Conflict("already_ended", "Diese Belegung ist bereits beendet.")
        if ende < fresh.beginn:
            raise PlacementsError("ende", "Das Ende liegt vor dem Beginn der Belegung.")
        fresh.ende = ende
        fresh.ende_grund = grund
        fresh.ende_bemerkung = bemerkung.strip()[:300]
        fresh.save(update_fields=["ende", "ende_grund", "ende_bemerkung"])
        platz = fresh.platz
        if wieder_anbieten and (platz.valid_to is None or platz.valid_to > ende):
            platz.frei_ab = ende + timedelta(days=1)
            platz.save(update_fields=["frei_ab", "changed_at"])
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            "placements.belegung.end",
            fresh,
            {"ende": {"old": None, "new": ende.isoformat()}, "grund": {"old": None, "new": grund}},
        )
        events.offer_changed(platz.angebot)
        return fresh

    return critical(work, angebote=[(belegung.tenant_id, belegung.angebot_id)])


def _locked_belegung(belegung: Belegung) -> Belegung:
    # The Belegung row is the lock: two entries for the same days cannot both pass.
    return rows.locked(belegung, "Diese Belegung gibt es nicht.")


def _check_abwesenheit(
    fresh: Belegung, von: date, bis: date, grund: str, *, other_than: Abwesenheit | None = None
) -> str:
    """The days lie inside the Belegung and overlap no other absence; returns the reason."""
    if bis < von:
        raise PlacementsError("period", "Das Ende liegt vor dem Beginn der Abwesenheit.")
    grund = need_reason(grund, max_length=ABWESENHEIT_GRUND_MAX_LENGTH)
    if von < fresh.beginn or (fresh.ende is not None and bis > fresh.ende):
        ende = f"{fresh.ende:%d.%m.%Y}" if fresh.ende else "offen"
        raise PlacementsError(
            "outside",
            f"Die Abwesenheit liegt außerhalb der Belegung ({fresh.beginn:%d.%m.%Y} bis {ende}).",
        )
    overlapping = Abwesenheit.objects.for_tenant(fresh.tenant_id).filter(
        belegung=fresh, von__lte=bis, bis__gte=von
    )
    if other_than is not None:
        overlapping = overlapping.exclude(pk=other_than.pk)
    first = overlapping.first()
    if first is not None:
        raise Conflict(
            "absence_overlap",
            "Für diese Tage ist schon eine Abwesenheit erfasst "
            f"({first.von:%d.%m.%Y} bis {first.bis:%d.%m.%Y}).",
        )
    return grund


def _billed_note(
    fresh: Belegung, *perioden: tuple[date, date]
) -> tuple[list[AbgerechneterMonat], dict[str, Any]]:
    """The billed months the change touches, and the audit entry that records them: the
    change is kept, the invoice is not (see abrechnung/abgerechnet.py)."""
    billed = abgerechnete_monate(fresh, *perioden)
    if not billed:
        return billed, {}
    return billed, {"abgerechnet": {"old": None, "new": [b.audit_text() for b in billed]}}


def _span(a: Abwesenheit) -> str:
    return f"{a.von.isoformat()}–{a.bis.isoformat()}"


def record_abwesenheit(
    *, actor: Actor, belegung: Belegung, von: date, bis: date, grund: str
) -> Abwesenheit:
    """Days away from the facility; billed at the Entgelt's absence share. The days lie
    inside the Belegung and overlap no absence already recorded. Days of a month already
    billed are still taken, and the audit says which invoice they miss: the provider is
    warned (``abgerechnete_monate``) and a rejected invoice is corrected from the new data."""
    with transaction.atomic():
        fresh = _locked_belegung(belegung)
        grund = _check_abwesenheit(fresh, von, bis, grund)
        item = Abwesenheit.objects.create(
            tenant_id=fresh.tenant_id, belegung=fresh, von=von, bis=bis, grund=grund
        )
        _, billed = _billed_note(fresh, (von, bis))
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            "placements.abwesenheit.create",
            fresh,
            {"abwesenheit": {"old": None, "new": _span(item)}, **billed},
        )
    return item


def change_abwesenheit(
    *, actor: Actor, abwesenheit: Abwesenheit, von: date, bis: date, grund: str
) -> Abwesenheit:
    """Correct the days or the reason of an absence, under the rules of a new one. A
    billed month it leaves or enters is recorded as for a new absence."""
    with transaction.atomic():
        fresh = _locked_belegung(abwesenheit.belegung)
        item = Abwesenheit.objects.for_tenant(fresh.tenant_id).filter(pk=abwesenheit.pk).first()
        if item is None:
            raise NotFound("not_found", "Diese Abwesenheit gibt es nicht (mehr).")
        grund = _check_abwesenheit(fresh, von, bis, grund, other_than=item)
        old_span, old_grund = _span(item), item.grund
        old_period = (item.von, item.bis)
        item.von, item.bis, item.grund = von, bis, grund
        item.save(update_fields=["von", "bis", "grund"])
        _, billed = _billed_note(fresh, old_period, (von, bis))
        changes: dict[str, Any] = {"abwesenheit": {"old": old_span, "new": _span(item)}}
        if grund != old_grund:
            changes["grund"] = {"old": old_grund, "new": grund}
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            "placements.abwesenheit.change",
            fresh,
            changes | billed,
        )
    return item


def delete_abwesenheit(*, actor: Actor, abwesenheit: Abwesenheit) -> None:
    """Remove an absence entered by mistake; its days count as present again."""
    with transaction.atomic():
        fresh = _locked_belegung(abwesenheit.belegung)
        item = Abwesenheit.objects.for_tenant(fresh.tenant_id).filter(pk=abwesenheit.pk).first()
        if item is None:
            raise NotFound("not_found", "Diese Abwesenheit gibt es nicht (mehr).")
        _, billed = _billed_note(fresh, (item.von, item.bis))
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            "placements.abwesenheit.delete",
            fresh,
            {
                "abwesenheit": {"old": _span(item), "new": None},
                "grund": {"old": item.grund, "new": None},
            }
            | billed,
        )
        item.delete()
