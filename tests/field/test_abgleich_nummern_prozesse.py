"""An Akte made on a Koffer between two real koffer processes (the office of
tests/field/test_paket_koffer.py and a Koffer in Koffer mode running
``koffer_abgleichen``): provisional number on the Koffer, the office's real one after the
sync, the same UUID on both sides, and the Koffer's pull shows the real number; its
Vorgang, made there through the E-Akte's service, has its first step once on each side."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.field.test_paket_koffer import (
    Buero,
    _koffer,
    _koppeln,
    _manage,
    buero,  # noqa: F401  (the office, a fixture)
)

pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database]


def _schritt(env: dict[str, str], aufruf: str) -> Any:
    run = _manage(env, "shell", "-c", f"from tests.field import nummern_schritte as s; s.{aufruf}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_an_akte_made_on_the_koffer_gets_the_offices_number_on_sync(
    buero: Buero,  # noqa: F811
    tmp_path: Any,
) -> None:
    neben = buero.seed["rundreise"]["akten"][0]
    env = _koffer(tmp_path)
    _koppeln(env, buero, "rundreise")
    _manage(env, "koffer_abholen")

    offline = _schritt(env, f"akte_anlegen({neben!r}, 'Hilfe zur Pflege')")
    assert offline["aktenzeichen"].startswith("KOFFER-"), offline
    assert offline["bg"].startswith("KOFFER-") and "-BG-" in offline["bg"], offline

    run = _manage(env, "koffer_abgleichen")
    assert "Aktenzeichen" in run.stdout, run.stdout + run.stderr

    im_buero = _schritt(buero.env, f"akte_stand({offline['akte']!r})")  # the same UUID
    assert not im_buero["aktenzeichen"].startswith("KOFFER-"), im_buero
    assert im_buero["bg"].startswith("BG"), im_buero
    assert im_buero["texte"] == offline["texte"] and offline["texte"], im_buero
    im_koffer = _schritt(env, f"akte_stand({offline['akte']!r})")
    assert im_koffer["aktenzeichen"] == im_buero["aktenzeichen"]
    assert im_koffer["bg"] == im_buero["bg"]
    # the Vorgang's first step once on both sides, the same row
    assert im_buero["schritte"] == im_koffer["schritte"] == offline["schritte"]
    assert len(offline["schritte"]) == 1

    again = _manage(env, "koffer_abgleichen")
    assert "Nichts abzugleichen." in again.stdout, again.stdout + again.stderr
