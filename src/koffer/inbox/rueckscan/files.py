"""The Deckblätter PDF as a download: one answer for the page and the API."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone


def pdf_response(data: bytes) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    name = f"rueckscan-deckblaetter-{timezone.localdate():%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
