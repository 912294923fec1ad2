"""Every write of triage (die Zuordnung): open a document (a claim, so that a second
person at another screen is told who has it), file it into an Akte, mark it not
assignable with a reason, hand it to another team. Filing goes through the pipeline's
own ``file_document``; its state check under a row lock is what keeps two people from
filing one document twice (the second is told who filed it and when)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.inbox.errors import InboxError
from koffer.inbox.klaerung.selectors import CLAIM_MINUTES
from koffer.inbox.models import Eingangsdokument
from koffer.inbox.verarbeitung import services as pipeline
from koffer.inbox.verarbeitung.regeln import regeln
from koffer.records.models import Akte, Vorgang
from koffer.tenancy.models import Organisationseinheit

State = Eingangsdokument.State
MAX_REASON = 500


def claim(*, actor: User, doc: Eingangsdokument) -> User | None:
    """Open ``doc`` for ``actor``: the claim is theirs unless another person opened it
    less than ``CLAIM_MINUTES`` ago; returns that other person (they keep it)."""
    with transaction.atomic():
        locked = pipeline.locked_row(doc)
        now = timezone.now()
        other = locked.claimed_by if locked.claimed_by_id not in (None, actor.pk) else None
        if (
            other is not None
            and locked.claimed_at
            and (now - locked.claimed_at).total_seconds() < CLAIM_MINUTES * 60
        ):
            return other
        if locked.state in pipeline.OPEN_STATES:
            locked.claimed_by, locked.claimed_at = actor, now
            locked.save(update_fields=["claimed_by", "claimed_at"])
    return None


def accept(
    *, actor: User, doc: Eingangsdokument, akte: Akte, vorgang: Vorgang | None = None
) -> Eingangsdokument:
    """File ``doc`` into ``akte`` (the suggestion accepted, or another Akte chosen)."""
    suggested = any(v.get("akte_id") == str(akte.pk) for v in doc.vorschlaege[:1])
    rule = "Vorschlag bestätigt" if suggested else "von Hand zugeordnet"
    return pipeline.file_document(
        actor=actor, doc=doc, akte=akte, vorgang=vorgang, rule=rule, rules=regeln(doc.tenant_id)
    )


def mark_unassignable(*, actor: User, doc: Eingangsdokument, reason: str) -> Eingangsdokument:
    """Nobody's post (advertising, a wrong address): kept in the batch with the reason."""
    reason = " ".join(reason.split())[:MAX_REASON]
    if not reason:
        raise InboxError(
            "reason_missing", "Bitte geben Sie an, warum das Dokument nicht zuzuordnen ist."
        )
    with transaction.atomic():
        locked = pipeline.locked_row(doc)
        if locked.state not in pipeline.OPEN_STATES:
            raise pipeline.already_filed(locked)
        now = timezone.now()
        locked.state, locked.reason = State.NICHT_ZUORDENBAR, reason
        locked.filed_by, locked.filed_at, locked.updated_at = actor, now, now
        locked.claimed_by, locked.claimed_at = None, None
        locked.save()
        pipeline.log(
            locked.stapel,
            "nicht_zuordenbar",
            f"{locked.pages_label}: nicht zuzuordnen ({reason})",
            dokument=locked,
            actor=actor,
        )
        audit.record(
            actor=actor,
            tenant_id=locked.tenant_id,
            action="inbox.dokument.unassignable",
            obj=locked,
            changes={"reason": reason},
        )
    return locked


def hand_over(
    *, actor: User, doc: Eingangsdokument, unit: Organisationseinheit
) -> Eingangsdokument:
    """Into another team's queue (it stays waiting; the claim is given up)."""
    if unit.tenant_id != doc.tenant_id:
        raise InboxError(
            "foreign_unit", "Diese Organisationseinheit gehört zu einem anderen Mandanten."
        )
    with transaction.atomic():
        locked = pipeline.locked_row(doc)
        if locked.state not in pipeline.OPEN_STATES:
            raise pipeline.already_filed(locked)
        old = locked.unit_id
        locked.unit, locked.claimed_by, locked.claimed_at = unit, None, None
        locked.updated_at = timezone.now()
        locked.save(update_fields=["unit", "claimed_by", "claimed_at", "updated_at"])
        pipeline.log(
            locked.stapel,
            "weitergegeben",
            f"{locked.pages_label}: an {unit.name} weitergegeben",
            dokument=locked,
            actor=actor,
        )
        audit.record(
            actor=actor,
            tenant_id=locked.tenant_id,
            action="inbox.dokument.hand_over",
            obj=locked,
            changes={"unit": {"old": str(old), "new": str(unit.pk)}},
        )
    return locked
