"""Data at rest on a Koffer (``KOFFER_TRESOR=1``): keys (``schluessel``), the SQLCipher
database backend (``sqlcipher``), encrypted documents (``dokumentenspeicher``), the key
handed to koffer's processes (``start``) and the wipe (``loeschen``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from koffer.tresor.loeschung import Loeschbericht


def loeschen() -> Loeschbericht:
    """Wipe this Koffer (see :mod:`koffer.tresor.loeschung`)."""
    from koffer.tresor.loeschung import loeschen as wipe

    return wipe()
