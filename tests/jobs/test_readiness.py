"""/readyz reports the blob store and the worker heartbeat."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.test import Client
from django.utils import timezone

from koffer.blobs.store import get_store
from koffer.jobs import heartbeat
from koffer.jobs.models import WorkerHeartbeat


def test_not_ready_without_worker_and_blob_folder(db: None, blob_dir: Path) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["blobs"] == {
        "ok": False,
        "detail": "Das Verzeichnis des Dokumentenspeichers fehlt.",
    }
    assert checks["worker"]["ok"] is False and "manage.py worker" in checks["worker"]["detail"]


def test_ready_with_fresh_heartbeat_and_writable_store(db: None, blob_dir: Path) -> None:
    get_store().prepare()
    heartbeat.beat("w1")
    response = Client().get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["blobs"]["ok"] is True
    assert checks["worker"] == {"ok": True, "detail": "1 Worker aktiv"}


def test_old_heartbeat_is_not_ready(db: None, blob_dir: Path, settings) -> None:
    get_store().prepare()
    heartbeat.beat("w1")
    old = timezone.now() - timedelta(seconds=2 * settings.KOFFER_WORKER_STALE_SECONDS + 5)
    WorkerHeartbeat.objects.filter(worker_id="w1").update(beat_at=old)
    response = Client().get("/readyz")
    assert response.status_code == 503
    detail = response.json()["checks"]["worker"]["detail"]
    assert detail.startswith("Kein Hintergrund-Worker aktiv: letztes Lebenszeichen vor")
