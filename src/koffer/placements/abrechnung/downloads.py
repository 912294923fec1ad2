"""The invoice as a download, the XRechnung (XML) or the readable PDF: the same response
for the page and the API. Every download is logged as a read (the invoice names the
child's pseudonym); a missing XML raises the service's ``Conflict`` before anything is
logged."""

from __future__ import annotations

from django.http import HttpResponse

from koffer.accounts.http import TenantRequest
from koffer.placements.abrechnung import services as billing
from koffer.placements.models import Rechnung


def xml_response(request: TenantRequest, rechnung: Rechnung, *, purpose: str) -> HttpResponse:
    """The stored XRechnung as an attachment named after the invoice number."""
    xml = billing.rechnung_xml(rechnung)
    return _attachment(request, rechnung, xml, "xml", "application/xml; charset=utf-8", purpose)


def pdf_response(request: TenantRequest, rechnung: Rechnung, *, purpose: str) -> HttpResponse:
    """The invoice as a tagged PDF attachment, never cached by a browser or proxy."""
    pdf = billing.rechnung_pdf(rechnung)
    response = _attachment(request, rechnung, pdf, "pdf", "application/pdf", purpose)
    response["Cache-Control"] = "private, no-store"
    return response


def _attachment(
    request: TenantRequest,
    rechnung: Rechnung,
    content: bytes,
    extension: str,
    content_type: str,
    purpose: str,
) -> HttpResponse:
    billing.record_read(
        actor=request.user,
        tenant=request.tenant,
        obj=rechnung,
        nachweis=rechnung.nachweis,
        purpose=purpose,
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{rechnung.number}.{extension}"'
    return response
