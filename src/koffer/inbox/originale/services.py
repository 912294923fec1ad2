"""Every write of the paper originals: marking one „Original aufbewahren“ or under a
„Rechtliche Sperre“, releasing the originals of a batch whose quality check failed,
making destruction lists of what is due, the provider's confirmation of a destruction,
and its PDF protocol.

A list is immutable: its number and entries stay as made. What may change is each
entry's state: an original marked or put under a legal hold after the list was made is
withdrawn from it at once (the provider sees „zurückgezogen: nicht vernichten“ on the
list and a problem in its batch status), and the confirmation never counts a withdrawn
entry as destroyed. An original already destroyed cannot be marked any more (409).
Confirming is idempotent: the same confirmation again answers the recorded one, another
is refused (409 ``already_confirmed``). The protocol PDF is written after the
confirmation's transaction and again by whoever finds it missing, so a crash between the
two loses nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.blobs.store import get_store
from koffer.inbox.errors import Conflict, InboxError
from koffer.inbox.models import (
    Eingangsdokument,
    Original,
    Originalfreigabe,
    Problem,
    Stapel,
    Vernichtungseintrag,
    Vernichtungsliste,
)
from koffer.inbox.originale import protokoll, selectors
from koffer.records.dokumente import services as documents
from koffer.tenancy import counters
from koffer.tenancy.models import Mandant

Entry = Vernichtungseintrag.State
MAX_REASON = 500
COUNTER = "inbox.vernichtungsliste"


def _reason(text: str, missing: str) -> str:
    reason = " ".join(text.split())[:MAX_REASON]
    if not reason:
        raise InboxError("reason_missing", missing)
    return reason


def _problem(entry: Vernichtungseintrag, code: str, message: str) -> None:
    """The batch's status shows what went wrong with the destruction of an original."""
    Problem.objects.get_or_create(
        tenant_id=entry.tenant_id,
        stapel_id=entry.stapel_id,
        key=f"{code}-{entry.pk}",
        defaults={"datei_id": entry.dokument.datei_id, "code": code, "message": message},
    )


def _where(entry: Vernichtungseintrag) -> str:
    doc = entry.dokument
    return f"„{doc.datei.name}“, {doc.pages_label}"


def keep_original(
    *, actor: User, doc: Eingangsdokument, reason: str, sperre: bool = False
) -> Original:
    """Mark ``doc``'s paper original „Original aufbewahren“ (or, ``sperre``, under a
    „Rechtliche Sperre“) with a reason: it is never put on a destruction list, and taken
    off an unconfirmed one. Refused once the original is destroyed."""
    reason = _reason(reason, "Bitte geben Sie an, warum das Original aufbewahrt wird.")
    with transaction.atomic():
        Eingangsdokument.objects.for_tenant(doc.tenant_id).select_for_update().get(pk=doc.pk)
        entry = (
            Vernichtungseintrag.objects.for_tenant(doc.tenant_id)
            .select_for_update()
            .filter(dokument=doc)
            .exclude(state=Entry.ZURUECKGEZOGEN)
            .select_related("liste", "dokument__datei")
            .first()
        )
        if entry is not None and entry.state != Entry.OFFEN:
            raise Conflict(
                "original_destroyed",
                f"Das Original steht auf der bestätigten Vernichtungsliste "
                f"{entry.liste.label} ({entry.get_state_display()}).",
            )
        now = timezone.now()
        row, _ = Original.objects.for_tenant(doc.tenant_id).get_or_create(
            tenant_id=doc.tenant_id,
            dokument=doc,
            defaults={"changed_by": actor, "changed_at": now},
        )
        if sperre:
            row.sperre, row.sperre_grund = True, reason
        else:
            row.aufbewahren, row.aufbewahren_grund = True, reason
        row.changed_by, row.changed_at = actor, now
        row.save()
        withdrawn = None
        if entry is not None:
            what = "Rechtliche Sperre" if sperre else "Original aufbewahren"
            entry.state, entry.reason, entry.changed_at = Entry.ZURUECKGEZOGEN, what, now
            entry.save(update_fields=["state", "reason", "changed_at"])
            _problem(
                entry,
                "vernichtung_zurueckgezogen",
                f"Original {_where(entry)} von Vernichtungsliste {entry.liste.label} "
                f"zurückgezogen ({what}): bitte nicht vernichten.",
            )
            withdrawn = str(entry.liste_id)
        audit.record(
            actor=actor,
            tenant_id=doc.tenant_id,
            action="inbox.original.sperre" if sperre else "inbox.original.keep",
            obj=doc,
            changes={"reason": reason, "withdrawn_from": withdrawn},
        )
    return row


def lift_keep(*, actor: User, doc: Eingangsdokument, reason: str, sperre: bool = False) -> Original:
    """End „Original aufbewahren“ (or, ``sperre``, the „Rechtliche Sperre“) of ``doc``'s
    paper original, saying why: once neither mark holds, the original is due again on
    its date and goes on the next destruction list. The old reason stays in the audit."""
    reason = _reason(reason, "Bitte geben Sie an, warum das Original nicht mehr gebraucht wird.")
    what = "Rechtliche Sperre" if sperre else "Original aufbewahren"
    with transaction.atomic():
        row = (
            Original.objects.for_tenant(doc.tenant_id)
            .select_for_update()
            .filter(dokument=doc)
            .first()
        )
        held = row is not None and (row.sperre if sperre else row.aufbewahren)
        if row is None or not held:
            raise Conflict("not_kept", f"Für dieses Original gilt „{what}“ nicht.")
        old = row.sperre_grund if sperre else row.aufbewahren_grund
        if sperre:
            row.sperre, row.sperre_grund = False, ""
        else:
            row.aufbewahren, row.aufbewahren_grund = False, ""
        row.changed_by, row.changed_at = actor, timezone.now()
        row.save()
        audit.record(
            actor=actor,
            tenant_id=doc.tenant_id,
            action="inbox.original.lift",
            obj=doc,
            changes={"ended": what, "reason": reason, "was": old},
        )
    return row


def release_originals(*, actor: User, stapel: Stapel, reason: str) -> Originalfreigabe:
    """The mail room looked at a batch whose quality check failed and lets its originals
    be destroyed like a passed batch's, counted from today. Once per batch."""
    reason = _reason(reason, "Bitte geben Sie an, warum die Originale freigegeben werden.")
    if stapel.quality_passed:
        raise InboxError(
            "quality_passed",
            "Die Qualitätsprüfung dieses Stapels ist bestanden; nichts freizugeben.",
        )
    with transaction.atomic():
        row, created = Originalfreigabe.objects.for_tenant(stapel.tenant_id).get_or_create(
            tenant_id=stapel.tenant_id,
            stapel=stapel,
            defaults={"reason": reason, "released_by": actor, "released_at": timezone.now()},
        )
        if created:
            audit.record(
                actor=actor,
                tenant_id=stapel.tenant_id,
                action="inbox.originale.release",
                obj=stapel,
                changes={"reason": reason},
            )
    return row


def create_lists(
    *, actor: User | None, tenant: Mandant, due: list[selectors.Faellig]
) -> list[Vernichtungsliste]:
    """One destruction list per provider and Organisationseinheit of the ``due``
    originals (:func:`selectors.due`), numbered; nothing when nothing is due. An original
    listed meanwhile by someone else makes the whole creation fail (409), never a list
    with it twice."""
    groups: dict[tuple[Any, Any], list[selectors.Faellig]] = {}
    for item in due:
        stapel = item.dokument.stapel
        groups.setdefault((stapel.provider_id, stapel.unit_id), []).append(item)
    made = []
    try:
        with transaction.atomic():
            now = timezone.now()
            still = _still_destroyable(tenant, [i.dokument.pk for i in due])
            for (provider_id, unit_id), found in groups.items():
                items = [i for i in found if i.dokument.pk in still]
                if not items:
                    continue
                liste = Vernichtungsliste.objects.create(
                    tenant_id=tenant.pk,
                    number=counters.next_value(tenant.pk, COUNTER),
                    provider_id=provider_id,
                    unit_id=unit_id,
                    created_at=now,
                    created_by=actor,
                )
                Vernichtungseintrag.objects.bulk_create(
                    [
                        Vernichtungseintrag(
                            tenant_id=tenant.pk,
                            liste=liste,
                            dokument=item.dokument,
                            stapel_id=item.dokument.stapel_id,
                            position=position,
                            due=item.due,
                        )
                        for position, item in enumerate(items, start=1)
                    ]
                )
                audit.record(
                    actor=actor,
                    tenant_id=tenant.pk,
                    action="inbox.vernichtungsliste.create",
                    obj=liste,
                    changes={
                        "number": liste.label,
                        "provider": str(provider_id),
                        "entries": [str(i.dokument.pk) for i in items],
                    },
                )
                made.append(liste)
    except IntegrityError as exc:
        raise Conflict(
            "already_listed",
            "Ein Original wurde gerade auf eine andere Liste gesetzt; bitte erneut versuchen.",
        ) from exc
    return made


def _still_destroyable(tenant: Mandant, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Inside the list's transaction: the documents locked (as marking one locks it), then
    those marked meanwhile left out, so a mark is either seen here or finds the entry."""
    locked = set(
        Eingangsdokument.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    marked = set(
        Original.objects.for_tenant(tenant)
        .filter(dokument_id__in=ids)
        .filter(Q(aufbewahren=True) | Q(sperre=True))
        .values_list("dokument_id", flat=True)
    )
    return locked - marked


def confirmation_hash(
    destroyed_by: str, destroyed_at: datetime, not_destroyed: Mapping[uuid.UUID, str]
) -> str:
    """What makes two confirmations the same: who, when (to the second), which not."""
    body = {
        "by": destroyed_by,
        "at": destroyed_at.astimezone(UTC).replace(microsecond=0).isoformat(),
        "not": sorted([str(k), v] for k, v in not_destroyed.items()),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def confirm(
    *,
    actor: User,
    liste: Vernichtungsliste,
    destroyed_by: str,
    destroyed_at: datetime,
    not_destroyed: Mapping[uuid.UUID, str] | None = None,
) -> Vernichtungsliste:
    """The provider confirms the destruction of the list's originals: who destroyed
    them and when; ``not_destroyed`` names entries it could not destroy, with the reason
    (each becomes a problem of its batch). Entries withdrawn meanwhile stay withdrawn and
    are never counted as destroyed. The same confirmation again answers the recorded one;
    another is refused (409). The protocol PDF follows."""
    destroyed_by = " ".join(destroyed_by.split())[:200]
    if not destroyed_by:
        raise InboxError("destroyed_by_missing", "Bitte geben Sie an, wer vernichtet hat.")
    if timezone.is_naive(destroyed_at):
        destroyed_at = timezone.make_aware(destroyed_at)
    not_destroyed = {
        k: _reason(v, "Bitte geben Sie an, warum ein Original nicht vernichtet wurde.")
        for k, v in (not_destroyed or {}).items()
    }
    digest = confirmation_hash(destroyed_by, destroyed_at, not_destroyed)
    with transaction.atomic():
        locked = (
            Vernichtungsliste.objects.for_tenant(liste.tenant_id)
            .select_for_update()
            .get(pk=liste.pk)
        )
        if locked.state == Vernichtungsliste.State.BESTAETIGT:
            if locked.confirmation_sha256 == digest:
                return _protocolled(locked)
            raise Conflict(
                "already_confirmed",
                f"Die Vernichtungsliste {locked.label} wurde bereits anders bestätigt "
                f"({locked.destroyed_by}, {timezone.localtime(locked.destroyed_at):%d.%m.%Y %H:%M} Uhr)."
                if locked.destroyed_at
                else f"Die Vernichtungsliste {locked.label} wurde bereits bestätigt.",
            )
        now = timezone.now()
        if destroyed_at > now:
            raise InboxError(
                "destroyed_in_future", "Der Zeitpunkt der Vernichtung liegt in der Zukunft."
            )
        # Forms give the minute: the minute the list was made counts.
        if destroyed_at < locked.created_at.replace(second=0, microsecond=0):
            raise InboxError(
                "destroyed_before_list",
                "Der Zeitpunkt der Vernichtung liegt vor der Erstellung der Liste.",
            )
        entries = list(
            Vernichtungseintrag.objects.for_tenant(liste.tenant_id)
            .select_for_update(of=("self",))
            .filter(liste=locked)
            .select_related("dokument__datei")
        )
        by_id = {e.pk: e for e in entries}
        unknown = [k for k in not_destroyed if k not in by_id]
        if unknown:
            raise InboxError(
                "unknown_entry", "Ein genannter Eintrag gehört nicht zu dieser Vernichtungsliste."
            )
        counts = {s: 0 for s in Entry.values}
        for entry in entries:
            if entry.state == Entry.OFFEN and entry.pk in not_destroyed:
                entry.state, entry.reason = Entry.NICHT_VERNICHTET, not_destroyed[entry.pk]
                _problem(
                    entry,
                    "nicht_vernichtet",
                    f"Original {_where(entry)} laut Vernichtungsliste {locked.label} nicht "
                    f"vernichtet: {entry.reason}",
                )
            elif entry.state == Entry.OFFEN:
                entry.state = Entry.VERNICHTET
            entry.changed_at = now
            counts[entry.state] += 1
        Vernichtungseintrag.objects.for_tenant(locked.tenant_id).bulk_update(
            entries, ["state", "reason", "changed_at"]
        )
        locked.state = Vernichtungsliste.State.BESTAETIGT
        locked.confirmed_at, locked.confirmed_by = now, actor
        locked.destroyed_by, locked.destroyed_at = destroyed_by, destroyed_at
        locked.confirmation_sha256 = digest
        locked.save()
        audit.record(
            actor=actor,
            tenant_id=locked.tenant_id,
            action="inbox.vernichtungsliste.confirm",
            obj=locked,
            changes={
                "destroyed_by": destroyed_by,
                "destroyed_at": destroyed_at.isoformat(),
                "entries": counts,
                "not_destroyed": {str(k): v for k, v in not_destroyed.items()},
            },
        )
    return _protocolled(locked)


def _protocolled(liste: Vernichtungsliste) -> Vernichtungsliste:
    if not liste.protocol_sha256:
        write_protocol(liste=liste)
        liste.refresh_from_db()
    return liste


def write_protocol(*, liste: Vernichtungsliste) -> str:
    """The PDF protocol of a confirmed destruction into the blob store (once; the bytes
    are written before the short transaction that records them)."""
    if liste.protocol_sha256 or liste.state != Vernichtungsliste.State.BESTAETIGT:
        return liste.protocol_sha256
    liste = (
        Vernichtungsliste.objects.for_tenant(liste.tenant_id)
        .select_related("provider", "unit", "confirmed_by", "tenant")
        .get(pk=liste.pk)
    )
    pdf = protokoll.render(liste, selectors.eintraege(liste))
    sha = hashlib.sha256(pdf).hexdigest()
    pending = documents.store_blobs(tenant_id=liste.tenant_id, blobs=[(sha, pdf)])
    try:
        with transaction.atomic():
            locked = (
                Vernichtungsliste.objects.for_tenant(liste.tenant_id)
                .select_for_update()
                .get(pk=liste.pk)
            )
            if locked.protocol_sha256:
                documents.discard_blobs(pending)
                return locked.protocol_sha256
            locked.protocol_sha256 = sha
            locked.save(update_fields=["protocol_sha256"])
            documents.settle_blobs(pending)
    except BaseException:
        documents.discard_blobs(pending)
        raise
    return sha


def not_confirmed(liste: Vernichtungsliste) -> Conflict:
    return Conflict(
        "not_confirmed",
        f"Die Vernichtungsliste {liste.label} ist noch nicht bestätigt; ein Protokoll gibt "
        "es erst danach.",
    )


def protocol_bytes(liste: Vernichtungsliste) -> bytes:
    sha = write_protocol(liste=liste)
    with get_store().open(sha) as stream:
        return stream.read()


def blob_referenced(sha256: str) -> bool:
    """Whether a destruction protocol points to this blob (asked by the blob ledger)."""
    return Vernichtungsliste.objects.unscoped().filter(protocol_sha256=sha256).exists()
