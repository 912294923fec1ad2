"""/readyz reports the blob store, the worker heartbeat and the parts of serve."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.test import Client
from django.utils import timezone

from koffer.blobs.store import get_store
from koffer.jobs import heartbeat
from koffer.jobs.models import WorkerHeartbeat
from koffer.shell import supervision


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


def test_s3_store_with_wrong_keys_is_not_ready_and_says_why(
    db: None, s3_blob_url: str, settings: Any, caplog: Any
) -> None:
    heartbeat.beat("w1")
    assert Client().get("/readyz").status_code == 200
    settings.KOFFER_BLOB_S3_SECRET_KEY = "falsch"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["blobs"] == {
        "ok": False,
        "detail": "Der Objektspeicher lehnt die Zugangsdaten ab.",
    }
    assert "lehnt die Zugangsdaten ab" in caplog.text


def test_old_heartbeat_is_not_ready(db: None, blob_dir: Path, settings) -> None:
    get_store().prepare()
    heartbeat.beat("w1")
    old = timezone.now() - timedelta(seconds=2 * settings.KOFFER_WORKER_STALE_SECONDS + 5)
    WorkerHeartbeat.objects.filter(worker_id="w1").update(beat_at=old)
    response = Client().get("/readyz")
    assert response.status_code == 503
    detail = response.json()["checks"]["worker"]["detail"]
    assert detail.startswith("Kein Hintergrund-Worker aktiv: letztes Lebenszeichen vor")


def test_readyz_is_not_ready_while_serve_waits_to_restart_a_part(
    db: None, blob_dir: Path, settings: Any
) -> None:
    settings.VAR_DIR = blob_dir.parent  # the status file of serve lives there
    status = {
        "pid": os.getpid(),  # serve is alive: this test process stands in for it
        "parts": [
            {
                "key": "worker",
                "name": "Hintergrund-Worker",
                "running": False,
                "restarts": 0,
                "restarted_at": None,
                "ended_at": "2026-12-07T07:30:59+00:00",
                "exit_code": -9,
            }
        ],
    }
    (blob_dir.parent / supervision.STATUS_FILE).write_text(json.dumps(status))
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["processes"] == {
        "ok": False,
        "detail": "Hintergrund-Worker: läuft nicht (beendet um 08:30:59, Signal SIGKILL),"
        " wird neu gestartet",
    }
