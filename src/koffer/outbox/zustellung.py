"""What posting a letter sets in motion, the same for every channel: the print provider's
„versendet“ report (``versand``) and a locally printed letter given to the post by the
office (``briefe.services.aushaendigen``). The posting date gives the Bekanntgabe (the
Mandant's Fristregel ``bekanntgabe``, § 37 Abs. 2 SGB X), and for a Bescheid in a Vorgang
the objection deadline; a letter that comes back keeps its reason in the same row."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from koffer.audit.services import Actor
from koffer.outbox.models import Brief, Vorlage, Zustellung
from koffer.records import deadlines
from koffer.records import services as records
from koffer.records.errors import RecordsConflict
from koffer.records.konfiguration import services as konfiguration
from koffer.records.models import FristRegel
from koffer.tenancy.models import Mandant

BEKANNTGABE = "bekanntgabe"
BEKANNTGABE_ABRUF = "bekanntgabe_abruf"
WIDERSPRUCHSFRIST = "Widerspruchsfrist"

# code: (label, days, shift to a working day). Retrieved from the mailbox, a letter is
# known "am Tag nach dem Abruf" (§ 37 Abs. 2a Satz 3 SGB X); like the posting fiction
# this is no Frist of § 26 SGB X, so the Mandant decides whether to shift it.
_REGELN = {
    BEKANNTGABE: ("Bekanntgabe (§ 37 Abs. 2 SGB X)", 4, True),
    BEKANNTGABE_ABRUF: ("Bekanntgabe nach Abruf (§ 37 Abs. 2a SGB X)", 1, False),
}


def bekanntgabe_regel(tenant: Mandant, actor: Actor | None, code: str = BEKANNTGABE) -> FristRegel:
    """The Mandant's rule for the Bekanntgabe, made on first use: posted, the fourth day
    after posting (§ 37 Abs. 2 SGB X), moved to a working day; retrieved from the
    citizen's mailbox (``BEKANNTGABE_ABRUF``), the day after the retrieval."""
    found = FristRegel.objects.for_tenant(tenant).filter(code=code).first()
    if found is not None:
        return found
    label, days, shift = _REGELN[code]
    try:
        return konfiguration.create_frist_regel(
            actor=actor,
            tenant=tenant,
            code=code,
            label=label,
            days=days,
            shift_to_workday=shift,
        )
    except RecordsConflict:
        return FristRegel.objects.for_tenant(tenant).get(code=code)


def bekanntgabe(versanddatum: date, regel: FristRegel) -> date:
    """The day of the Bekanntgabe of a letter posted on ``versanddatum``."""
    return deadlines.due_date(
        versanddatum,
        notification_days=regel.notification_days,
        months=regel.months,
        days=regel.days,
        shift=regel.shift_to_workday,
    )


def of(brief: Brief) -> Zustellung:
    """The letter's Zustellung row, made on first use."""
    row, _ = Zustellung.objects.for_tenant(brief.tenant_id).get_or_create(
        tenant_id=brief.tenant_id, brief=brief, defaults={"updated_at": timezone.now()}
    )
    return row


def versendet(actor: Actor, brief: Brief, versanddatum: date, regel: FristRegel) -> dict[str, Any]:
    """Set the posting date and the Bekanntgabe it gives; for a Bescheid in a Vorgang
    start the objection deadline (a corrected date ends the old one and starts a new one).
    The caller locks and saves ``brief``; the changes are returned for its audit event."""
    before = (brief.versendet_am, brief.bekanntgabe_am)
    brief.versendet_am = versanddatum
    brief.bekanntgabe_am = bekanntgabe(versanddatum, regel)
    changes: dict[str, Any] = {
        "versendet_am": versanddatum,
        "bekanntgabe_am": brief.bekanntgabe_am,
    }
    if before[0] is not None and before[0] != versanddatum:
        changes["berichtigt"] = {"versendet_am": before[0], "bekanntgabe_am": before[1]}
    return changes | widerspruchsfrist(
        actor, brief, note=f"Versanddatum berichtigt auf {versanddatum:%d.%m.%Y}"
    )


def abgerufen(actor: Actor, brief: Brief, abrufdatum: date, regel: FristRegel) -> dict[str, Any]:
    """Retrieved from the citizen's mailbox on ``abrufdatum``: the Bekanntgabe from the
    Mandant's rule ``bekanntgabe_abruf`` (the day after, § 37 Abs. 2a SGB X) and, for a
    Bescheid in a Vorgang, the objection deadline — the same path as a posted letter's.
    The caller locks and saves ``brief``."""
    brief.bekanntgabe_am = bekanntgabe(abrufdatum, regel)
    changes: dict[str, Any] = {"abgerufen_am": abrufdatum, "bekanntgabe_am": brief.bekanntgabe_am}
    return changes | widerspruchsfrist(actor, brief, note="Bekanntgabe berichtigt")


def widerspruchsfrist(actor: Actor, brief: Brief, *, note: str) -> dict[str, Any]:
    """For a Bescheid in a Vorgang: the objection deadline from ``brief.bekanntgabe_am``
    (a changed Bekanntgabe ends the old deadline with ``note`` and starts a new one)."""
    changes: dict[str, Any] = {}
    assert brief.bekanntgabe_am is not None
    is_bescheid = brief.version.vorlage.art == Vorlage.Art.BESCHEID
    if brief.vorgang is None or not is_bescheid:
        return changes
    row = of(brief)
    frist = row.widerspruchsfrist
    if frist is not None and frist.base_date == brief.bekanntgabe_am and frist.done_at is None:
        return changes
    if frist is not None and frist.done_at is None:
        records.complete_frist(actor=actor, frist=frist, note=note)
    row.widerspruchsfrist = records.add_frist(
        actor=actor,
        vorgang=brief.vorgang,
        base_date=brief.bekanntgabe_am,
        label=WIDERSPRUCHSFRIST,
        due=deadlines.due_date(
            brief.bekanntgabe_am, notification_days=0, months=1, days=0, shift=True
        ),
    )
    row.updated_at = timezone.now()
    row.save(update_fields=["widerspruchsfrist", "updated_at"])
    changes["widerspruchsfrist"] = row.widerspruchsfrist.due_date
    return changes
