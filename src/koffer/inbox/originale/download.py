"""The destruction protocol as a download, for the page and the API alike."""

from __future__ import annotations

from django.http import HttpResponse

from koffer.inbox.models import Vernichtungsliste
from koffer.inbox.originale import services


def protocol_response(liste: Vernichtungsliste) -> HttpResponse:
    response = HttpResponse(services.protocol_bytes(liste), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="Vernichtungsprotokoll-{liste.label}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response
