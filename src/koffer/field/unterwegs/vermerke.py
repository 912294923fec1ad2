"""What the Koffer notes about itself between runs (``var/koffer/vermerke.json``, 0600):
the last pull and sync (times and counts), the office's clock, a revocation's wipe. No
personal data: times, counts and the office's German messages only, so the file may stay
plaintext beside the tresor."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from django.conf import settings

_lock = threading.Lock()


def pfad() -> Path:
    return Path(settings.VAR_DIR) / "koffer" / "vermerke.json"


def lesen() -> dict[str, Any]:
    try:
        data = json.loads(pfad().read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def setzen(**werte: Any) -> None:
    """Merge ``werte`` into the notes, written atomically (a value None removes its key)."""
    with _lock:
        data = lesen()
        for key, value in werte.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        ziel = pfad()
        ziel.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = ziel.with_name(f"{ziel.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(data, out)
        tmp.replace(ziel)
