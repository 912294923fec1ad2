"""A blob handed out as an HTTP download: one place for every app that streams a stored
file (the E-Akte's versions, the portal's receipts, letters and attachments).

A ``FileResponse`` over the store's ``open()``: a large file is never read into the web
process whole, and the S3 store re-hashes it as it streams. The caller decides whether the
reader may see the file (and audits the read); this module knows only the blob."""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404

from koffer.blobs.store import BlobNotFound, get_store

logger = logging.getLogger("koffer.blobs")


def streamed(
    sha256: str,
    *,
    filename: str,
    content_type: str,
    of: str,
    as_attachment: bool = True,
    private: bool = False,
) -> FileResponse:
    """The blob ``sha256`` streamed as ``filename`` of type ``content_type`` (an attachment,
    or shown in the browser with ``as_attachment=False``).

    ``private``: never cached by a browser or proxy and never type-sniffed (files a citizen
    downloads on any device). A blob missing from the store is a 404, and an error in the
    log naming ``of`` (what the blob belongs to): the blob ledger says it should be there."""
    try:
        stream = get_store().open(sha256)
    except BlobNotFound as exc:
        logger.error("blob %s of %s is missing", sha256, of)
        raise Http404("Diese Datei gibt es nicht.") from exc
    response = FileResponse(
        stream,
        content_type=content_type or "application/octet-stream",
        as_attachment=as_attachment,
        filename=filename,
    )
    if private:
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
    return response
