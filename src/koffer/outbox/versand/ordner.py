"""The paths of a print provider's drop folder (``versand.ablage``): the folder an
administrator names, kept under ``KOFFER_ABLAGE_ROOT``, and writing a file there so that
it appears whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings

from koffer.blobs.local import fsync_dir
from koffer.outbox.errors import Invalid
from koffer.outbox.models import Druckdienst

AUSGANG, EINGANG, VERARBEITET, FEHLER = "ausgang", "eingang", "verarbeitet", "fehler"
IN_ARBEIT = ".in-arbeit"
TEMP_PREFIX = ".koffer-"
MAX_ORDNER = 200
CHUNK = 1024 * 1024


def root() -> Path:
    return Path(settings.KOFFER_ABLAGE_ROOT).resolve()


def _outside() -> Invalid:
    return Invalid(
        "ordner_invalid",
        "Der Ablageordner muss ein Unterordner des Ablage-Stammordners sein "
        "(ein relativer Pfad ohne „..“, zum Beispiel: druckhaus-nord).",
        field="ordner",
    )


def ordner_pfad(raw: str) -> str:
    """The folder as stored: a relative path that stays under the root, also where a
    symbolic link inside the root points elsewhere. Refused with a German message."""
    text = raw.strip()
    if not text:
        raise Invalid(
            "ordner_missing",
            "Bitte geben Sie den Ablageordner des Druckdienstes an.",
            field="ordner",
        )
    pure = PurePosixPath(text)
    if (
        len(text) > MAX_ORDNER
        or "\\" in text
        or pure.is_absolute()
        or any(part in {"..", "."} or part.startswith(".") for part in pure.parts)
        or any(ord(c) < 32 for c in text)
    ):
        raise _outside()
    base = root()
    if not (base / pure).resolve().is_relative_to(base) or not pure.parts:
        raise _outside()
    return str(pure)


def ueberschneidet(ordner: str, andere: list[str]) -> bool:
    """Whether ``ordner`` is one of ``andere``, or lies in one, or holds one (links
    followed): a provider would read another's batches or reports, maybe another
    Mandant's."""
    mine = (root() / ordner).resolve()
    for other in andere:
        theirs = (root() / other).resolve()
        if mine.is_relative_to(theirs) or theirs.is_relative_to(mine):
            return True
    return False


def verzeichnis(dienst: Druckdienst) -> Path:
    """The provider's folder with its four sub-folders (made when missing); checked again
    each time, since a link in the root could have changed."""
    base = root()
    path = (base / dienst.ordner).resolve()
    if dienst.kanal != Druckdienst.Kanal.ABLAGE or not path.is_relative_to(base) or path == base:
        raise _outside()
    for sub in (AUSGANG, EINGANG, VERARBEITET, FEHLER):
        (path / sub).mkdir(parents=True, exist_ok=True)
    (path / EINGANG / IN_ARBEIT).mkdir(exist_ok=True)
    return path


# --- writing ----------------------------------------------------------------------------------


def atomar_schreiben(target: Path, source: IO[bytes]) -> None:
    """Write ``source`` to ``target`` so that ``target`` is either absent, its old
    content, or complete: a hidden temporary file in the same folder, fsynced, renamed."""
    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)  # the provider's account reads it (mkstemp makes 0600)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
