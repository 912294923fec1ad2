"""The Koffer's search index, built from its checkout package (``KOFFER_MODE=koffer``).

The package writes its rows in bulk, past the document pipeline that indexes an upload in
the office, and its versions travel without their text (``selectors.VERSION_FIELDS``: the
file travels anyway). So the Koffer indexes in two steps:

1. :func:`eintragen`, inside the import's transaction: every document the package names
   (or whose new version it brings) is indexed with its title, kind and sender — and the
   text its version has here, if any. The Akten themselves are found by Aktenzeichen,
   BG-Nummer and name from their tables (``records.suche.find_akten``), as in the office.
2. :func:`texte_nachholen`, in the background after the files arrived (the task
   :data:`texte`, enqueued by the pull): the text of every current version that has none
   here although the office has one (the document does not wait for OCR) is extracted
   from the local file as the office does it — a PDF (or a converted document's PDF) in
   the bounded child (``records.dokumente.tasks.extract_full_text``), a plain-text file
   decoded — and stored on the local version and indexed. The local text is no change to
   send: a base version has no ``text`` field. No OCR on the Koffer: a scan the office has
   not read yet stays findable by its title until the office's text arrives with the
   next checkout.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import models, transaction
from django_tasks import task

from koffer.blobs.store import BlobNotFound, get_store
from koffer.records.dokumente import detect
from koffer.records.dokumente.content import MAX_TEXT_CHARS
from koffer.records.dokumente.tasks import extract_full_text
from koffer.records.models import DokumentVersion
from koffer.records.suche import services as search

logger = logging.getLogger("koffer.field")


def eintragen(tenant_id: uuid.UUID, objekte: list[dict[str, Any]]) -> int:
    """Index the documents the package names, or whose version it brings (in the import's
    transaction); returns how many."""
    ids: set[uuid.UUID] = set()
    for o in objekte:
        if o.get("model") == "records.dokument":
            ids.add(uuid.UUID(str(o["pk"])))
        elif o.get("model") == "records.dokumentversion":
            ids.add(uuid.UUID(str(o["fields"]["dokument"])))
    return search.index_dokumente(tenant_id, sorted(ids)) if ids else 0


def ohne_text() -> models.QuerySet[DokumentVersion]:
    """Current versions with no text here whose document the office does not send to OCR
    (so the office has its text): the ones to extract."""
    return (
        DokumentVersion._base_manager.filter(
            dokument__current_version_id=models.F("pk"), text="", dokument__needs_ocr=False
        )
        .select_related("dokument")
        .order_by("pk")
    )


def texte_nachholen() -> int:
    """Extract and index the text of every version without one whose file is here;
    returns how many got a text. Safe to run twice at once: each write is the same text.
    A file that is missing or cannot be read is left for the next pull's run."""
    store = get_store()
    found = 0
    for version in ohne_text().iterator(chunk_size=100):
        sha = version.pdf_sha256 or version.sha256
        if not store.exists(sha):
            continue
        try:
            if version.pdf_sha256 or "pdf" in version.mime_type:
                found += 1 if extract_full_text(version) else 0
            elif version.mime_type.startswith("text/"):
                found += 1 if _klartext(version) else 0
        except (BlobNotFound, OSError, ValueError) as exc:
            logger.warning("Text von Version %s nicht gelesen: %s", version.pk, exc)
    return found


def _klartext(version: DokumentVersion) -> int:
    with get_store().open(version.sha256) as data:
        text = detect.decode_text(data.read(MAX_TEXT_CHARS * 4))[:MAX_TEXT_CHARS]
    if not text.strip():
        return 0
    with transaction.atomic():
        DokumentVersion._base_manager.filter(pk=version.pk).update(text=text)
        version.text = text
        search.index_version(version)
    return len(text)


@task()
def texte() -> int:
    """Background, after a pull's files arrived: the texts of the carried documents."""
    return texte_nachholen()
