"""Every write of returned mail: the third filing write for a Rückläufer (in place of
``record_filing``: the letter reported undeliverable, whose Wiedervorlage puts the Akte
on the caseworker's desk) and the mail room's mark „Rückläufer (unzustellbar)“ on a
document waiting in triage or already filed. Each is safe to repeat: the letter's side
records one event per scan (``posteingang:<document id>``)."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.audit.services import Actor
from koffer.inbox.errors import Conflict, InboxError
from koffer.inbox.models import Eingangsdokument
from koffer.inbox.verarbeitung import services as pipeline
from koffer.inbox.verarbeitung.regeln import Regeln, regeln
from koffer.records import rueckpost
from koffer.records.models import Akte, Dokument, Vorgang

State = Eingangsdokument.State
MAX_GRUND = 200
POSTSTELLE_RULE = "Rückläufer, von der Poststelle markiert"
# Offered on the page; any other reason may be typed.
GRUENDE = (
    "Empfänger unbekannt",
    "Empfänger unbekannt verzogen",
    "Annahme verweigert",
    "Adresse unzureichend",
    "Nicht abgeholt",
    "Empfänger verstorben",
)
QUELLEN = {
    "lieferschein": "laut Lieferschein",
    "vermerk": "Vermerk der Post gelesen",
    "poststelle": "von der Poststelle markiert",
}


def event_key(doc: Eingangsdokument) -> str:
    """The letter's event for this scan: one, however often it is processed."""
    return f"posteingang:{doc.pk}"


def record_filing(
    *, actor: Actor | None, doc: Eingangsdokument, dokument: Dokument, regeln: Regeln
) -> Eingangsdokument:
    """Mark the returned mail filed and report its letter undeliverable, in one
    transaction (``regeln`` is unused: the letter's side makes the Wiedervorlage)."""
    with transaction.atomic():
        doc, changed = pipeline.mark_filed(actor=actor, doc=doc, dokument=dokument)
        if not changed:
            return doc
        pipeline.protocol_filing(
            actor=actor, doc=doc, dokument=dokument, what="Rückläufer abgelegt"
        )
        _report(actor, doc, dokument)
    return doc


def _report(actor: Actor | None, doc: Eingangsdokument, dokument: Dokument) -> bool:
    """The letter told it came back (inside the caller's transaction); False when this
    scan was reported before."""
    brief_id = uuid.UUID(str((doc.antwortcode or {})["letter_id"]))
    scanned = timezone.make_aware(datetime.combine(doc.stapel.scan_date, time(12)))
    new = rueckpost.melden(
        actor=actor if isinstance(actor, User) else None,
        rueckpost=rueckpost.Rueckpost(
            tenant_id=doc.tenant_id,
            brief_id=brief_id,
            grund=doc.rueckpost_grund,
            dokument=dokument,
            key=event_key(doc),
            at=scanned,
        ),
    )
    if not new:
        return False
    quelle = QUELLEN.get(doc.rueckpost_quelle, doc.rueckpost_quelle)
    pipeline.log(
        doc.stapel,
        "ruecklaeufer",
        f"{doc.pages_label}: Rückläufer ({quelle}), Brief als unzustellbar gemeldet: "
        f"{doc.rueckpost_grund}",
        dokument=doc,
        actor=actor,
        data={"brief": str(brief_id), "grund": doc.rueckpost_grund, "quelle": doc.rueckpost_quelle},
    )
    audit.record(
        actor=actor,
        tenant_id=doc.tenant_id,
        action="inbox.dokument.ruecklaeufer",
        obj=doc,
        changes={
            "brief": str(brief_id),
            "grund": doc.rueckpost_grund,
            "quelle": doc.rueckpost_quelle,
            "dokument": str(dokument.pk),
        },
    )
    return True


def mark(*, actor: User, doc: Eingangsdokument, grund: str) -> Eingangsdokument:
    """The mail room says a document is one of koffer's letters come back (the Post's
    reason): waiting in triage, it is filed into the letter's Akte; already filed, its
    letter is reported from where it lies. Needs the letter's reply code on the scan."""
    grund = " ".join(
        need_reason(
            grund,
            max_length=MAX_GRUND,
            prompt="Bitte geben Sie den Grund der Post an (z. B. „Empfänger unbekannt“).",
        ).split()
    )
    code = doc.antwortcode or {}
    if not code.get("letter_id"):
        raise InboxError(
            "no_letter_code",
            "Auf diesem Dokument wurde kein Antwortcode eines koffer-Briefs gelesen; ein "
            "Rückläufer lässt sich nur einem Brief zuordnen, dessen Code lesbar ist.",
        )
    akte_id, brief_id = uuid.UUID(str(code["akte_id"])), uuid.UUID(str(code["letter_id"]))
    problem = rueckpost.pruefen(doc.tenant_id, akte_id, brief_id)
    if problem:
        raise InboxError("letter_unknown", problem)
    if doc.state in pipeline.OPEN_STATES:
        return _file_marked(actor, doc, grund, akte_id, code.get("vorgang_id"))
    if doc.state != State.ABGELEGT or doc.dokument_id is None:
        raise InboxError(
            "not_returnable",
            "Als Rückläufer lässt sich nur ein Dokument erfassen, das auf Zuordnung wartet "
            "oder abgelegt ist.",
        )
    with transaction.atomic():
        locked = pipeline.locked_row(doc)
        _take(locked, grund)
        assert locked.dokument is not None
        if not _report(actor, locked, locked.dokument):
            raise Conflict("already_returned", "Dieser Scan ist schon als Rückläufer erfasst.")
    return locked


def _take(locked: Eingangsdokument, grund: str) -> None:
    locked.rueckpost_grund, locked.rueckpost_quelle = grund, "poststelle"
    locked.updated_at = timezone.now()
    locked.save(update_fields=["rueckpost_grund", "rueckpost_quelle", "updated_at"])


def _file_marked(
    actor: User, doc: Eingangsdokument, grund: str, akte_id: uuid.UUID, vorgang_id: object
) -> Eingangsdokument:
    akte = Akte.objects.for_tenant(doc.tenant_id).filter(pk=akte_id).first()
    if akte is None:
        raise InboxError("letter_unknown", "Die Akte des Briefs gibt es hier nicht (mehr).")
    vorgang = (
        Vorgang.objects.for_tenant(doc.tenant_id).filter(pk=str(vorgang_id), akte=akte).first()
        if vorgang_id
        else None
    )
    with transaction.atomic():
        locked = pipeline.locked_waiting(doc)
        _take(locked, grund)
    return pipeline.file_document(
        actor=actor,
        doc=locked,
        akte=akte,
        vorgang=vorgang,
        rule=POSTSTELLE_RULE,
        rules=regeln(doc.tenant_id),
        record=record_filing,
    )
