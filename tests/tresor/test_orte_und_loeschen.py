"""What must not lie on a Koffer's disk goes to memory, and the wipe refuses an office."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from koffer import tresor
from koffer.blobs.local import LocalBlobStore
from koffer.tresor import orte, schluessel
from koffer.tresor.dokumentenspeicher import TresorBlobStore


def test_the_page_cache_is_a_private_folder_outside_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    (tmp_path / "run").mkdir()
    var = tmp_path / "var"

    folder = orte.seiten_cache_anlegen(var)

    assert folder.parent == tmp_path / "run"
    assert var not in folder.parents
    assert os.stat(folder).st_mode & 0o777 == 0o700
    assert orte.seiten_cache_anlegen(var) == folder  # again: the same, still ours


def test_a_page_cache_folder_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    folder = orte.seiten_cache(tmp_path / "var")
    folder.mkdir()
    folder.chmod(0o755)  # made before us, open to everyone

    with pytest.raises(PermissionError, match="Seitenbilder"):
        orte.seiten_cache_anlegen(tmp_path / "var")


def test_the_page_renderer_never_gets_an_encrypted_file_as_a_plain_path(tmp_path: Path) -> None:
    # records.dokumente.pages hands a LocalBlobStore's file path to its rendering child;
    # an encrypted store must not look like one.
    assert not isinstance(TresorBlobStore(tmp_path, lambda: bytes(32)), LocalBlobStore)


def test_an_office_is_never_wiped() -> None:
    with (
        override_settings(KOFFER_TRESOR=False, KOFFER_MODE="buero"),
        pytest.raises(schluessel.TresorFehler, match="keine Koffer-Installation"),
    ):
        tresor.loeschen()


def test_the_wipe_command_wants_a_yes() -> None:
    with pytest.raises(CommandError, match="--ja"):
        call_command("tresor_loeschen")
