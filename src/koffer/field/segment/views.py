"""Page „Koffer: Quarantäne“: the audit segments of Koffer the office refused, each with
the Koffer, its field worker, when, the reason and the events it carried. Thin: the
selector reads, audits and asks ``field.access``."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.field import access
from koffer.field.models import SegmentQuarantaene
from koffer.field.segment import selectors
from koffer.shell.breadcrumbs import trail

QUARANTAENE = "Koffer: Quarantäne"


def _umfang(row: SegmentQuarantaene) -> str:
    segment: Any = row.segment
    if not isinstance(segment, dict):
        return "—"
    ereignisse = segment.get("ereignisse")
    anzahl = len(ereignisse) if isinstance(ereignisse, list) else 0
    return f"{anzahl} Ereignisse ({segment.get('von_seq')}–{segment.get('bis_seq')})"


@require_GET
@requires(access.seite_geraete)
def quarantaene(request: TenantRequest) -> HttpResponse:
    rows = selectors.quarantaene(actor=request.user, access=request.access)
    return render(
        request,
        "field/segment/quarantaene.html",
        {
            "page_title": QUARANTAENE,
            "breadcrumbs": trail((QUARANTAENE, None)),
            "eintraege": [{"q": q, "umfang": _umfang(q)} for q in rows],
        },
    )
