"""The route sheet as a download: one place for the page and the API. Reading it is a read
of personal data, audited before the bytes leave."""

from __future__ import annotations

from datetime import date

from django.http import HttpResponse

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.field.besuche import selectors, services, tourenplan
from koffer.tenancy.models import Mandant


def tourenplan_response(
    *, actor: User, access: Access, tenant: Mandant, aussendienst: User, datum: date
) -> HttpResponse:
    """The day's planned and done visits of ``aussendienst`` the actor may see, as PDF."""
    zeilen = selectors.tag(
        access, actor.pk, aussendienst_id=aussendienst.pk, datum=datum, mit_abgesagten=False
    )
    services.tourenplan_gelesen(
        actor=actor,
        tenant_id=tenant.pk,
        datum=datum,
        akten=[(z.akte, z.person) for z in zeilen],
    )
    pdf = tourenplan.render(
        mandant=tenant.name,
        aussendienst=aussendienst.get_full_name() or aussendienst.username,
        datum=datum,
        zeilen=zeilen,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="tourenplan-{datum.isoformat()}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
