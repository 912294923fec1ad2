"""A keyed chain and signed anchors: whoever can write to the database but holds no key
can neither rewrite the chain nor cut its tail off without ``audit_verify`` noticing."""

from __future__ import annotations

import hmac
import importlib
import io
import json
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
from koffer.tenancy.models import Mandant
from tests import factories


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
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_event_no_update")
        else:
            cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update")
        for sql, params in statements:
            cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update")


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
