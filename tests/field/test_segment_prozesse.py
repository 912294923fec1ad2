"""The Koffer's audit segment between two real koffer processes (the office of
tests/field/test_paket_koffer.py and a Koffer in Koffer mode): the Koffer's reads made
offline reach the office's chain, which still verifies; a Koffer whose database was
edited sends nothing; a segment changed on its way is refused and quarantined."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.field.test_paket_koffer import (
    Buero,
    _db,
    _koffer,
    _koppeln,
    _manage,
    buero,  # noqa: F401  (the office, a fixture)
)

pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database]


def _schritt(env: dict[str, str], aufruf: str) -> Any:
    run = _manage(env, "shell", "-c", f"from tests.field import segment_schritte as s; s.{aufruf}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _offline_lesen(env: dict[str, str], case: dict[str, Any]) -> None:
    _schritt(env, f"akte_lesen({case['akten'][0]!r}, {case['username']!r})")


def test_reads_made_offline_reach_the_office_chain_which_still_verifies(
    buero: Buero,  # noqa: F811
    tmp_path: Path,
) -> None:
    case = buero.seed["rundreise"]
    env = _koffer(tmp_path)
    _koppeln(env, buero, "rundreise")
    _manage(env, "koffer_abholen")
    _offline_lesen(env, case)

    run = _manage(env, "koffer_abgleichen")

    assert "Abgeglichen:" in run.stdout, run.stdout + run.stderr
    stand = _schritt(buero.env, f"im_buero({case['geraet']!r})")
    assert stand["ok"], stand["problem"]
    actions = [e["action"] for e in stand["aus_koffer"]]
    assert actions[:3] == ["field.segment.beginn", "field.paket_eingespielt", "read"]
    gelesen = stand["aus_koffer"][2]
    assert gelesen["object_id"] == case["akten"][0] and gelesen["actor_id"] == stand["user"]
    assert [e["seq"] for e in stand["aus_koffer"]] == list(range(1, len(actions) + 1))
    assert stand["quarantaene"] == []
    # The Koffer's own chain verifies too, sealed with the key from the pairing.
    assert _manage(env, "audit_verify").returncode == 0

    # Only the pull's bookkeeping since: nothing to push; it goes with the next one.
    again = _manage(env, "koffer_abgleichen")
    assert "Nichts abzugleichen." in again.stdout, again.stdout + again.stderr
    _offline_lesen(env, case)
    third = _manage(env, "koffer_abgleichen")
    assert "Abgeglichen:" in third.stdout, third.stdout + third.stderr
    stand = _schritt(buero.env, f"im_buero({case['geraet']!r})")
    assert stand["ok"], stand["problem"]
    seqs = [e["seq"] for e in stand["aus_koffer"]]
    assert seqs == list(range(1, len(seqs) + 1))  # nothing doubled, nothing missing
    assert [e["action"] for e in stand["aus_koffer"]].count("read") == 2


def _read_changes(con: sqlite3.Connection) -> tuple[int, str]:
    row = con.execute(
        "SELECT seq, changes FROM audit_event WHERE action = 'read' ORDER BY seq DESC"
    ).fetchone()
    return int(row[0]), str(row[1])


def _aendern(con: sqlite3.Connection, seq: int, changes: str) -> None:
    """What someone with the laptop's database file can do: the append-only trigger is
    just another row of the schema."""
    (trigger,) = con.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_event_no_update'"
    ).fetchone()
    con.execute("DROP TRIGGER audit_event_no_update")
    con.execute("UPDATE audit_event SET changes = ? WHERE seq = ?", (changes, seq))
    con.execute(trigger)
    con.commit()


def test_a_tampered_koffer_sends_nothing_and_a_tampered_segment_is_quarantined(
    buero: Buero,  # noqa: F811
    tmp_path: Path,
) -> None:
    case = buero.seed["abbruch"]
    env = _koffer(tmp_path)
    _koppeln(env, buero, "abbruch")
    _manage(env, "koffer_abholen")
    _offline_lesen(env, case)

    # The local database edited: the Koffer checks its own chain and sends nothing.
    with _db(tmp_path) as con:
        seq, original = _read_changes(con)
        _aendern(con, seq, '{"gelesen": "nichts"}')
    refused = _manage(env, "koffer_abgleichen", check=False)
    assert refused.returncode != 0
    assert f"Ereignis {seq}: Inhalt verändert" in refused.stderr, refused.stdout + refused.stderr
    assert "es wird nichts an das Büro gesendet" in refused.stderr
    assert not list((tmp_path / "koffer" / "abgleich").glob("*.json"))
    stand = _schritt(buero.env, f"im_buero({case['geraet']!r})")
    assert stand["aus_koffer"] == [] and stand["quarantaene"] == []

    # Put back, the chain verifies again. Now the segment is changed after it was
    # written for the push: the office refuses the whole push and quarantines it.
    with _db(tmp_path) as con:
        _aendern(con, seq, original)
    _manage(
        env, "shell", "-c", "from tests.field import abgleich_schritte as s; s.nur_blobs_senden()"
    )
    (datei,) = (tmp_path / "koffer" / "abgleich").glob("*.json")
    payload = json.loads(datei.read_text())
    for event in payload["segment"]["ereignisse"]:
        if event["seq"] == seq:
            event["reason"] = "Nur kurz hineingeschaut"
    datei.write_text(json.dumps(payload))

    quarantined = _manage(env, "koffer_abgleichen", check=False)

    out = quarantined.stdout + quarantined.stderr
    assert quarantined.returncode != 0
    assert f"Ereignis {seq}: Prüfsumme stimmt nicht." in quarantined.stderr, out
    assert "Quarantäne" in quarantined.stderr
    assert datei.exists()  # the Koffer keeps everything
    stand = _schritt(buero.env, f"im_buero({case['geraet']!r})")
    assert stand["quarantaene"] == [f"Ereignis {seq}: Prüfsumme stimmt nicht."]
    assert stand["aus_koffer"] == []
    assert stand["ok"], stand["problem"]

    # Refused for good: the administration begins a new segment. The Koffer learns it at
    # its next sync (same pairing and token), begins again under the new key, and its
    # waiting push goes through; the quarantined segment stays.
    neu = _schritt(buero.env, f"neu_beginnen({case['geraet']!r})")
    assert neu["schluessel"] == [neu["neu"]]
    again = _manage(env, "koffer_abgleichen", check=False)
    out = again.stdout + again.stderr
    assert again.returncode == 0, out
    assert "Protokoll dieses Koffers neu beginnen lassen" in again.stdout, out
    assert not datei.exists()
    stand = _schritt(buero.env, f"im_buero({case['geraet']!r})")
    assert stand["ok"], stand["problem"]
    assert stand["quarantaene"] == [f"Ereignis {seq}: Prüfsumme stimmt nicht."]
    assert stand["aus_koffer"][0]["action"] == "field.segment.beginn"
