"""Where a Koffer keeps what must not lie on its disk in plaintext (no Django here:
settings.py reads it before anything is set up)."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path


def seiten_cache(var_dir: Path) -> Path:
    """The page images' cache of the Koffer in ``var_dir``: in memory (the user's runtime
    folder or /dev/shm, both tmpfs), so pictures of documents are gone when it is off."""
    # /dev/shm is shared by all users: the folder is checked to be our own in anlegen().
    root = Path(os.environ.get("XDG_RUNTIME_DIR") or "/dev/shm")  # noqa: S108
    digest = hashlib.sha256(str(var_dir).encode()).hexdigest()[:12]
    return root / f"koffer-seiten-{os.getuid()}-{digest}"


def seiten_cache_anlegen(var_dir: Path) -> Path:
    """Create the cache folder (0700) and refuse one that someone else made first."""
    folder = seiten_cache(var_dir)
    folder.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(folder)
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.getuid()
        or stat.S_IMODE(info.st_mode) & 0o077
    ):
        raise PermissionError(
            f"Der Zwischenspeicher für Seitenbilder {folder} gehört nicht diesem Benutzer"
            " oder ist für andere lesbar."
        )
    return folder
