"""Writes of the youth office's needs: a Platzgesuch, its Kostenzusage, withdrawing it
(which releases its open holds)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction

from koffer.audit.reasons import need_reason
from koffer.audit.services import Actor
from koffer.placements import events, rows
from koffer.placements.belegung.services import HOLD_REASON_MAX_LENGTH, release_holds
from koffer.placements.errors import Conflict, PlacementsError
from koffer.placements.locking import critical
from koffer.placements.models import (
    Betreuungsform,
    Merkmal,
    Platzgesuch,
    Region,
    Reservierung,
)
from koffer.tenancy import counters
from koffer.tenancy.models import Mandant


def create_gesuch(
    *,
    actor: Actor,
    tenant: Mandant,
    betreuungsform: Betreuungsform,
    alter: int,
    geschlecht: str,
    ab_datum: date,
    region: Region,
    radius_km: int = 50,
    merkmale: Iterable[Merkmal] = (),
    kostenzusage: str = "",
) -> Platzgesuch:
    """The pseudonymous need of one person; the pseudonym is generated, never a name.
    ``kostenzusage`` is the youth office's cost commitment or file number (optional; the
    invoices of the case carry it as BT-12)."""
    fb = betreuungsform.fachbereich
    if not fb.age_min <= alter <= fb.age_max:
        raise PlacementsError(
            "age", f"Das Alter muss zwischen {fb.age_min} und {fb.age_max} Jahren liegen."
        )
    if geschlecht not in {"w", "m", "d"}:
        raise PlacementsError(
            "gender", "Bitte ein Geschlecht angeben (weiblich, männlich, divers)."
        )
    if not 1 <= radius_km <= 1000:
        raise PlacementsError("radius", "Der Umkreis liegt zwischen 1 und 1.000 km.")
    merkmale = list(merkmale)
    if any(m.fachbereich_id != fb.pk for m in merkmale):
        raise PlacementsError("merkmal_field", "Ein Merkmal gehört zu einem anderen Fachbereich.")
    with transaction.atomic():
        number = counters.next_value(tenant.pk, f"gesuch:{ab_datum.year}")
        gesuch = Platzgesuch.objects.create(
            tenant=tenant,
            fachbereich=fb,
            betreuungsform=betreuungsform,
            pseudonym=f"G-{ab_datum.year}-{number:05d}",
            alter=alter,
            geschlecht=geschlecht,
            ab_datum=ab_datum,
            region=region,
            radius_km=radius_km,
            kostenzusage=_kostenzusage(kostenzusage),
            created_by=actor,
        )
        gesuch.merkmale.set(merkmale)
        events.record(actor, [tenant.pk], "placements.gesuch.create", gesuch)
    return gesuch


def _kostenzusage(text: str) -> str:
    value = " ".join((text or "").split())
    if len(value) > 60:
        raise PlacementsError(
            "kostenzusage_too_long", "Die Kostenzusage/das Aktenzeichen ist länger als 60 Zeichen."
        )
    return value


def set_kostenzusage(*, actor: Actor, gesuch: Platzgesuch, kostenzusage: str) -> Platzgesuch:
    """The youth office enters or corrects its Kostenzusage/Aktenzeichen of the case
    (often known only after the placement); invoices built from now on carry it (BT-12)."""
    return rows.change_field(
        actor=actor,
        row=gesuch,
        field="kostenzusage",
        value=_kostenzusage(kostenzusage),
        action="placements.gesuch.kostenzusage",
    )


def withdraw_gesuch(*, actor: Actor, gesuch: Platzgesuch, reason: str) -> Platzgesuch:
    """The need is gone (placed elsewhere, returned home): all open holds are released."""
    reason = need_reason(reason, max_length=HOLD_REASON_MAX_LENGTH)
    open_holds = list(
        Reservierung.objects.for_party(gesuch.tenant_id)
        .filter(gesuch=gesuch, status=Reservierung.Status.OFFEN)
        .values_list("tenant_id", "platz__angebot_id")
    )

    def work() -> Platzgesuch:
        fresh = Platzgesuch.objects.for_tenant(gesuch.tenant_id).get(pk=gesuch.pk)
        if fresh.status != Platzgesuch.Status.OFFEN:
            raise Conflict("gesuch_closed", "Das Gesuch ist nicht mehr offen.")
        release_holds(actor, fresh, Reservierung.Status.ZURUECKGEZOGEN, reason)
        fresh.status = Platzgesuch.Status.ZURUECKGEZOGEN
        fresh.save(update_fields=["status"])
        events.record(actor, [fresh.tenant_id], "placements.gesuch.withdraw", fresh, reason=reason)
        return fresh

    return critical(work, angebote=open_holds, gesuche=[(gesuch.tenant_id, gesuch.pk)])
