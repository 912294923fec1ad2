"""Wiping a Koffer: crypto-erase first, then the files.

The wrapped device key (``tresor.json``) is overwritten and removed first: from that
moment the database and the documents are unreadable, even if removing the rest is
interrupted (power cut, a thief pulling the disk). Overwriting does not reliably reach
the cells of an SSD, which is why the data itself never lies there unencrypted: losing
the key is what erases it. Then the database files (with ``-wal`` and ``-shm``), the
document folder and the page cache go. Safe to repeat; a second wipe finds nothing.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections

from koffer.tresor import schluessel


@dataclass
class Loeschbericht:
    """What a wipe removed (paths as strings), for the caller's log."""

    entfernt: list[str] = field(default_factory=list)


def _ueberschreiben_und_entfernen(pfad: Path, bericht: Loeschbericht) -> None:
    try:
        size = pfad.stat().st_size
    except FileNotFoundError:
        return
    with pfad.open("r+b") as out:
        out.write(os.urandom(max(size, 1)))
        out.flush()
        os.fsync(out.fileno())
    pfad.unlink(missing_ok=True)
    bericht.entfernt.append(str(pfad))


def _entfernen(pfad: Path, bericht: Loeschbericht) -> None:
    if pfad.is_dir() and not pfad.is_symlink():
        shutil.rmtree(pfad, ignore_errors=True)
        bericht.entfernt.append(str(pfad))
    elif pfad.exists() or pfad.is_symlink():
        pfad.unlink(missing_ok=True)
        bericht.entfernt.append(str(pfad))


def _datenbankdateien() -> list[Path]:
    database = settings.DATABASES["default"]
    if "sqlite" not in database["ENGINE"] and "sqlcipher" not in database["ENGINE"]:
        return []
    name = Path(str(database["NAME"]))
    return [name.with_name(name.name + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def loeschen() -> Loeschbericht:
    """Wipe this Koffer's local data (revoked, or reported stolen): the key first, then
    the database, the documents and the cached page images. Only on a Koffer (``KOFFER_TRESOR`` on or
    ``KOFFER_MODE=koffer``): an office's data is never wiped this way."""
    if not (
        getattr(settings, "KOFFER_TRESOR", False)
        or getattr(settings, "KOFFER_MODE", "buero") == "koffer"
    ):
        raise schluessel.TresorFehler(
            "Nur ein Koffer löscht seine Daten selbst; dies ist keine Koffer-Installation."
        )
    bericht = Loeschbericht()
    datei = schluessel.tresor_datei()
    _ueberschreiben_und_entfernen(datei, bericht)
    _ueberschreiben_und_entfernen(datei.with_name(datei.name + ".neu"), bericht)
    schluessel.vergessen()
    connections.close_all()
    for pfad in _datenbankdateien():
        _entfernen(pfad, bericht)
    _entfernen(Path(settings.KOFFER_BLOB_DIR), bericht)
    _entfernen(Path(settings.VAR_DIR) / "cache", bericht)
    if seiten := getattr(settings, "KOFFER_PAGE_CACHE_DIR", None):
        _entfernen(Path(seiten), bericht)
    return bericht
