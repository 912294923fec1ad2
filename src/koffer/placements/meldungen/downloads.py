"""The filing receipt as a download, the same response for the page and the API."""

from __future__ import annotations

from django.http import FileResponse

from koffer.accounts.http import TenantRequest
from koffer.placements.meldungen import services as meldungen
from koffer.placements.models import Meldung


def receipt_response(request: TenantRequest, meldung: Meldung) -> FileResponse:
    """The stored receipt PDF as an attachment, never cached by a browser or proxy."""
    stream = meldungen.open_quittung(actor=request.user, meldung=meldung)
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=meldungen.quittung_filename(meldung),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
