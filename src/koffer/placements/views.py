"""The live feed of the Platzbörse (server-sent events): the match pages of the youth
offices follow changes of availability through it. The features' pages live in their
packages (``angebote``, ``gesuche``, ``belegung``, ...)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.accounts.middleware import passive
from koffer.placements import access
from koffer.placements.models import Betreuungsform, Verfuegbarkeit
from koffer.shell.live import allow_pages

# Each open stream holds one web thread, so a process serves only a few at a time
# (KOFFER_LIVE_STREAMS: none in make run's single-threaded web workers, many in its stream
# process, see koffer.shell.live); the page falls back to polling when it is told so (503),
# and every stream ends after a while so that threads rotate (the browser reconnects).
LIVE_STREAMS = threading.BoundedSemaphore(settings.KOFFER_LIVE_STREAMS)
LIVE_SECONDS = 25.0
LIVE_POLL = 1.0


def _events(form_id: uuid.UUID, since: int, deadline: float) -> Iterator[bytes]:
    try:
        yield b"retry: 2000\n\n"
        last = since
        while time.monotonic() < deadline:
            row = (
                Verfuegbarkeit.objects.filter(pk__gt=last, betreuungsform_id=form_id)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            if row is not None:
                last = row
                yield f"id: {last}\nevent: verfuegbarkeit\ndata: {json.dumps({'id': last})}\n\n".encode()
            else:
                yield b": ping\n\n"
            time.sleep(LIVE_POLL)
    finally:
        LIVE_STREAMS.release()


@passive  # the page opens it by itself: not the user's activity
@requires(access.is_requester)
@require_GET
def live(request: TenantRequest) -> HttpResponse | StreamingHttpResponse:
    try:
        form_id = uuid.UUID(request.GET.get("form", ""))
    except ValueError as exc:
        raise Http404 from exc
    if not Betreuungsform.objects.filter(pk=form_id).exists():
        raise Http404
    if not LIVE_STREAMS.acquire(blocking=False):
        response = HttpResponse(
            "Live-Aktualisierung ausgelastet", status=503, content_type="text/plain"
        )
        response["Retry-After"] = "15"
        allow_pages(request, response)
        return response
    raw_last = request.headers.get("Last-Event-ID") or request.GET.get("since") or ""
    since = int(raw_last) if raw_last.isdigit() else _latest_change()
    stream = StreamingHttpResponse(
        _events(form_id, since, time.monotonic() + LIVE_SECONDS), content_type="text/event-stream"
    )
    stream["Cache-Control"] = "no-cache"
    stream["X-Accel-Buffering"] = "no"
    allow_pages(request, stream)
    return stream


def _latest_change() -> int:
    return Verfuegbarkeit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
