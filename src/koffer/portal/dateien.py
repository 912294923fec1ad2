"""Every file the portal hands a citizen (the receipt of an application, a letter of the
Postfach, the files they sent, the office's attachments to an answer) streamed from the
blob store: a ``FileResponse`` over the store's ``open()``, so a large file is never read
into the web process whole and S3 streams it as it re-hashes. As the E-Akte's downloads
(``records.dokumente.files``): GET only, no Range (the portal's files are PDFs and scans
of a few MB; a Koffer's resumable transfer is ``field.paket``)."""

from __future__ import annotations

import logging

from django.http import FileResponse, Http404

from koffer.blobs.store import BlobNotFound, get_store

logger = logging.getLogger("koffer.portal")


def sicherer_name(name: str) -> str:
    """A file name for Content-Disposition: letters, digits, ``._-``; else ``datei``."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:120] or "datei"


def antwort(sha256: str, *, name: str, typ: str, anhang: bool = True) -> FileResponse:
    """The blob ``sha256`` streamed as ``name`` of type ``typ`` (an attachment, or shown
    in the browser with ``anhang=False``); not cached, not sniffed. A blob missing from
    the store is a 404 (and logged: the ledger names it)."""
    try:
        stream = get_store().open(sha256)
    except BlobNotFound as exc:
        logger.error("blob %s of a portal download is missing", sha256)
        raise Http404("Diese Datei gibt es nicht.") from exc
    datei = FileResponse(
        stream,
        content_type=typ or "application/octet-stream",
        as_attachment=anhang,
        filename=sicherer_name(name),
    )
    datei["Cache-Control"] = "private, no-store"
    datei["X-Content-Type-Options"] = "nosniff"
    return datei
