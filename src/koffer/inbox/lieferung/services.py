"""Every write of a delivery: take a batch in, record the check of each file, close the
check. The API, the drop folder (``ordner``) and the demo call the same functions.

Nothing lost, nothing twice: a batch is unique per Mandant, provider and batch id, and its
``delivery_sha256`` (the Lieferschein's hash and each delivered file's name and hash)
tells the same batch delivered again (answered with the stored batch) from another batch
under a used id (409). The files' bytes go into the blob store (announced in the E-Akte's
blob ledger, like an upload's) before the one short transaction that writes the batch, its
files, the audit event and the verification job, so a batch is never accepted without its
bytes; a process killed before that commit leaves only announced blobs, which a retry
finds stored and ``records_blob_gc`` removes if nobody retries. Each later write checks the state it starts
from, so running it again after an interruption changes nothing.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.db import IntegrityError, transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.blobs.store import hash_stream
from koffer.inbox import access as rules
from koffer.inbox.errors import Conflict, Forbidden, InboxError
from koffer.inbox.lieferung import manifest
from koffer.inbox.lieferung.pruefung import Finding
from koffer.inbox.models import Ablehnung, Problem, Stapel, Stapeldatei
from koffer.jobs import services as jobs
from koffer.records.dokumente import services as documents
from koffer.tenancy.models import Mandant

JOB_KIND = "inbox.pruefung"
PROCESSING_JOB_KIND = "inbox.verarbeitung"  # registered by ``verarbeitung.tasks``


@dataclass
class IncomingFile:
    """One delivered file: its name in the batch and its bytes, either an upload's stream
    or a file on disk (opened only while it is read: a batch may hold 2,000 files)."""

    name: str
    stream: IO[bytes] | None = None
    path: Path | None = None

    @contextmanager
    def opened(self) -> Iterator[IO[bytes]]:
        """The bytes from their start."""
        if self.stream is not None:
            self.stream.seek(0)
            yield self.stream
            return
        if self.path is None:
            raise ValueError("IncomingFile ohne Inhalt")
        with self.path.open("rb") as stream:
            yield stream


@dataclass(frozen=True)
class Delivery:
    stapel: Stapel
    created: bool  # False: the same batch was delivered before, nothing was stored again


def step_reached(name: str) -> None:
    """Called after each step of a delivery and of its check. It does nothing; the
    interruption tests raise here to stand for a process killed at that point."""


def blob_referenced(sha256: str) -> bool:
    """Whether a delivered file points to this blob (asked by the blob ledger)."""
    return Stapeldatei.objects.unscoped().filter(sha256=sha256).exists()


def delivery_hash(manifest_sha256: str, files: Sequence[tuple[str, str]]) -> str:
    """What makes a delivery the same: the Lieferschein and every file by name and hash."""
    digest = hashlib.sha256(manifest_sha256.encode())
    for name, sha256 in sorted(files):
        digest.update(b"\0" + name.encode() + b"\0" + sha256.encode())
    return digest.hexdigest()


def _hashes(files: Sequence[IncomingFile]) -> dict[str, tuple[str, int]]:
    if len(files) > manifest.MAX_FILES:
        raise InboxError(
            "too_many_files",
            f"Ein Stapel darf höchstens {manifest.MAX_FILES} Dateien haben; bitte teilen Sie ihn.",
        )
    names = [manifest.check_file_name(f.name) for f in files]
    if len(set(names)) != len(names):
        raise InboxError(
            "duplicate_file", "Eine Datei wurde mehrfach unter demselben Namen geliefert."
        )
    found: dict[str, tuple[str, int]] = {}
    for file in files:
        with file.opened() as stream:
            found[file.name] = hash_stream(stream)
    return found


def _store(
    tenant: Mandant, files: Sequence[IncomingFile], hashes: dict[str, tuple[str, int]]
) -> list[uuid.UUID]:
    """Every file into the blob store, announced in the blob ledger; on a failure what
    was stored already is discarded."""
    pending: list[uuid.UUID] = []
    try:
        for file in files:
            with file.opened() as stream:
                pending += documents.store_blobs(
                    tenant_id=tenant.pk, blobs=[(hashes[file.name][0], stream)]
                )
    except BaseException:
        documents.discard_blobs(pending)
        raise
    return pending


def _existing(tenant: Mandant, provider_id: object, batch_id: str) -> Stapel | None:
    return (
        Stapel.objects.for_tenant(tenant).filter(provider_id=provider_id, batch_id=batch_id).first()
    )


def _same_or_conflict(stapel: Stapel, delivery_sha256: str) -> Delivery:
    if stapel.delivery_sha256 != delivery_sha256:
        raise Conflict(
            "batch_conflict",
            f"Der Stapel „{stapel.batch_id}“ wurde am "
            f"{timezone.localtime(stapel.created_at):%d.%m.%Y um %H:%M} Uhr mit anderem Inhalt "
            "eingeliefert. Eine Stapelnummer gilt für genau einen Inhalt; bitte liefern Sie "
            "ihn unter einer neuen Stapelnummer.",
        )
    return Delivery(stapel=stapel, created=False)


def deliver(
    *,
    actor: Actor,
    access: Access,
    tenant: Mandant,
    manifest_bytes: bytes,
    files: Sequence[IncomingFile],
    source: str = Stapel.Source.API,
    start_check: bool = True,
) -> Delivery:
    """Take in a batch: its Lieferschein (kept verbatim with its SHA-256) and its files.
    Idempotent: the same batch again answers the stored batch (``created`` False), the
    same batch id with other content raises Conflict. The files are in the blob store
    before the batch is accepted; the check runs as a job (``start_check``)."""
    if not rules.delivers(access, tenant):
        raise Forbidden("forbidden", "Sie dürfen hier keine Scan-Stapel einliefern.")
    unit_id = rules.delivery_unit(access)
    if unit_id is None:
        raise Forbidden("forbidden", "Sie dürfen hier keine Scan-Stapel einliefern.")
    note = manifest.parse(manifest_bytes)
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    hashes = _hashes(files)
    delivery_sha256 = delivery_hash(manifest_sha256, [(n, h) for n, (h, _) in hashes.items()])
    earlier = _existing(tenant, actor.pk, note.batch_id)
    if earlier is not None:
        return _same_or_conflict(earlier, delivery_sha256)
    pending = _store(tenant, files, hashes)
    try:
        step_reached("gespeichert")
        with transaction.atomic():
            stapel = _write(
                actor=actor,
                tenant=tenant,
                unit_id=unit_id,
                note=note,
                raw=manifest_bytes,
                manifest_sha256=manifest_sha256,
                delivery_sha256=delivery_sha256,
                hashes=hashes,
                source=source,
            )
            if start_check:
                job = jobs.start_job(
                    actor=actor,
                    tenant=tenant,
                    kind=JOB_KIND,
                    title=f"Prüfung Scan-Stapel {note.batch_id}",
                    params={"stapel": str(stapel.pk)},
                )
                Stapel.objects.for_tenant(tenant).filter(pk=stapel.pk).update(job_id=job.pk)
                stapel.job_id = job.pk
            documents.settle_blobs(pending)
    except IntegrityError:
        # The same batch id arrived in parallel and committed first.
        documents.discard_blobs(pending)
        earlier = _existing(tenant, actor.pk, note.batch_id)
        if earlier is None:
            raise
        return _same_or_conflict(earlier, delivery_sha256)
    except BaseException:
        documents.discard_blobs(pending)
        raise
    step_reached("angenommen")
    return Delivery(stapel=stapel, created=True)


def _write(
    *,
    actor: Actor,
    tenant: Mandant,
    unit_id: uuid.UUID,
    note: manifest.Lieferschein,
    raw: bytes,
    manifest_sha256: str,
    delivery_sha256: str,
    hashes: dict[str, tuple[str, int]],
    source: str,
) -> Stapel:
    stapel = Stapel.objects.create(
        tenant=tenant,
        provider_id=actor.pk,
        unit_id=unit_id,
        batch_id=note.batch_id,
        scan_date=note.scan_date,
        operator=note.operator,
        scanner=note.scanner,
        quality=note.quality,
        quality_passed=note.quality_passed,
        manifest=raw.decode("utf-8"),
        manifest_sha256=manifest_sha256,
        delivery_sha256=delivery_sha256,
        source=source,
        art=note.art,
    )
    rows = []
    for position, declared in enumerate(note.files):
        sha256, size = hashes.get(declared.name, ("", 0))
        rows.append(
            Stapeldatei(
                tenant=tenant,
                stapel=stapel,
                position=position,
                name=declared.name,
                declared_pages=declared.pages,
                declared_sha256=declared.sha256,
                sha256=sha256,
                size=size,
                state=Stapeldatei.State.ANGENOMMEN if sha256 else Stapeldatei.State.FEHLT,
                rueckpost=declared.rueckpost,
            )
        )
    declared_names = {f.name for f in note.files}
    extra = sorted(n for n in hashes if n not in declared_names)
    for offset, name in enumerate(extra):
        sha256, size = hashes[name]
        rows.append(
            Stapeldatei(
                tenant=tenant,
                stapel=stapel,
                position=len(note.files) + offset,
                name=name,
                declared=False,
                sha256=sha256,
                size=size,
            )
        )
    Stapeldatei.objects.bulk_create(rows)
    audit.record(
        actor=actor,
        tenant_id=tenant.pk,
        action="inbox.stapel.deliver",
        obj=stapel,
        changes={
            "batch_id": note.batch_id,
            "source": source,
            "scan_date": note.scan_date.isoformat(),
            "operator": note.operator,
            "scanner": note.scanner,
            "quality": note.quality,
            "manifest_sha256": manifest_sha256,
            "delivery_sha256": delivery_sha256,
            "files": {name: sha256 for name, (sha256, _) in sorted(hashes.items())},
        },
    )
    return stapel


def record_refusal(
    *, actor: User, access: Access, tenant: Mandant, folder: str, kept_as: str, reason: str
) -> Ablehnung:
    """A batch folder of the drop folder that could not be delivered, kept aside under
    ``kept_as``: recorded and audited, so that the provider and the mail room see it."""
    with transaction.atomic():
        refusal = Ablehnung.objects.create(
            tenant=tenant,
            provider=actor,
            unit_id=rules.delivery_unit(access),
            folder=folder[:255],
            kept_as=kept_as[:300],
            reason=reason,
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="inbox.ordner.refuse",
            obj=refusal,
            changes={"folder": refusal.folder, "kept_as": refusal.kept_as, "reason": reason},
        )
    return refusal


# --- the check ------------------------------------------------------------------------------


def begin_check(*, stapel: Stapel) -> None:
    """The batch is being checked (from ``angenommen`` only)."""
    Stapel.objects.for_tenant(stapel.tenant_id).filter(
        pk=stapel.pk, state=Stapel.State.ANGENOMMEN
    ).update(state=Stapel.State.IN_PRUEFUNG)


def _problem(stapel: Stapel, datei: Stapeldatei | None, code: str, message: str) -> None:
    key = f"{datei.pk if datei is not None else 'stapel'}:{code}"
    Problem.objects.get_or_create(
        tenant_id=stapel.tenant_id,
        stapel=stapel,
        key=key,
        defaults={"datei": datei, "code": code, "message": message},
    )


def record_file_check(*, datei: Stapeldatei, finding: Finding) -> None:
    """Write what the check found for one file: its state, pages and type, and its
    problem. A file already decided stays as it is (the check ran before)."""
    with transaction.atomic():
        if finding.problem is not None:
            _problem(datei.stapel, datei, *finding.problem)
        if datei.state != Stapeldatei.State.ANGENOMMEN:
            return
        Stapeldatei.objects.for_tenant(datei.tenant_id).filter(
            pk=datei.pk, state=Stapeldatei.State.ANGENOMMEN
        ).update(state=finding.state, pages=finding.pages, kind=finding.kind)


QUALITY_FAILED = (
    "Die Qualitätsprüfung des Scan-Dienstleisters ist laut Lieferschein nicht bestanden; "
    "die Originale dürfen nicht vernichtet werden."
)


def finish_check(*, actor: Actor | None, stapel: Stapel) -> Stapel:
    """Close the check: the batch's state from its files, and one audit event with the
    transfer note's hash, the quality result and what each file came to (TR-RESISCAN).
    A batch already closed stays as it is."""
    with transaction.atomic():
        stapel = Stapel.objects.for_tenant(stapel.tenant_id).select_for_update().get(pk=stapel.pk)
        if stapel.state != Stapel.State.IN_PRUEFUNG:
            return stapel
        if not stapel.quality_passed:
            _problem(stapel, None, "quality_failed", QUALITY_FAILED)
        states = dict(
            Stapeldatei.objects.for_tenant(stapel.tenant_id)
            .filter(stapel=stapel)
            .values_list("name", "state")
        )
        problems = sorted(
            Problem.objects.for_tenant(stapel.tenant_id)
            .filter(stapel=stapel)
            .values_list("code", flat=True)
        )
        if Stapeldatei.State.GEPRUEFT not in states.values():
            state = Stapel.State.QUARANTAENE
        elif problems:
            state = Stapel.State.MIT_PROBLEMEN
        else:
            state = Stapel.State.VERARBEITET
        stapel.state, stapel.checked_at = state, timezone.now()
        if state != Stapel.State.QUARANTAENE:
            # The checked files go on into the pipeline (split, recognise, file).
            stapel.processing_job_id = jobs.start_job(
                actor=actor,  # type: ignore[arg-type]  # None: the check job itself
                tenant=stapel.tenant,
                kind=PROCESSING_JOB_KIND,
                title=f"Verarbeitung Scan-Stapel {stapel.batch_id}",
                params={"stapel": str(stapel.pk)},
            ).pk
        stapel.save(update_fields=["state", "checked_at", "processing_job_id"])
        audit.record(
            actor=actor,
            tenant_id=stapel.tenant_id,
            action="inbox.stapel.check",
            obj=stapel,
            changes={
                "state": state,
                "manifest_sha256": stapel.manifest_sha256,
                "quality": stapel.quality,
                "quality_passed": stapel.quality_passed,
                "files": states,
                "problems": problems,
            },
        )
    return stapel
