"""The Koffer's device key: wrapped by the secret, unwrapped only by it, rewrapped when the
secret changes, and handed to processes through the environment."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from koffer.tresor import schluessel, start

# Small argon2id parameters: the tests are about wrapping, not about the cost of a guess.
FAST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
SECRET = "Kofferkennwort-2026"


@pytest.fixture
def tresor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv(schluessel.SCHLUESSEL_ENV, raising=False)
    monkeypatch.delenv(schluessel.KENNWORT_DATEI_ENV, raising=False)
    pfad = tmp_path / "tresor.json"
    with override_settings(KOFFER_TRESOR_DATEI=pfad, KOFFER_TRESOR=True):
        yield pfad
    schluessel.vergessen()


def test_the_secret_unwraps_the_device_key_and_the_file_holds_it_only_wrapped(
    tresor: Path,
) -> None:
    key = schluessel.einrichten(SECRET, params=FAST)

    assert len(key) == 32
    assert schluessel.oeffnen(SECRET) == key
    stored = json.loads(tresor.read_text())
    assert stored["format"] == "koffer-tresor-1"
    assert stored["kdf"] == "argon2id"
    assert stored["params"] == FAST
    assert stored["key_id"] == schluessel.schluessel_id(key)
    assert key.hex() not in tresor.read_text()
    assert SECRET not in tresor.read_text()
    assert tresor.stat().st_mode & 0o077 == 0  # only the owner reads it


def test_a_wrong_secret_says_only_that_it_is_wrong(tresor: Path) -> None:
    schluessel.einrichten(SECRET, params=FAST)

    with pytest.raises(schluessel.KennwortFalsch) as caught:
        schluessel.oeffnen("Kofferkennwort-2025")

    assert caught.value.message == "Das Kennwort für den Koffer ist falsch."


def test_changing_the_secret_rewraps_the_same_key(tresor: Path) -> None:
    key = schluessel.einrichten(SECRET, params=FAST)
    before = json.loads(tresor.read_text())

    schluessel.kennwort_aendern(SECRET, "Neues-Kofferkennwort")

    after = json.loads(tresor.read_text())
    assert schluessel.oeffnen("Neues-Kofferkennwort") == key
    with pytest.raises(schluessel.KennwortFalsch):
        schluessel.oeffnen(SECRET)
    assert after["salt"] != before["salt"]
    assert after["key_id"] == before["key_id"]
    assert after["params"] == FAST


def test_a_changed_key_file_is_refused(tresor: Path) -> None:
    schluessel.einrichten(SECRET, params=FAST)
    stored = json.loads(tresor.read_text())

    stored["params"]["time_cost"] = 2  # a tampered header fails the tag, too
    tresor.write_text(json.dumps(stored))
    with pytest.raises(schluessel.KennwortFalsch):
        schluessel.oeffnen(SECRET)

    tresor.write_text("{kaputt")
    with pytest.raises(schluessel.TresorFehler, match="unlesbar oder beschädigt"):
        schluessel.oeffnen(SECRET)


def test_setup_refuses_a_short_secret_and_a_second_setup(tresor: Path) -> None:
    with pytest.raises(schluessel.TresorFehler, match="mindestens 10 Zeichen"):
        schluessel.einrichten("kurz", params=FAST)
    assert not tresor.exists()

    schluessel.einrichten(SECRET, params=FAST)
    with pytest.raises(schluessel.TresorFehler, match="schon eingerichtet"):
        schluessel.einrichten(SECRET, params=FAST)


def test_a_process_takes_the_key_from_the_environment_and_refuses_a_foreign_one(
    tresor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = schluessel.einrichten(SECRET, params=FAST)

    with pytest.raises(schluessel.TresorFehler, match="Schlüssel fehlt"):
        schluessel.geraeteschluessel()

    monkeypatch.setenv(schluessel.SCHLUESSEL_ENV, key.hex())
    assert schluessel.geraeteschluessel() == key

    monkeypatch.setenv(schluessel.SCHLUESSEL_ENV, "ab" * 32)
    with pytest.raises(schluessel.TresorFehler, match="passt nicht zu diesem Koffer"):
        schluessel.geraeteschluessel()


def test_serve_asks_once_and_hands_the_key_to_its_children(
    tresor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = schluessel.einrichten(SECRET, params=FAST)
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return SECRET

    start.schluessel_bereitstellen(ask=ask)

    assert asked == ["Kennwort für den Koffer: "]
    assert os.environ[schluessel.SCHLUESSEL_ENV] == key.hex()
    monkeypatch.delenv(schluessel.SCHLUESSEL_ENV)


def test_serve_without_a_secret_stops_with_a_german_message(tresor: Path) -> None:
    schluessel.einrichten(SECRET, params=FAST)

    def no_input(prompt: str) -> str:
        raise EOFError

    with pytest.raises(schluessel.TresorFehler, match="Kein Kennwort"):
        start.schluessel_bereitstellen(ask=no_input)
    with pytest.raises(schluessel.KennwortFalsch):
        start.schluessel_bereitstellen(ask=lambda prompt: "ganz-falsches-Kennwort")


def test_the_secret_file_for_automation(
    tresor: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = schluessel.einrichten(SECRET, params=FAST)
    datei = tmp_path / "kennwort"
    datei.write_text(SECRET + "\n")
    monkeypatch.setenv(schluessel.KENNWORT_DATEI_ENV, str(datei))

    assert schluessel.geraeteschluessel() == key
    call_command("tresor_oeffnen")

    datei.write_text("ein-anderes-Kennwort\n")
    schluessel.vergessen()
    with pytest.raises(CommandError, match="Das Kennwort für den Koffer ist falsch"):
        call_command("tresor_oeffnen")
