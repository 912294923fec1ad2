"""The job ``inbox.neuerkennung``: after a split, merge or turn in triage, the changed
documents are recognised again from their new original PDF — text layer or OCR (the
searchable PDF made anew), identifiers, kind, suggestions — with the pipeline's own steps
(``verarbeitung.schritte``) and written by its ``record_rework``. The codes stay those
read when the batch was processed: they belong to pages, and pages only moved.

Slow work runs before its job step and outside any transaction; a job superseded by a
later change (the document names another job) writes nothing, so a rerun after a crash
or a stale run changes nothing twice.
"""

from __future__ import annotations

import logging
import uuid

from koffer.accounts.roles import Perm
from koffer.inbox.klaerung.services import REWORK_JOB_KIND
from koffer.inbox.models import Eingangsdokument
from koffer.inbox.verarbeitung import schritte
from koffer.inbox.verarbeitung import services as pipeline
from koffer.inbox.verarbeitung.regeln import regeln
from koffer.jobs import registry
from koffer.jobs.runner import JobRun, Outcome
from koffer.records.dokumente import services as documents

logger = logging.getLogger("koffer.inbox")
JOBS_PER_DOCUMENT = 2  # one document at a time: its OCR gets both cores


def rework(*, run: JobRun, doc: Eingangsdokument) -> None:
    """Recognise one changed document again and record what was found (one job step)."""
    key = f"neu-erkannt-{doc.pk}"
    if run.is_done(key) or doc.rework_job_id != run.job.pk:
        return
    erkennung = schritte.read_text(pipeline.original_bytes(doc), jobs=JOBS_PER_DOCUMENT)
    rules = regeln(doc.tenant_id)
    found = schritte.assess(
        doc.tenant_id,
        erkennung.text,
        [c["text"] for c in doc.codes],
        rueckpost_marked=schritte.rueckpost_marked(doc.stapel, doc.datei),
    )
    decision = schritte.decide(found, rules, erkennung.problem)
    pending = documents.store_blobs(tenant_id=doc.tenant_id, blobs=erkennung.blobs())

    def write() -> None:
        pipeline.record_rework(
            doc=doc,
            job_id=run.job.pk,
            erkennung=erkennung,
            found=found,
            decision=decision,
            pending=pending,
        )

    try:
        run.step(key, write)
    except BaseException:
        documents.discard_blobs(pending)
        raise


def _rework_or_free(run: JobRun, doc: Eingangsdokument) -> None:
    """A document the steps cannot read (its blob gone, a page PDFium refuses) must not
    wait for ever: it is freed with the reason, the error logged for the operator."""
    try:
        rework(run=run, doc=doc)
    except Exception:
        logger.exception("Neuerkennung von %s fehlgeschlagen", doc.pk)

        def free() -> None:
            pipeline.record_rework_failed(doc=doc, job_id=run.job.pk)

        run.step(f"neu-erkannt-{doc.pk}", free)


def _rework_job(run: JobRun) -> Outcome:
    ids = [uuid.UUID(str(i)) for i in run.params.get("dokumente", [])]
    docs = list(
        Eingangsdokument.objects.for_tenant(run.tenant_id)
        .filter(pk__in=ids)
        .select_related("stapel")
        .order_by("created_at", "teil")
    )
    for done, doc in enumerate(docs):
        _rework_or_free(run, doc)
        run.progress(done + 1, len(docs), f"{done + 1} von {len(docs)} Dokumenten neu erkannt")
    return Outcome(
        f"{len(docs)} Dokument{'e' if len(docs) != 1 else ''} der Zuordnung neu erkannt."
    )


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=REWORK_JOB_KIND,
            label="Neuerkennung in der Zuordnung",
            description="Erkennt Dokumente der Zuordnung nach dem Teilen, Zusammenführen "
            "oder Drehen von Seiten neu: Text (Texterkennung), Merkmale, Dokumentart und "
            "Vorschläge.",
            handler=_rework_job,
            permission=Perm.INBOX_PROCESS,
            offered=False,
        )
    )
