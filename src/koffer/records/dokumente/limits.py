"""The bounds of the inspection child for one file (the Mandant's page and frame limits, the
settings' decompression and process limits), and its refusals as DocumentRejected."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from koffer.records.dokumente import inspection
from koffer.records.errors import DocumentRejected
from koffer.tenancy.models import Mandant

# Pages whose text is extracted during the upload itself; the rest follows in a task.
SYNC_TEXT_PAGES = 3


@contextmanager
def refusals() -> Iterator[None]:
    """A refusal of the bounded inspection becomes a DocumentRejected."""
    try:
        yield
    except inspection.Refused as exc:
        raise DocumentRejected(exc.code, exc.message) from exc


def inspection_bounds(
    tenant_id: uuid.UUID | None, *, text_pages: int | None = SYNC_TEXT_PAGES
) -> inspection.Bounds:
    """The limits for inspecting one file: the Mandant's page and frame limits (or the
    settings' defaults), the decompression and process limits from the settings."""
    max_pages = int(settings.KOFFER_MAX_PAGES_PER_FILE)
    max_frames = int(settings.KOFFER_MAX_IMAGE_FRAMES)
    if tenant_id is not None:
        row = (
            Mandant.objects.filter(pk=tenant_id)
            .values("max_pages_per_file", "max_image_frames")
            .first()
        )
        if row is not None:
            max_pages = row["max_pages_per_file"] or max_pages
            max_frames = row["max_image_frames"] or max_frames
    return inspection.Bounds(
        max_pages=max_pages,
        max_frames=max_frames,
        max_unpacked_bytes=int(settings.KOFFER_INSPECT_MAX_UNPACKED_BYTES),
        max_zip_bytes=int(settings.KOFFER_INSPECT_MAX_ZIP_BYTES),
        max_total_unpacked_bytes=int(settings.KOFFER_INSPECT_MAX_PDF_TOTAL_BYTES),
        max_pixels=int(settings.KOFFER_INSPECT_MAX_PIXELS),
        memory_bytes=int(settings.KOFFER_INSPECT_MEMORY_BYTES),
        # Reading all pages' text is a job's work (no request waits), the rest an upload's.
        seconds=int(
            settings.KOFFER_INSPECT_SECONDS
            if text_pages is not None
            else settings.KOFFER_INSPECT_JOB_SECONDS
        ),
        text_pages=text_pages,
    )
