"""The worker anchors the audit chains by itself: no cron job is needed for a cut-off
tail to be found on a fresh installation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from koffer.audit import anchors
from koffer.audit import services as audit
from koffer.audit.models import AuditEvent, AuditHead
from koffer.audit.verification import verify_tenant
from koffer.jobs import heartbeat
from koffer.tenancy.models import Mandant


@pytest.fixture(autouse=True)
def audit_dirs(settings: Any, tmp_path: Path) -> None:
    settings.KOFFER_AUDIT_KEY_DIR = tmp_path / "keys"
    settings.KOFFER_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    settings.KOFFER_AUDIT_ANCHOR_INTERVAL = 600


def _write(tenant: Mandant, n: int) -> None:
    for i in range(n):
        audit.record(actor=None, tenant_id=tenant.pk, action="test.write", obj=("probe", i))


def _anchored(tenant: Mandant) -> list[int]:
    return [anchor.seq for anchor in anchors.read(tenant.pk)]


def test_heartbeat_anchors_moved_heads_every_interval(tenant: Mandant) -> None:
    pulse = heartbeat.Heartbeat("test-worker", 5)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        pulse.tick()  # the first beat anchors at once: a fresh start is covered
        created = AuditHead.objects.get(tenant_id=tenant.pk).seq
        assert _anchored(tenant) == [created]
        _write(tenant, 3)
        clock.shift(timedelta(minutes=5))
        pulse.tick()
        assert _anchored(tenant) == [created]  # not due yet
        clock.shift(timedelta(minutes=5))
        pulse.tick()
        assert _anchored(tenant) == [created, created + 3]
        clock.shift(timedelta(minutes=10))
        pulse.tick()
        assert _anchored(tenant) == [created, created + 3]  # due, but nothing moved

    # Now the tail cut off and the head mended, which went unnoticed without an anchor.
    kept = AuditEvent.objects.get(tenant_id=tenant.pk, seq=created + 1)
    param = tenant.pk.hex if connection.vendor == "sqlite" else tenant.pk
    with connection.cursor() as cursor:  # the test settings allow DELETE (flushing)
        cursor.execute(
            "DELETE FROM audit_event WHERE tenant_id = %s AND seq > %s", [param, created + 1]
        )
    AuditHead.objects.filter(tenant_id=tenant.pk).update(seq=created + 1, hash=kept.hash)
    report = verify_tenant(tenant.pk)
    assert (report.broken_seq, report.problem) == (
        created + 2,
        f"Ereignisse fehlen (Anker bei {created + 3})",
    )


def test_a_failing_anchor_folder_does_not_stop_the_heartbeat(
    tenant: Mandant, settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings.KOFFER_AUDIT_ANCHOR_DIR = blocker / "anchors"  # cannot be created
    heartbeat.Heartbeat("test-worker", 5).tick()
    assert "Audit-Anker konnten nicht geschrieben werden" in caplog.text
