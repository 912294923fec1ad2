"""A finished extract's PDF as a file download: one place for the pages and the API."""

from __future__ import annotations

from django.http import FileResponse

from koffer.records.auszug import services as extract
from koffer.records.models import Aktenauszug


def pdf_response(auszug: Aktenauszug) -> FileResponse:
    stream = extract.open_pdf(auszug)
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=extract.download_name(auszug),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
