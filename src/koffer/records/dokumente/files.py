"""A version's bytes as a file download: one place for the pages and the API."""

from __future__ import annotations

from django.http import FileResponse, Http404

from koffer.blobs.downloads import streamed
from koffer.records.dokumente import naming
from koffer.records.models import DokumentVersion


def download_response(version: DokumentVersion, *, as_pdf: bool) -> FileResponse:
    """The original (or its PDF rendering) as an attachment with a safe file name and the
    type the content was detected as. Raises Http404 when there is no such rendering."""
    if as_pdf and version.pdf_sha256:
        sha256, mime = version.pdf_sha256, "application/pdf"
        filename = f"{naming.split_extension(version.filename)[0]}.pdf"
    elif as_pdf and version.mime_type != "application/pdf":
        raise Http404
    else:
        sha256, mime, filename = version.sha256, version.mime_type, version.filename
    return streamed(sha256, filename=filename, content_type=mime, of=f"version {version.pk}")
