"""Rows removed in the office leave the Koffer at its next pull, between two real koffer
processes (the office of tests/field/test_paket_koffer.py and a Koffer running
``koffer_abholen``): every package lists the ids under the carried Akten (``bestand``),
so whatever removed them — here straight from the database, unaudited — the Koffer
removes what it had from the office, with its files; an unsent change on the Koffer
stays until its push meets the deletion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.field.test_paket_koffer import (
    Buero,
    _blob,
    _db,
    _hex,
    _ids,
    _koffer,
    _koppeln,
    _manage,
    buero,  # noqa: F401  (the office, a fixture)
)

pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database]


def _schritt(env: dict[str, str], aufruf: str) -> Any:
    run = _manage(env, "shell", "-c", f"from tests.field import abgleich_schritte as s; s.{aufruf}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_rows_removed_in_the_office_leave_the_koffer_at_the_next_pull(
    buero: Buero,  # noqa: F811
    tmp_path: Path,
) -> None:
    erste, zweite = buero.seed["rundreise"]["akten"]
    env = _koffer(tmp_path)
    _koppeln(env, buero, "rundreise")
    _manage(env, "koffer_abholen")
    # On the Koffer, the second Akte's Wiedervorlage is changed and not yet sent.
    geaendert = _schritt(env, f"wiedervorlage_notiz({zweite!r}, 'Beim Besuch verschoben')")

    weg = _schritt(buero.env, f"im_buero_entfernen({erste!r})")
    auch_weg = _schritt(buero.env, f"im_buero_entfernen({zweite!r})")
    assert geaendert["wiedervorlage"] == auch_weg["wiedervorlage"]
    with _db(tmp_path) as con:
        assert _hex(weg["dokument"]) in _ids(con, "records_dokument")
    assert all(_blob(tmp_path, sha).exists() for sha in weg["shas"])

    run = _manage(env, "koffer_abholen")

    out = run.stdout
    assert "Änderungen seit dem letzten Abholen eingespielt" in out, out + run.stderr
    assert "im Büro entfernt worden" in out
    with _db(tmp_path) as con:
        dokumente = _ids(con, "records_dokument")
        wiedervorlagen = _ids(con, "records_wiedervorlage")
        versionen = {
            row[0]
            for row in con.execute(
                "SELECT sha256 FROM records_dokumentversion WHERE dokument_id = ?",
                (_hex(weg["dokument"]),),
            )
        }
    assert _hex(weg["dokument"]) not in dokumente
    assert _hex(auch_weg["dokument"]) not in dokumente
    assert len(dokumente) >= 2  # the other documents stay
    assert versionen == set()
    assert _hex(weg["wiedervorlage"]) not in wiedervorlagen
    # changed here and unsent: it stays, its push will meet the deletion
    assert _hex(auch_weg["wiedervorlage"]) in wiedervorlagen
    for sha in weg["shas"] + auch_weg["shas"]:
        assert not _blob(tmp_path, sha).exists()
