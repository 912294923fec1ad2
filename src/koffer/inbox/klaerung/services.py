"""Every write of triage (die Zuordnung): open a document (a claim, so that a second
person at another screen is told who has it), file it into an Akte, mark it not
assignable with a reason, hand it to another team, split it at a page, merge it with
another document of its file, turn a page. Filing goes through the pipeline's own
``file_document``; its state check under a row lock is what keeps two people from
filing one document twice (the second is told who filed it and when).

Split, merge and turn change the document's pages: the new original PDF is made at
once (pages copied as they are, a turn is the page's /Rotate: nothing decoded), so the
page images show the change; the text, codes' meaning, identifiers, kind and
suggestions are found again by the job ``inbox.neuerkennung`` (``tasks``), never in the
request. Until it has, the document „wird neu erkannt“ and cannot be filed or changed."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.inbox.errors import Conflict, InboxError
from koffer.inbox.klaerung.selectors import CLAIM_MINUTES
from koffer.inbox.models import Eingangsdokument, Stapel, Stapeldatei
from koffer.inbox.online import services as online
from koffer.inbox.rueckscan import services as rueckscan
from koffer.inbox.verarbeitung import seiten
from koffer.inbox.verarbeitung import services as pipeline
from koffer.inbox.verarbeitung.regeln import regeln
from koffer.jobs import services as jobs
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Vorgang
from koffer.tenancy.models import Organisationseinheit

State = Eingangsdokument.State
MAX_REASON = 500
REWORK_JOB_KIND = "inbox.neuerkennung"  # registered by ``klaerung.tasks``
TURNS = (90, 180, 270)


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
    if vorgang is None and doc.stapel.source == Stapel.Source.PORTAL and _offen(doc):
        # an online application opens its Vorgang as when its rule files it
        vorgang = online.vorgang_fuer(doc=doc, akte=akte)
    return pipeline.file_document(
        actor=actor, doc=doc, akte=akte, vorgang=vorgang, rule=rule, rules=regeln(doc.tenant_id)
    )


def _offen(doc: Eingangsdokument) -> bool:
    """Still waiting to be filed (a second person's filing opens nothing; the filing
    then tells them who was first)."""
    return (
        Eingangsdokument.objects.for_tenant(doc.tenant_id)
        .filter(pk=doc.pk, state__in=pipeline.OPEN_STATES)
        .exists()
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
        locked = pipeline.locked_waiting(doc)
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


# --- pages: split, merge, turn -------------------------------------------------------------


def _claimed_by_other(locked: Eingangsdokument, actor: User) -> Conflict | None:
    """A change of pages under another person's eyes is refused (they would file what
    they no longer see); a claim older than ``CLAIM_MINUTES`` has lapsed."""
    other = locked.claimed_by
    if other is None or other.pk == actor.pk or locked.claimed_at is None:
        return None
    if (timezone.now() - locked.claimed_at).total_seconds() >= CLAIM_MINUTES * 60:
        return None
    since = timezone.localtime(locked.claimed_at).strftime("%H:%M")
    return Conflict(
        "claimed_by_other",
        f"{other.get_full_name() or other.username} hat dieses Dokument seit {since} Uhr "
        "geöffnet; seine Seiten können Sie erst ändern, wenn es abgelegt ist oder die "
        "Person es freigibt.",
    )


def _check_pages_changeable(locked: Eingangsdokument, actor: User) -> None:
    """Only a document waiting in triage, not being re-recognised, not open elsewhere."""
    if locked.state != State.ZU_PRUEFEN:
        if locked.state == State.NEU:
            raise Conflict("processing", "Dieses Dokument wird noch verarbeitet.")
        raise pipeline.already_filed(locked)
    if locked.rework_job_id is not None:
        raise pipeline.being_reworked(locked)
    if not locked.original_sha256:
        raise Conflict("processing", "Dieses Dokument wird noch verarbeitet.")
    refused = _claimed_by_other(locked, actor)
    if refused is not None:
        raise refused


def _relocked(seen: Eingangsdokument, actor: User) -> Eingangsdokument:
    """The document under its row lock, still changeable and still as ``seen`` when the
    new original was made (two screens never change one document twice)."""
    locked = pipeline.locked_row(seen)
    _check_pages_changeable(locked, actor)
    if locked.original_sha256 != seen.original_sha256 or locked.pages != seen.pages:
        raise Conflict(
            "changed", "Das Dokument wurde inzwischen geändert; bitte laden Sie die Seite neu."
        )
    return locked


def _stored(tenant_id: uuid.UUID, pdfs: Sequence[bytes]) -> tuple[list[str], list[uuid.UUID]]:
    """The new originals into the blob store (settled by the transaction that points to
    them, discarded when it fails)."""
    hashes = [hashlib.sha256(pdf).hexdigest() for pdf in pdfs]
    pending = documents.store_blobs(tenant_id=tenant_id, blobs=list(zip(hashes, pdfs, strict=True)))
    return hashes, pending


def _cleared(doc: Eingangsdokument, job_id: uuid.UUID, now: datetime) -> None:
    """What was recognised before the change no longer holds: cleared until the job has
    recognised the new pages (the suggestions must not be accepted meanwhile)."""
    doc.searchable_sha256, doc.text, doc.ocr_done, doc.pdfa, doc.rotated = "", "", False, False, []
    doc.antwortcode, doc.merkmale, doc.kind, doc.kind_confidence = None, {}, "", None
    doc.vorschlaege, doc.confidence = [], None
    # A target the rules had chosen (an automatic filing that failed) was for other pages.
    doc.akte, doc.vorgang, doc.filed_rule = None, None, ""
    doc.rework_job_id, doc.updated_at = job_id, now
    doc.reason = "Wird nach einer Änderung in der Zuordnung neu erkannt."


def _rework_job(actor: User, docs: Sequence[Eingangsdokument], what: str) -> uuid.UUID:
    job = jobs.start_job(
        actor=actor,
        tenant=docs[0].stapel.tenant,
        kind=REWORK_JOB_KIND,
        title=f"Neuerkennung nach {what} (Stapel {docs[0].stapel.batch_id})",
        params={"dokumente": [str(d.pk) for d in docs]},
    )
    return job.pk


def _pages_of(mapping: dict[str, Any], pages: Sequence[int]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if int(k) in set(pages)}


def _codes_of(doc: Eingangsdokument, pages: Sequence[int]) -> list[dict[str, Any]]:
    return [c for c in doc.codes if c.get("page") in set(pages)]


def _who(actor: User) -> str:
    return actor.get_full_name() or actor.username


def split(*, actor: User, doc: Eingangsdokument, page: int) -> Eingangsdokument:
    """Split ``doc`` before its page ``page`` (from 1, as people count): it keeps the
    pages before, a new document of the same file gets ``page`` and the rest. Both are
    re-recognised by a job. Returns the new document."""
    _check_pages_changeable(doc, actor)  # cheap, before the work; again under the lock
    count = len(doc.pages)
    if not 2 <= page <= count:
        raise InboxError(
            "invalid_page",
            f"Ein Dokument mit {count} Seite{'n' if count != 1 else ''} lässt sich nur vor "
            + (f"einer Seite von 2 bis {count} teilen." if count > 1 else "gar nicht teilen."),
        )
    original = pipeline.original_bytes(doc)
    cut = page - 1
    first_pdf = seiten.extract_pdf(original, range(cut))
    rest_pdf = seiten.extract_pdf(original, range(cut, count))
    (first_sha, rest_sha), pending = _stored(doc.tenant_id, [first_pdf, rest_pdf])
    try:
        with transaction.atomic():
            # The file's row first: two splits in one file never take the same part number.
            Stapeldatei.objects.for_tenant(doc.tenant_id).select_for_update().get(pk=doc.datei_id)
            locked = _relocked(doc, actor)
            documents.settle_blobs(pending)
            now = timezone.now()
            before, after = locked.pages[:cut], locked.pages[cut:]
            teil = (
                Eingangsdokument.objects.for_tenant(doc.tenant_id)
                .filter(datei_id=doc.datei_id)
                .aggregate(last=Max("teil"))["last"]
            )
            new = Eingangsdokument(
                tenant_id=locked.tenant_id,
                stapel=locked.stapel,
                datei_id=locked.datei_id,
                teil=(teil or 0) + 1,
                pages=after,
                first_page=after[0],
                state=State.ZU_PRUEFEN,
                original_sha256=rest_sha,
                codes=_codes_of(locked, after),
                turns=_pages_of(locked.turns, after),
                unit_id=locked.unit_id,
                created_at=locked.created_at,  # the post arrived then: its age in the queue
            )
            label = locked.pages_label
            locked.pages, locked.original_sha256 = before, first_sha
            locked.codes, locked.turns = _codes_of(locked, before), _pages_of(locked.turns, before)
            job_id = _rework_job(actor, [locked, new], "dem Teilen")
            _cleared(new, job_id, now)
            _cleared(locked, job_id, now)
            new.save()
            locked.save()
            pipeline.log(
                locked.stapel,
                "aufgeteilt",
                f"{label}: vor Seite {after[0] + 1} geteilt in {locked.pages_label} und "
                f"{new.pages_label} ({_who(actor)})",
                dokument=locked,
                actor=actor,
                data={
                    "pages": [p + 1 for p in before],
                    "new": str(new.pk),
                    "new_pages": [p + 1 for p in after],
                },
            )
            audit.record(
                actor=actor,
                tenant_id=locked.tenant_id,
                action="inbox.dokument.split",
                obj=locked,
                changes={
                    "pages": {
                        "old": [p + 1 for p in before + after],
                        "new": [p + 1 for p in before],
                    },
                    "new_document": str(new.pk),
                    "new_pages": [p + 1 for p in after],
                    "job": str(job_id),
                },
            )
    except BaseException:
        documents.discard_blobs(pending)
        raise
    return new


def merge(*, actor: User, doc: Eingangsdokument, other: Eingangsdokument) -> Eingangsdokument:
    """Merge ``other`` into ``doc``: the pages of both in the file's order in ``doc``,
    ``other`` marked merged (kept with its pages and original, nothing deleted). Both
    must wait in triage in the same file. The result is re-recognised by a job."""
    if other.pk == doc.pk:
        raise InboxError(
            "same_document", "Ein Dokument lässt sich nicht mit sich selbst zusammenführen."
        )
    if other.datei_id != doc.datei_id:
        raise InboxError(
            "other_file",
            "Zusammenführen geht nur mit einem Dokument aus derselben Datei des Stapels.",
        )
    _check_pages_changeable(doc, actor)
    _check_pages_changeable(other, actor)
    ordered = sorted([doc, other], key=lambda d: min(d.pages, default=0))
    joined = seiten.join([pipeline.original_bytes(d) for d in ordered])
    (joined_sha,), pending = _stored(doc.tenant_id, [joined])
    try:
        with transaction.atomic():
            # Fixed lock order (by id), so two people merging the same pair never deadlock.
            rows = {d.pk: _relocked(d, actor) for d in sorted([doc, other], key=lambda d: d.pk)}
            locked, gone = rows[doc.pk], rows[other.pk]
            documents.settle_blobs(pending)
            now = timezone.now()
            first, second = sorted([locked, gone], key=lambda d: min(d.pages, default=0))
            label, other_label = locked.pages_label, gone.pages_label
            locked.codes = sorted(
                [*first.codes, *second.codes], key=lambda c: (c.get("page", 0), c.get("text", ""))
            )
            locked.turns = {**first.turns, **second.turns}
            locked.pages = [*first.pages, *second.pages]
            locked.first_page = min(locked.pages)
            locked.original_sha256 = joined_sha
            locked.created_at = min(locked.created_at, gone.created_at)
            job_id = _rework_job(actor, [locked], "dem Zusammenführen")
            _cleared(locked, job_id, now)
            locked.save()
            gone.state, gone.merged_into = State.ZUSAMMENGEFUEHRT, locked
            gone.reason = f"Zusammengeführt mit dem Dokument {label} ({_who(actor)})."
            gone.filed_by, gone.filed_at = actor, now
            gone.claimed_by, gone.claimed_at, gone.updated_at = None, None, now
            gone.save()
            pipeline.log(
                locked.stapel,
                "zusammengefuehrt",
                f"{label} und {other_label}: zusammengeführt zu {locked.pages_label} "
                f"({_who(actor)})",
                dokument=locked,
                actor=actor,
                data={"merged": str(gone.pk), "pages": [p + 1 for p in locked.pages]},
            )
            audit.record(
                actor=actor,
                tenant_id=locked.tenant_id,
                action="inbox.dokument.merge",
                obj=locked,
                changes={
                    "merged": str(gone.pk),
                    "pages": [p + 1 for p in locked.pages],
                    "job": str(job_id),
                },
            )
    except BaseException:
        documents.discard_blobs(pending)
        raise
    return locked


def turn(*, actor: User, doc: Eingangsdokument, page: int, degrees: int) -> Eingangsdokument:
    """Turn the document's page ``page`` (from 1) clockwise by ``degrees`` (90, 180,
    270): recorded on the document (``turns``, by the file's page) and in its original
    PDF as the page's /Rotate, so the page image shows it at once; the searchable PDF and
    the text are made again by a job."""
    _check_pages_changeable(doc, actor)
    count = len(doc.pages)
    if not 1 <= page <= count:
        raise InboxError(
            "invalid_page",
            f"Das Dokument hat {count} Seite{'n' if count != 1 else ''}; "
            f"bitte eine Seite von 1 bis {count} wählen.",
        )
    if degrees not in TURNS:
        raise InboxError("invalid_degrees", "Eine Seite dreht sich um 90, 180 oder 270 Grad.")
    turned = seiten.rotate(pipeline.original_bytes(doc), {page - 1: degrees})
    (turned_sha,), pending = _stored(doc.tenant_id, [turned])
    try:
        with transaction.atomic():
            locked = _relocked(doc, actor)
            documents.settle_blobs(pending)
            in_file = locked.pages[page - 1]
            turns = dict(locked.turns)
            total = (int(turns.get(str(in_file), 0)) + degrees) % 360
            if total:
                turns[str(in_file)] = total
            else:
                turns.pop(str(in_file), None)
            locked.turns, locked.original_sha256 = turns, turned_sha
            job_id = _rework_job(actor, [locked], "dem Drehen")
            _cleared(locked, job_id, timezone.now())
            locked.save()
            pipeline.log(
                locked.stapel,
                "gedreht",
                f"Seite {in_file + 1}: um {degrees}° im Uhrzeigersinn gedreht ({_who(actor)})",
                dokument=locked,
                actor=actor,
                data={"page": in_file + 1, "degrees": degrees, "turned": total},
            )
            audit.record(
                actor=actor,
                tenant_id=locked.tenant_id,
                action="inbox.dokument.turn",
                obj=locked,
                changes={"page": in_file + 1, "degrees": degrees, "job": str(job_id)},
            )
    except BaseException:
        documents.discard_blobs(pending)
        raise
    return locked
