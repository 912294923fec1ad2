"""Background work on stored documents: the full text of long PDFs. The django-tasks entry
point stays at :func:`koffer.records.documents.complete_text` (its stored path)."""

from __future__ import annotations

import uuid

from django.db import transaction

from koffer.blobs.store import get_store
from koffer.records.dokumente import inspection
from koffer.records.dokumente.content import MAX_TEXT_CHARS, MIN_CHARS_PER_PAGE, PdfFacts
from koffer.records.dokumente.limits import inspection_bounds, refusals
from koffer.records.models import Dokument, DokumentVersion
from koffer.records.suche import services as search


def complete_text_now(version_id: str) -> int:
    """The full text of a long PDF whose upload extracted only the first pages (run by the
    task :func:`koffer.records.documents.complete_text`)."""
    version = (
        DokumentVersion.objects.unscoped()
        .select_related("dokument")
        .filter(pk=uuid.UUID(version_id))
        .first()
    )
    if version is None:
        return 0
    return extract_full_text(version)


def extract_full_text(version: DokumentVersion) -> int:
    """Replace the version's text with the text of all its pages and index it again.
    Text is derived data: the version's bytes stay as they are. Returns the text length."""
    sha256 = version.pdf_sha256 or version.sha256
    with get_store().open(sha256) as stream:
        data = stream.read()
    # In the bounded child as at upload: a job is no place for an unbounded decompression.
    with refusals():
        found, _ = inspection.inspect_contained(
            "pdf", data, inspection_bounds(version.tenant_id, text_pages=None)
        )
    facts = PdfFacts(
        page_count=int(found["page_count"]),
        text="\n\f".join(found["texts"])[:MAX_TEXT_CHARS],
        text_complete=True,
    )
    with transaction.atomic():
        DokumentVersion.objects.for_tenant(version.tenant_id).filter(pk=version.pk).update(
            text=facts.text
        )
        version.text = facts.text
        dokument = version.dokument
        if dokument.current_version_id == version.pk and dokument.needs_ocr:
            still_missing = (
                len("".join(facts.text.split())) < MIN_CHARS_PER_PAGE * facts.page_count / 2
            )
            if not still_missing:
                Dokument.objects.for_tenant(version.tenant_id).filter(pk=dokument.pk).update(
                    needs_ocr=False
                )
        search.index_version(version)
    return len(facts.text)
