"""Every file the portal hands a citizen (the receipt of an application, a letter of the
Postfach, the files they sent, the office's attachments to an answer) streamed from the
blob store through ``blobs.downloads.streamed``, so a large file is never read into the
web process whole and S3 streams it as it re-hashes. As the E-Akte's downloads
(``records.dokumente.files``): GET only, no Range (the portal's files are PDFs and scans
of a few MB; a Koffer's resumable transfer is ``field.paket``)."""

from __future__ import annotations

from django.http import FileResponse

from koffer.blobs.downloads import streamed


def sicherer_name(name: str) -> str:
    """A file name for Content-Disposition: letters, digits, ``._-``; else ``datei``."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:120] or "datei"


def antwort(sha256: str, *, name: str, typ: str, anhang: bool = True) -> FileResponse:
    """The blob ``sha256`` streamed as ``name`` of type ``typ`` (an attachment, or shown
    in the browser with ``anhang=False``); not cached, not sniffed. A blob missing from
    the store is a 404 (and logged: the ledger names it)."""
    return streamed(
        sha256,
        filename=sicherer_name(name),
        content_type=typ,
        of="a portal download",
        as_attachment=anhang,
        private=True,
    )
