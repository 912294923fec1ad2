"""The sync back between two real koffer processes (the office of
tests/field/test_paket_koffer.py, served with its own var folder, and a Koffer running
``koffer_abgleichen`` as a subprocess in Koffer mode)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.field.test_paket_koffer import (
    Buero,
    _blob,
    _db,
    _ids,
    _koffer,
    _koppeln,
    _manage,
    _sha,
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
    # the pull afterwards asks for what changed since the first one: nothing
    assert "Änderungen seit dem letzten Abholen eingespielt: 0 Akten" in run.stdout
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


def _schritt(env: dict[str, str], aufruf: str) -> Any:
    run = _manage(env, "shell", "-c", f"from tests.field import abgleich_schritte as s; s.{aufruf}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_changes_on_both_sides_merge_per_field_and_a_lost_answer_doubles_nothing(
    buero: Buero,  # noqa: F811
    tmp_path: Path,
) -> None:
    akte = buero.seed["abbruch"]["akten"][0]
    env = _koffer(tmp_path)
    _koppeln(env, buero, "abbruch")
    _manage(env, "koffer_abholen")

    _schritt(env, f"person_aendern({akte!r}, telefon='0170 5550001', city='Koffertal-Nord')")
    neu = _schritt(env, f"dokument_anlegen({akte!r}, 'Mietvertrag.txt')")
    _schritt(buero.env, f"person_aendern({akte!r}, email='buero@example.org', city='Bürostadt')")

    # The push reaches the office, the Koffer dies before it reads the answer.
    erster = _schritt(env, "senden_ohne_abschluss()")
    antwort = erster["antwort"]
    assert antwort["konflikte"] == 1 and antwort["uebernommen"] == 1, antwort
    assert antwort["neu"] >= 2
    warten = list((tmp_path / "koffer" / "abgleich").glob("*.json"))
    assert [w.name for w in warten] == [f"{erster['abgleich_id']}.json"]

    rerun = _manage(env, "koffer_abgleichen")
    out = rerun.stdout
    assert "Ein unterbrochener Abgleich wird wiederholt." in out, out + rerun.stderr
    assert "1 Änderungen übernommen, 1 Konflikte" in out
    assert "Änderungen seit dem letzten Abholen eingespielt: 1 Akten" in out
    assert not list((tmp_path / "koffer" / "abgleich").glob("*.json"))

    im_buero = _schritt(buero.env, f"stand({akte!r})")
    assert im_buero["telefon"] == "0170 5550001"
    assert im_buero["email"] == "buero@example.org"
    assert im_buero["city"] == "Bürostadt"  # the office's value stays until decided
    assert im_buero["konflikte"] == ["city"]
    assert neu["dokument"] in im_buero["dokumente"]
    assert im_buero["shas"].count(neu["sha"]) == 1
    assert _sha(_blob(buero.var, neu["sha"])) == neu["sha"]

    # After the pull the Koffer's base is the office's state: nothing left to send.
    again = _manage(env, "koffer_abgleichen")
    assert "Nichts abzugleichen." in again.stdout, again.stdout + again.stderr

    # A push that dies after its blob upload is sent whole by the next run, once.
    zweites = _schritt(env, f"dokument_anlegen({akte!r}, 'Kontoauszug.txt')")
    abgebrochen = _schritt(env, "nur_blobs_senden()")
    assert zweites["sha"] in abgebrochen["blobs"]
    assert _sha(_blob(buero.var, zweites["sha"])) == zweites["sha"]
    fortgesetzt = _manage(env, "koffer_abgleichen")
    assert "Ein unterbrochener Abgleich wird wiederholt." in fortgesetzt.stdout
    assert "0 Konflikte" in fortgesetzt.stdout, fortgesetzt.stdout + fortgesetzt.stderr
    im_buero = _schritt(buero.env, f"stand({akte!r})")
    assert im_buero["dokumente"].count(zweites["dokument"]) == 1
    assert im_buero["shas"].count(zweites["sha"]) == 1
    assert im_buero["konflikte"] == ["city"]
