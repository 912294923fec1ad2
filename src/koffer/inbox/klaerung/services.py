"""Every write of triage (die Zuordnung): open a document (a claim, so that a second
person at another screen is told who has it), file it into an Akte, mark it not
assignable with a reason, hand it to another team. Filing goes through the pipeline's
own ``file_document``; its state check under a row lock is what keeps two people from
filing one document twice (the second is told who filed it and when)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.inbox.errors import InboxError
from koffer.inbox.klaerung.selectors import CLAIM_MINUTES
from koffer.inbox.models import Eingangsdokument, Stapel
from koffer.inbox.rueckscan import services as rueckscan
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
    if doc.stapel.art == Stapel.Art.RUECKSCAN:  # a paper file: filed as a Rückscan
        return rueckscan.file_document(actor=actor, doc=doc, akte=akte, rule=rule)
    return pipeline.file_document(
        actor=actor, doc=doc, akte=akte, vorgang=vorgang, rule=rule, rules=regeln(doc.tenant_id)
    )


def _change(
    actor: User,
    doc: Eingangsdokument,
    change: Callable[[Eingangsdokument], dict[str, Any]],
    *,
    action: str,
    step: str,
    said: Callable[[Eingangsdokument], str],
) -> Eingangsdokument:
    """One change to a waiting document under its row lock: refused when another person
    took it meanwhile; one protocol line (``step``) and one audit event (``action``) with
    what ``change`` returns. The claim is given up."""
    with transaction.atomic():
        locked = pipeline.locked_row(doc)
        if locked.state not in pipeline.OPEN_STATES:
            raise pipeline.already_filed(locked)
        changes = change(locked)
        locked.claimed_by, locked.claimed_at = None, None
        locked.updated_at = timezone.now()
        locked.save()
        pipeline.log(locked.stapel, step, said(locked), dokument=locked, actor=actor)
        audit.record(
            actor=actor,
            tenant_id=locked.tenant_id,
            action=action,
            obj=locked,
            changes=changes,
        )
    return locked


def mark_unassignable(*, actor: User, doc: Eingangsdokument, reason: str) -> Eingangsdokument:
    """Nobody's post (advertising, a wrong address): kept in the batch with the reason."""
    reason = " ".join(reason.split())[:MAX_REASON]
    if not reason:
        raise InboxError(
            "reason_missing", "Bitte geben Sie an, warum das Dokument nicht zuzuordnen ist."
        )

    def change(locked: Eingangsdokument) -> dict[str, Any]:
        locked.state, locked.reason = State.NICHT_ZUORDENBAR, reason
        locked.filed_by, locked.filed_at = actor, timezone.now()
        return {"reason": reason}

    return _change(
        actor,
        doc,
        change,
        action="inbox.dokument.unassignable",
        step="nicht_zuordenbar",
        said=lambda d: f"{d.pages_label}: nicht zuzuordnen ({reason})",
    )


def hand_over(
    *, actor: User, doc: Eingangsdokument, unit: Organisationseinheit
) -> Eingangsdokument:
    """Into another team's queue (it stays waiting)."""
    if unit.tenant_id != doc.tenant_id:
        raise InboxError(
            "foreign_unit", "Diese Organisationseinheit gehört zu einem anderen Mandanten."
        )

    def change(locked: Eingangsdokument) -> dict[str, Any]:
        old, locked.unit = locked.unit_id, unit
        return {"unit": {"old": str(old), "new": str(unit.pk)}}

    return _change(
        actor,
        doc,
        change,
        action="inbox.dokument.hand_over",
        step="weitergegeben",
        said=lambda d: f"{d.pages_label}: an {unit.name} weitergegeben",
    )
