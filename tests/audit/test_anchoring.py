"""A keyed chain and signed anchors: whoever can write to the database but holds no key
can neither rewrite the chain nor cut its tail off without ``audit_verify`` noticing."""

from __future__ import annotations

import hmac
import importlib
import io
import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from koffer.audit import anchors, keys
from koffer.audit import services as audit
from koffer.audit.chain import event_hash
from koffer.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from koffer.audit.verification import verify_tenant
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories.audit import unguarded


@pytest.fixture(autouse=True)
def audit_dirs(settings: Any, tmp_path: Path) -> Path:
    """Keys and anchors of this test only (the first write makes the key)."""
    settings.KOFFER_AUDIT_KEY_DIR = tmp_path / "keys"
    settings.KOFFER_AUDIT_ANCHOR_DIR = tmp_path / "anchors"
    return tmp_path


@pytest.fixture
def chain(db: None) -> Mandant:
    """A Mandant whose chain holds 10 events (2 from its creation)."""
    tenant = factories.mandant("Landkreis Ankerstadt")
    _events(tenant, 10 - AuditHead.objects.get(tenant_id=tenant.pk).seq)
    return tenant


def _events(tenant: Mandant, n: int) -> None:
    for i in range(n):
        audit.record(
            actor=None,
            tenant_id=tenant.pk,
            action="test.write",
            obj=("probe", i),
            changes={"i": i, "ä": "ü"},
        )


def _tenant_param(tenant: Mandant) -> Any:
    return tenant.pk.hex if connection.vendor == "sqlite" else tenant.pk


def _unguarded(statements: list[tuple[str, list[Any]]]) -> None:
    """Run UPDATEs around the append-only trigger, as raw database access could. Inside
    the test's transaction, so the dropped trigger comes back with the rollback."""
    with unguarded() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def _rewrite_from(tenant: Mandant, seq: int, *, drop_key: bool = False) -> None:
    """Edit event ``seq`` and recompute every later hash and the head with plain SHA-256:
    all an attacker with database write access but without the key can do."""
    events = AuditEvent.objects.filter(tenant_id=tenant.pk).order_by("seq")
    rows = list(events.filter(seq__gte=seq).values())
    prev = events.get(seq=seq - 1).hash if seq > 1 else GENESIS_HASH
    forget_key = ", key_id = NULL" if drop_key else ""
    statements = []
    for row in rows:
        if row["seq"] == seq:
            row["reason"] = "manipuliert"
        row["prev_hash"] = prev
        row["hash"] = prev = event_hash(row)
        statements.append(
            (
                f"UPDATE audit_event SET reason = %s, prev_hash = %s, hash = %s{forget_key}"
                " WHERE tenant_id = %s AND seq = %s",
                [row["reason"], row["prev_hash"], row["hash"], _tenant_param(tenant), row["seq"]],
            )
        )
    statements.append(
        (
            f"UPDATE audit_head SET hash = %s{forget_key} WHERE tenant_id = %s",
            [prev, _tenant_param(tenant)],
        )
    )
    _unguarded(statements)


def _verify(tenant: Mandant) -> str:
    out = io.StringIO()
    call_command("audit_verify", tenant=tenant.pk, stdout=out)
    return out.getvalue()


def test_untouched_chain_verifies_and_is_anchored(chain: Mandant) -> None:
    assert _verify(chain) == f"OK {chain.pk}: 10 Ereignisse\n"
    (anchor,) = anchors.read(chain.pk)
    head = AuditHead.objects.get(tenant_id=chain.pk)
    assert (anchor.seq, anchor.hash, anchor.kind) == (10, head.hash, anchors.VERIFIED)
    assert set(AuditEvent.objects.filter(tenant_id=chain.pk).values_list("key_id", flat=True)) == {
        keys.current_key_id()
    }


@pytest.mark.parametrize("drop_key", [False, True], ids=["key-kept", "key-dropped"])
def test_rewritten_chain_is_found(chain: Mandant, drop_key: bool) -> None:
    """Plain SHA-256 alone passed this rewrite: every link and hash was consistent."""
    _rewrite_from(chain, 4, drop_key=drop_key)
    out = io.StringIO()
    with pytest.raises(CommandError, match="Audit-Kette gebrochen bei Folgenummer 4"):
        call_command("audit_verify", tenant=chain.pk, stdout=out)
    problem = "Ereignis ohne Schlüssel" if drop_key else "Inhalt verändert"
    assert f"FEHLER {chain.pk}: erste gebrochene Folgenummer 4 ({problem}" in out.getvalue()
    assert anchors.read(chain.pk) == []  # a broken chain is not anchored


def test_rewrite_of_the_whole_chain_without_keys_is_found(chain: Mandant) -> None:
    _rewrite_from(chain, 1, drop_key=True)
    report = verify_tenant(chain.pk)
    assert (report.broken_seq, report.problem) == (
        1,
        "Ereignis ohne Schlüssel, für das kein Anker bürgt",
    )


def test_cut_off_tail_is_found_by_the_anchor(chain: Mandant) -> None:
    call_command("audit_anchor", stdout=io.StringIO())
    kept = AuditEvent.objects.get(tenant_id=chain.pk, seq=5)
    with connection.cursor() as cursor:  # the test settings allow DELETE (flushing)
        cursor.execute(
            "DELETE FROM audit_event WHERE tenant_id = %s AND seq > 5", [_tenant_param(chain)]
        )
    AuditHead.objects.filter(tenant_id=chain.pk).update(seq=5, hash=kept.hash)
    report = verify_tenant(chain.pk)
    assert (report.broken_seq, report.problem) == (6, "Ereignisse fehlen (Anker bei 10)")


def test_forged_anchor_is_refused(chain: Mandant) -> None:
    call_command("audit_anchor", stdout=io.StringIO())
    path = anchors.anchor_file(chain.pk)
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "seq": 3}) + "\n")
    report = verify_tenant(chain.pk)
    assert not report.ok and "Signatur ungültig" in report.problem


def test_rotated_key_old_and_new_events_verify(chain: Mandant) -> None:
    old = keys.current_key_id()
    out = io.StringIO()
    call_command("audit_rotate_key", stdout=out)
    new = keys.current_key_id()
    assert out.getvalue().startswith(f"Neuer Audit-Schlüssel {new}: ")
    _events(chain, 2)
    used = list(
        AuditEvent.objects.filter(tenant_id=chain.pk)
        .order_by("seq")
        .values_list("key_id", "action")
    )
    assert new > old
    assert used[9] == (old, "test.write") and used[10] == (new, "audit.key.rotate")
    assert {key for key, _ in used[10:]} == {new}
    assert _verify(chain) == f"OK {chain.pk}: 13 Ereignisse\n"


def test_going_back_to_an_older_key_is_found(chain: Mandant) -> None:
    old = keys.current_key_id()
    audit.rotate_key(actor=None)
    # With the old key leaked, events after the rotation could be forged under it.
    AuditHead.objects.filter(tenant_id=chain.pk).update(key_id=old)
    _events(chain, 1)
    report = verify_tenant(chain.pk)
    assert report.broken_seq == 12 and report.problem.startswith("Schlüssel")


def test_missing_key_file_is_a_clear_error(chain: Mandant, settings: Any, audit_dirs: Path) -> None:
    key_id = keys.current_key_id()
    # Verification on a machine without the key folder (a fresh folder: no cached key).
    settings.KOFFER_AUDIT_KEY_DIR = audit_dirs / "elsewhere"
    with pytest.raises(CommandError) as raised:
        call_command("audit_verify", tenant=chain.pk, stdout=io.StringIO())
    message = str(raised.value)
    assert f"Audit-Schlüssel {key_id} fehlt" in message
    assert f"audit-{key_id}.key nicht gefunden" in message
    with pytest.raises(keys.AuditKeyMissing, match="fehlt"):
        _events(chain, 1)  # a write needs the key its chain names, too


def test_events_from_before_keys_verify_up_to_the_transition_anchor(
    chain: Mandant, audit_dirs: Path
) -> None:
    """An installation upgraded with events hashed before keys existed keeps verifying."""
    _rewrite_from(chain, 1, drop_key=True)  # as written by the old code (plain SHA-256)
    migration = importlib.import_module("koffer.audit.migrations.0005_keyed_chain")
    migration.anchor_existing_heads(django_apps, SimpleNamespace(connection=connection))
    assert [a.kind for a in anchors.read(chain.pk)] == [anchors.TRANSITION]
    _events(chain, 2)  # the new code seals them
    assert list(
        AuditEvent.objects.filter(tenant_id=chain.pk, seq__gt=9).values_list("key_id", flat=True)
    ) == [None, keys.current_key_id(), keys.current_key_id()]
    assert _verify(chain) == f"OK {chain.pk}: 12 Ereignisse\n"


def test_key_files_are_private(chain: Mandant) -> None:
    path = keys.key_file(keys.current_key_id())
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("length", [32, 64, 100])
def test_seal_is_hmac_sha256(db: None, length: int) -> None:
    key_id = keys.current_key_id()
    secret = bytes(range(length))
    keys.key_file(key_id).write_text(secret.hex())
    keys._SIGNERS.clear()  # the key was replaced under the same id, for this test only
    message = "Prüfung ä".encode()
    assert keys.seal(key_id, message) == hmac.new(secret, message, "sha256").hexdigest()


def _delete_chain(tenant: Mandant, *, head: bool = True, events: bool = True) -> None:
    """Remove the tenant's events and/or head, as raw database access could (the test
    settings allow DELETE on the audit table, for flushing)."""
    with connection.cursor() as cursor:
        if events:
            cursor.execute("DELETE FROM audit_event WHERE tenant_id = %s", [_tenant_param(tenant)])
        if head:
            cursor.execute("DELETE FROM audit_head WHERE tenant_id = %s", [_tenant_param(tenant)])


def _verify_all() -> tuple[str, str]:
    """audit_verify over all Mandanten: its output and the error it ends with ("" if none)."""
    out = io.StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), ""


def test_chain_deleted_with_its_head_and_mandant_is_found_by_its_anchors(chain: Mandant) -> None:
    """Plain audit_verify used to list only audit_head: the deleted chain was not checked."""
    call_command("audit_anchor", stdout=io.StringIO())
    _delete_chain(chain)
    Organisationseinheit.objects.unscoped().filter(tenant=chain).delete()
    Mandant.objects.filter(pk=chain.pk).delete()
    out, error = _verify_all()
    assert (
        f"FEHLER {chain.pk}: erste gebrochene Folgenummer 1 (Ereignisse fehlen (Anker bei 10))"
        in out
    )
    assert error.startswith("Audit-Kette gebrochen bei Folgenummer 1")


def test_mandant_without_any_event_is_found(chain: Mandant) -> None:
    """No anchor yet: the Mandant row itself says a chain must exist (its creation is
    audited)."""
    _delete_chain(chain)
    out, error = _verify_all()
    assert f"FEHLER {chain.pk}: erste gebrochene Folgenummer 1 (keine Ereignisse" in out
    assert error


def test_events_without_their_head_are_found(chain: Mandant) -> None:
    _delete_chain(chain, events=False)
    out, error = _verify_all()
    assert f"FEHLER {chain.pk}: erste gebrochene Folgenummer 11 (Kopf der Kette fehlt)" in out
    assert error


def test_intact_chains_of_all_mandanten_verify(chain: Mandant) -> None:
    other = factories.mandant("Stadt Ohnanker")
    out, error = _verify_all()
    assert (out, error) == (f"OK {chain.pk}: 10 Ereignisse\nOK {other.pk}: 2 Ereignisse\n", "")


def test_periodic_anchoring_writes_only_heads_that_moved(chain: Mandant) -> None:
    (first,) = anchors.anchor_moved_heads()
    assert (first.tenant_id, first.seq, first.kind) == (str(chain.pk), 10, anchors.PERIODIC)
    assert anchors.anchor_moved_heads() == []  # nothing moved: nothing written
    _events(chain, 2)
    assert [a.seq for a in anchors.anchor_moved_heads()] == [12]
    assert [a.seq for a in anchors.read(chain.pk)] == [10, 12]


def test_anchoring_workers_at_the_same_time_write_one_line(chain: Mandant) -> None:
    head = AuditHead.objects.get(tenant_id=chain.pk)
    start = threading.Barrier(8)
    written: list[object] = []

    def anchor() -> None:
        start.wait()
        written.append(
            anchors.write_if_moved(
                tenant_id=chain.pk, seq=head.seq, hash=head.hash, kind=anchors.PERIODIC
            )
        )

    threads = [threading.Thread(target=anchor) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([a for a in written if a is not None]) == 1
    assert len(anchors.anchor_file(chain.pk).read_text().splitlines()) == 1


def test_cut_tail_after_a_periodic_anchor_is_found(chain: Mandant) -> None:
    anchors.anchor_moved_heads()
    kept = AuditEvent.objects.get(tenant_id=chain.pk, seq=7)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_event WHERE tenant_id = %s AND seq > 7", [_tenant_param(chain)]
        )
    AuditHead.objects.filter(tenant_id=chain.pk).update(seq=7, hash=kept.hash)
    anchors.anchor_moved_heads()  # anchoring the mended head does not hide the cut
    report = verify_tenant(chain.pk)
    assert (report.broken_seq, report.problem) == (8, "Ereignisse fehlen (Anker bei 10)")


def test_loading_the_demo_anchors_its_chains_at_once(db: None) -> None:
    """A fresh demo installation is protected before the worker's first beat."""
    call_command("load_demo", stdout=io.StringIO())
    heads = dict(AuditHead.objects.filter(seq__gt=0).values_list("tenant_id", "seq"))
    assert heads
    for tenant_id, seq in heads.items():
        assert [(a.seq, a.kind) for a in anchors.read(tenant_id)] == [(seq, anchors.STARTUP)]
