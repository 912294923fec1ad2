"""The pipeline as the job kind ``inbox.verarbeitung``, started when a batch's check
closes: split each checked file at its separator sheets, recognise each document (text,
codes, identifiers, kind, Akte), file it or send it to triage, close the batch.

Each write is a job step, each slow part (reading codes, OCR) runs before its step and
outside any transaction, so a worker killed at any point resumes where it stopped: no
page is in two documents, no document filed twice (the filing is idempotent by its key).
Consecutive documents of a file are recognised together, in runs of up to
:data:`RUN_PAGES` pages with one OCR process (two workers) each, two runs at a time.
The files are split one after the other as the OCR goes on (the next file's codes are
read while this file's runs are OCR'd), and each document is placed and filed in this
thread as soon as it is recognised: no core waits for the split before the first OCR or
for the filing after the last (``benchmarks/inbox_pipeline.py``).
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

from koffer.accounts.roles import Perm
from koffer.inbox.errors import InboxError
from koffer.inbox.models import Eingangsdokument, Stapel, Stapeldatei
from koffer.inbox.rueckpost import services as rueckpost
from koffer.inbox.rueckscan import selectors as rueckscan_selectors
from koffer.inbox.rueckscan import services as rueckscan
from koffer.inbox.verarbeitung import schritte, services
from koffer.inbox.verarbeitung.regeln import Regeln, regeln
from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome
from koffer.records.dokumente import services as documents
from koffer.records.errors import RecordsError

JOB_KIND = services.JOB_KIND
WORKERS = 2
# Pages OCR'd in one run: the start and PDF/A conversion (about 2 s of CPU) shared out.
RUN_PAGES = 24
# Runs started before the oldest one's documents are written.
AHEAD = WORKERS * 2
State = Eingangsdokument.State


def step_reached(name: str) -> None:
    """Called after each step; the interruption tests raise here to stand for a process
    killed at that point."""


class _Steps:
    def __init__(self, run: JobRun | None) -> None:
        self.run = run

    def done(self, key: str) -> bool:
        return self.run is not None and self.run.is_done(key)

    def __call__(self, key: str, work: Callable[[], object]) -> None:
        def write() -> None:
            work()

        if self.run is not None:
            self.run.step(key, write)
        else:
            write()
        step_reached(key)


def process_stapel(*, stapel: Stapel, run: JobRun | None = None) -> Stapel:
    """Every checked file of the batch, every document in it; see the module docstring."""
    step = _Steps(run)
    rules = regeln(stapel.tenant_id)
    step("beginn", partial(services.begin, stapel=stapel))
    dateien = list(
        Stapeldatei.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel, state=Stapeldatei.State.GEPRUEFT)
        .select_related("stapel")
        .order_by("position")
    )
    progress = _Progress(run, len(dateien))
    # Each document is placed and filed as soon as it is recognised: the database work
    # runs in this thread while the next runs' OCR keeps both cores busy (filed after all
    # were recognised, it left one core idle at the batch's end).
    files = _split_files(stapel, dateien, rules, step, progress)
    for doc, erkennung in _recognised(files, step):
        _place(doc, erkennung, rules, step)
        _file_planned(doc, rules, step)
        progress.recognised()
    # The documents recognised by an earlier, interrupted run (and any of the batch in no
    # checked file): recognised if they are not yet, filed if they wait for it.
    waiting = _documents(stapel)
    for doc, erkennung in _recognised([waiting], step):
        _place(doc, erkennung, rules, step)
    for doc in waiting:
        _file_planned(doc, rules, step)
    step("abschluss", partial(services.finish, stapel=stapel))
    return Stapel.objects.for_tenant(stapel.tenant_id).get(pk=stapel.pk)


class _Progress:
    """The job's progress: files split and documents recognised."""

    def __init__(self, run: JobRun | None, files: int) -> None:
        self.run, self.files, self.split, self.docs = run, files, 0, 0

    def file_split(self) -> None:
        self.split += 1
        self._report()

    def recognised(self) -> None:
        self.docs += 1
        self._report()

    def _report(self) -> None:
        if self.run is not None:
            self.run.progress(
                self.split,
                self.files,
                f"{self.split} von {self.files} Dateien geteilt, {self.docs} Dokument(e) erkannt",
            )


def _documents(stapel: Stapel, datei: Stapeldatei | None = None) -> list[Eingangsdokument]:
    found = Eingangsdokument.objects.for_tenant(stapel.tenant_id).filter(stapel=stapel)
    if datei is not None:
        found = found.filter(datei=datei)
    return list(found.select_related("stapel", "datei").order_by("datei__position", "teil"))


def _split_files(
    stapel: Stapel,
    dateien: list[Stapeldatei],
    rules: Regeln,
    step: _Steps,
    progress: _Progress,
) -> Iterator[list[Eingangsdokument]]:
    """Each file split at its separator sheets (once), then its documents. A generator:
    the next file is split while the OCR of the one before runs in the pool's threads."""
    record = rueckscan.record_split if stapel.art == Stapel.Art.RUECKSCAN else services.record_split
    for datei in dateien:
        key = f"teilen-{datei.pk}"
        if not (step.done(key) or datei.dokumente.exists()):
            found = schritte.split_file(datei, rules)
            step(key, partial(record, datei=datei, found=found))
        progress.file_split()
        yield _documents(stapel, datei)


def _recognised(
    files: Iterable[list[Eingangsdokument]], step: _Steps
) -> Iterator[tuple[Eingangsdokument, schritte.Erkennung]]:
    """The documents still to recognise with their text, file by file. Consecutive
    documents of a file are recognised together in runs of up to :data:`RUN_PAGES` pages
    (one OCR start and PDF/A conversion per run), two runs at a time in threads, so one
    run's single-core parts (start, PDF/A) overlap the other's OCR, and a new run starts
    as soon as one ends (the work is in child processes; no database access in the
    threads). ``files`` is taken one file at a time, so the next file is split while
    this one's runs are read."""
    read: dict[uuid.UUID, bytes] = {}

    def data_of(doc: Eingangsdokument) -> bytes:
        if doc.datei_id not in read:
            read.clear()  # keep one file's bytes at a time
            read[doc.datei_id] = schritte.read_file(doc.datei)
        return read[doc.datei_id]

    pending: deque[tuple[list[Eingangsdokument], Future[list[schritte.Erkennung]]]] = deque()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        try:
            for docs in files:
                todo = [d for d in docs if d.state == State.NEU and not d.original_sha256]
                todo = [d for d in todo if not step.done(f"erkannt-{d.pk}")]
                # Runs start as workers free up (a short run never waits for a long one
                # beside it), a few ahead; their documents are written in order.
                for run in _runs(todo):
                    pages = [d.pages for d in run]
                    work = pool.submit(
                        schritte.recognise_together, data_of(run[0]), pages, jobs=WORKERS
                    )
                    pending.append((run, work))
                    while len(pending) > AHEAD:
                        done, future = pending.popleft()
                        yield from zip(done, future.result(), strict=True)
            while pending:
                done, future = pending.popleft()
                yield from zip(done, future.result(), strict=True)
        finally:
            for _, future in pending:  # stopped early: runs not begun are not begun
                future.cancel()


def _runs(docs: list[Eingangsdokument]) -> list[list[Eingangsdokument]]:
    """``docs`` in order, cut into runs of one file and at most :data:`RUN_PAGES` pages
    (a longer document is a run of its own)."""
    runs: list[list[Eingangsdokument]] = []
    pages = 0
    for doc in docs:
        size = len(doc.pages)
        if runs and runs[-1][0].datei_id == doc.datei_id and pages + size <= RUN_PAGES:
            runs[-1].append(doc)
            pages += size
        else:
            runs.append([doc])
            pages = size
    return runs


def _place(
    doc: Eingangsdokument, erkennung: schritte.Erkennung, rules: Regeln, step: _Steps
) -> None:
    if doc.stapel.art == Stapel.Art.RUECKSCAN:  # the Deckblatt says where it goes
        found = rueckscan_selectors.EINSCHAETZUNG
        decision = rueckscan_selectors.decide(doc.tenant_id, doc.codes)
    else:
        codes = [c["text"] for c in doc.codes]
        found = schritte.assess(
            doc.tenant_id,
            erkennung.text,
            codes,
            rueckpost_marked=schritte.rueckpost_marked(doc.stapel, doc.datei),
        )
        decision = schritte.decide(found, rules, erkennung.problem)
    pending = documents.store_blobs(tenant_id=doc.tenant_id, blobs=erkennung.blobs())
    try:
        step(
            f"erkannt-{doc.pk}",
            partial(
                services.record_recognition,
                doc=doc,
                erkennung=erkennung,
                found=found,
                decision=decision,
                pending=pending,
            ),
        )
    except BaseException:
        documents.discard_blobs(pending)
        raise


def _file_planned(doc: Eingangsdokument, rules: Regeln, step: _Steps) -> None:
    """A document the rules chose an Akte for: filed, unless that cannot be done."""
    doc = (
        Eingangsdokument.objects.for_tenant(doc.tenant_id)
        .select_related("stapel", "datei", "akte", "vorgang")
        .get(pk=doc.pk)
    )
    if doc.state != State.NEU or doc.akte_id is None:
        return
    try:
        if doc.stapel.art == Stapel.Art.RUECKSCAN:
            rueckscan.file_document(
                actor=None, doc=doc, akte=doc.akte, rule=doc.filed_rule, rules=rules, step=step
            )
        else:
            services.file_document(
                actor=None,
                doc=doc,
                akte=doc.akte,
                vorgang=doc.vorgang,
                rule=doc.filed_rule,
                rules=rules,
                step=step,
                # Returned mail: its letter marked undeliverable instead of „Neuer
                # Posteingang“ (that Wiedervorlage comes from the letter's side).
                record=rueckpost.record_filing if doc.rueckpost_grund else None,
            )
    except (InboxError, RecordsError) as exc:
        step(f"triage-{doc.pk}", partial(services.to_triage, doc=doc, reason=exc.message))


def _process_job(run: JobRun) -> Outcome:
    stapel = services.stapel_of(
        run.tenant_id, uuid.UUID(str(run.params.get("stapel", uuid.UUID(int=0))))
    )
    if stapel is None:
        raise JobError("Diesen Scan-Stapel gibt es nicht mehr.")
    stapel = process_stapel(stapel=stapel, run=run)
    waiting = (
        Eingangsdokument.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel, state=State.ZU_PRUEFEN)
        .count()
    )
    return Outcome(
        f"Scan-Stapel {stapel.batch_id}: verarbeitet, {waiting} Dokument(e) warten auf Zuordnung.",
        needs_attention=waiting > 0,
    )


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=JOB_KIND,
            label="Verarbeitung eines Scan-Stapels",
            description="Teilt die geprüften Dateien eines Scan-Stapels an Trennblättern in "
            "Dokumente, erkennt Text, Codes, Merkmale und Dokumentart, legt sicher "
            "zugeordnete Dokumente in ihre Akte und gibt die übrigen in die Zuordnung.",
            handler=_process_job,
            permission=Perm.INBOX_PROCESS,
            offered=False,
        )
    )
