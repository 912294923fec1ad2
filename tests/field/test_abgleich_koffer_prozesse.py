"""The sync back between two real koffer processes (the office of
tests/field/test_paket_koffer.py, served with its own var folder, and a Koffer running
``koffer_abgleichen`` as a subprocess in Koffer mode)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.field.test_paket_koffer import (
    Buero,
    _db,
    _ids,
    _koffer,
    _koppeln,
    _manage,
    buero,  # noqa: F401  (the office, a fixture)
)

pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database]


def test_a_koffer_without_changes_says_so_and_pulls_again(
    buero: Buero,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = _koffer(tmp_path)
    _koppeln(env, buero, "rundreise")
    _manage(env, "koffer_abholen")

    run = _manage(env, "koffer_abgleichen")

    assert "Nichts abzugleichen." in run.stdout, run.stdout + run.stderr
    assert "Paket eingespielt: 2 Akten" in run.stdout
    assert not list((tmp_path / "koffer" / "abgleich").glob("*.json"))


def test_a_revoked_koffer_wipes_itself_when_it_comes_to_sync(
    buero: Buero,  # noqa: F811
    tmp_path: Path,
) -> None:
    case = buero.seed["gesperrt"]
    env = _koffer(tmp_path)
    _koppeln(env, buero, "gesperrt")
    _manage(env, "koffer_abholen")
    _manage(
        buero.env,
        "shell",
        "-c",
        f"from tests.field.paket_seed import sperren; sperren({case['geraet']!r})",
    )

    wiped = _manage(env, "koffer_abgleichen", check=False)

    assert wiped.returncode != 0
    assert "gesperrt" in wiped.stderr and "gelöscht" in wiped.stderr, wiped.stderr
    with _db(tmp_path) as con:
        assert _ids(con, "records_akte") == set()
    assert not (tmp_path / "koffer" / "zugang.json").exists()
