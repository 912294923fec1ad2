"""The drop folder: a batch folder is taken when its ``.fertig`` marker is there, moved
into processing, delivered through the same service as the API, and moved out again;
a pass interrupted half-way is finished by the next."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from koffer.audit.models import AuditEvent
from koffer.inbox.lieferung import ordner, services
from koffer.inbox.models import Ablehnung, Stapel, Stapeldatei
from koffer.jobs import heartbeat
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.inbox import scans
from tests.inbox.conftest import Provider

pytestmark = pytest.mark.django_db

FILES = {"0001.pdf": scans.pdf(), "0002.tif": scans.tiff()}


def _write_batch(
    base: Path, tenant: Mandant, provider: Provider, name: str, *, done: bool = True
) -> Path:
    folder = base / tenant.slug / provider.user.username / name
    folder.mkdir(parents=True)
    for file_name, data in FILES.items():
        (folder / file_name).write_bytes(data)
    (folder / ordner.MANIFEST).write_bytes(scans.manifest(FILES, batch_id=name))
    if done:
        (folder / ordner.MARKER).touch()
    return folder


def test_complete_batches_are_taken_in_and_moved_out(
    tmp_path: Path, tenant: Mandant, provider: Provider
) -> None:
    _write_batch(tmp_path, tenant, provider, "B-1")
    unfinished = _write_batch(tmp_path, tenant, provider, "B-2", done=False)
    out = io.StringIO()
    call_command("inbox_watch", "--once", "--dir", str(tmp_path), stdout=out)
    assert "B-1: angenommen" in out.getvalue()
    stapel = Stapel.objects.for_tenant(tenant).get()
    assert (stapel.batch_id, stapel.source, stapel.provider_id) == (
        "B-1",
        "ordner",
        provider.user.pk,
    )
    assert Stapeldatei.objects.for_tenant(tenant).filter(stapel=stapel).count() == 2
    provider_dir = unfinished.parent
    assert (provider_dir / ordner.ACCEPTED / f"B-1.{stapel.pk}" / "0001.pdf").is_file()
    assert unfinished.is_dir()  # no marker yet: left alone
    assert not any((provider_dir / ordner.WORKING).iterdir())


def test_a_pass_killed_after_the_move_is_finished_by_the_next(
    tmp_path: Path, tenant: Mandant, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_batch(tmp_path, tenant, provider, "B-1")

    def killed(name: str) -> None:
        if name == "angenommen":
            raise KeyboardInterrupt  # after the commit, before the folder moved on

    monkeypatch.setattr(services, "step_reached", killed)
    with pytest.raises(KeyboardInterrupt):
        ordner.pick_up(tmp_path)
    monkeypatch.undo()
    working = tmp_path / tenant.slug / provider.user.username / ordner.WORKING
    assert (working / "B-1").is_dir()
    [result] = ordner.pick_up(tmp_path)
    assert result.stapel is not None and result.created is False
    assert Stapel.objects.for_tenant(tenant).count() == 1
    assert not any(working.iterdir())


def test_a_refused_batch_is_kept_with_its_reason(
    tmp_path: Path, tenant: Mandant, provider: Provider
) -> None:
    folder = _write_batch(tmp_path, tenant, provider, "B-1")
    (folder / ordner.MANIFEST).write_text("{kaputt", encoding="utf-8")
    [result] = ordner.pick_up(tmp_path)
    assert result.stapel is None and "kein JSON" in result.reason
    [refused] = (folder.parent / ordner.REFUSED).iterdir()
    assert "kein JSON" in (refused / ordner.REASON).read_text(encoding="utf-8")
    assert (refused / "0001.pdf").is_file()  # nothing deleted
    assert not Stapel.objects.for_tenant(tenant).exists()


def test_unknown_folders_are_left_alone(tmp_path: Path, tenant: Mandant) -> None:
    (tmp_path / "unbekannt" / "niemand" / "B-1").mkdir(parents=True)
    (tmp_path / tenant.slug / "niemand" / "B-1").mkdir(parents=True)
    assert ordner.pick_up(tmp_path) == []


def test_a_batch_without_lieferschein_is_refused(
    tmp_path: Path, tenant: Mandant, provider: Provider
) -> None:
    folder = _write_batch(tmp_path, tenant, provider, "B-1")
    (folder / ordner.MANIFEST).unlink()
    [result] = ordner.pick_up(tmp_path)
    assert result.stapel is None and "„lieferschein.json“ fehlt" in result.reason


def test_the_worker_looks_into_the_drop_folders(
    tmp_path: Path, tenant: Mandant, provider: Provider, settings: Any
) -> None:
    """No cron job and no extra process: the worker's heartbeat takes complete batches in,
    every KOFFER_INBOX_WATCH_SECONDS (0 switches it off)."""
    settings.KOFFER_INBOX_DIR = tmp_path
    settings.KOFFER_INBOX_WATCH_SECONDS = 0
    _write_batch(tmp_path, tenant, provider, "B-7")
    heartbeat.Heartbeat("test-worker", 5).tick()
    assert not Stapel.objects.for_tenant(tenant).exists()
    settings.KOFFER_INBOX_WATCH_SECONDS = 10
    heartbeat.Heartbeat("test-worker", 5).tick()
    assert Stapel.objects.for_tenant(tenant).get().batch_id == "B-7"


def test_a_batch_another_pass_took_is_skipped(
    tmp_path: Path, tenant: Mandant, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers' passes meet: the folder one of them moved away is the other's to deliver."""
    folder = _write_batch(tmp_path, tenant, provider, "B-8")
    real_replace = ordner.os.replace

    def quicker_pass(source: Any, target: Any) -> None:
        if Path(source) == folder:  # the other worker renamed it a moment earlier
            real_replace(source, tmp_path / "anderer-durchgang")
            raise FileNotFoundError(source)
        real_replace(source, target)

    monkeypatch.setattr(ordner.os, "replace", quicker_pass)
    assert ordner.pick_up(tmp_path) == []
    assert not Stapel.objects.for_tenant(tenant).exists()


def test_a_refusal_is_recorded_audited_and_shown_to_the_mail_room(
    tmp_path: Path, tenant: Mandant, provider: Provider
) -> None:
    """A refused folder is not only in the folder and a log: the mail room's page lists it
    with its reason and where it was kept, and the audit has it."""
    folder = _write_batch(tmp_path, tenant, provider, "B-9")
    (folder / ordner.MANIFEST).write_text("{kaputt", encoding="utf-8")
    [result] = ordner.pick_up(tmp_path)
    refusal = Ablehnung.objects.for_tenant(tenant).get()
    assert (refusal.folder, refusal.provider_id) == ("B-9", provider.user.pk)
    assert refusal.reason == result.reason
    kept = folder.parent / refusal.kept_as
    assert (kept / ordner.REASON).is_file()
    event = AuditEvent.objects.get(tenant_id=tenant.pk, action="inbox.ordner.refuse")
    assert event.changes["folder"] == "B-9"
    mail_room = factories.user(tenant, role="poststelle")
    page = signed_in(mail_room).get(reverse("inbox:stapel_list")).content.decode()
    assert "Abgelehnte Übergaben" in page and "B-9" in page and "kein JSON" in page
