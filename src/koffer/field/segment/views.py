"""Page „Koffer: Quarantäne“: the audit segments of Koffer the office refused, each with
the Koffer, its field worker, when, the reason and the events it carried. Thin: the
selector reads, audits and asks ``field.access``. And „Segment neu beginnen“ for one
Koffer (from „Koffer: Geräte“): a confirm step with the reason, then the service."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.field import access
from koffer.field.geraete import selectors as geraete
from koffer.field.geraete.forms import SegmentNeuForm
from koffer.field.models import SegmentQuarantaene
from koffer.field.segment import selectors, services
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


@require_http_methods(["GET", "POST"])
@requires(access.seite_segment_neu)
def segment_neu(request: TenantRequest, geraet_id: uuid.UUID) -> HttpResponse:
    geraet = geraete.geraet(request.access, request.user.pk, geraet_id)
    if geraet is None or not access.beginnt_segment_neu(request.access):
        raise Http404
    form = SegmentNeuForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.neu_beginnen(
                actor=request.user,
                geraet=geraet,
                grund=form.cleaned_data["grund"],
                access=request.access,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Für den Koffer „{geraet.name}“ beginnt ein neues Protokoll-Segment. Er"
                " erfährt es bei seinem nächsten Abgleich und sendet dann seine wartenden"
                " Änderungen.",
            )
            return redirect("field:geraete")
    titel = f"Segment neu beginnen: {geraet.name}"
    return render(
        request,
        "field/segment/segment_neu.html",
        {
            "page_title": titel,
            "breadcrumbs": trail(("Koffer: Geräte", reverse("field:geraete")), (titel, None)),
            "geraet": geraet,
            "quarantaene": SegmentQuarantaene.objects.for_tenant(geraet.tenant_id)
            .filter(geraet=geraet)
            .count(),
            "form": form,
        },
    )
