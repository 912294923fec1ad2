"""Readiness checks registered with the probes: blob store writable, a worker alive, every
part of ``manage.py serve`` running, and this machine's secrets those of the others."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from koffer.audit import schluesselabgleich
from koffer.blobs.store import get_store
from koffer.jobs.models import WorkerHeartbeat
from koffer.shell import supervision


def blob_store() -> tuple[bool, str]:
    return get_store().check_ready()


def worker() -> tuple[bool, str]:
    """Ready when some worker beat within twice the stale limit."""
    now = timezone.now()
    window = timedelta(seconds=2 * settings.KOFFER_WORKER_STALE_SECONDS)
    latest = WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()
    if latest is None:
        return False, "Kein Hintergrund-Worker hat sich gemeldet. Starten Sie „manage.py worker“."
    if now - latest > window:
        seconds = int((now - latest).total_seconds())
        return (
            False,
            f"Kein Hintergrund-Worker aktiv: letztes Lebenszeichen vor {seconds} Sekunden.",
        )
    alive = WorkerHeartbeat.objects.filter(beat_at__gte=now - window).count()
    return True, f"{alive} Worker aktiv"


def serve_parts() -> tuple[bool, str]:
    """Not ready while ``serve`` waits to restart one of its parts; a restart is named."""
    return supervision.readiness(settings.VAR_DIR / supervision.STATUS_FILE)


def schluessel() -> tuple[bool, str]:
    """Not ready while this machine's secret key or audit keys differ from the others'."""
    return schluesselabgleich.bereit()
