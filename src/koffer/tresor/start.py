"""The key handed to koffer's processes, and the documents' store built from it.

Threat model: the tresor protects a Koffer that is switched off, or whose koffer is not
running (a stolen laptop, a disk pulled out). While koffer runs, its processes hold the
device key in memory and in their environment (``KOFFER_TRESOR_SCHLUESSEL``), readable by
the same user and by root: a running, unlocked session is protected by the laptop's own
screen lock, not by the tresor.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable

from django.conf import settings

from koffer.blobs.store import BlobStore
from koffer.tresor import schluessel
from koffer.tresor.dokumentenspeicher import TresorBlobStore


def dokumentenschluessel() -> bytes:
    return schluessel.unterschluessel(schluessel.geraeteschluessel(), "dokumente")


def tresor_blobstore() -> BlobStore:
    return TresorBlobStore(settings.KOFFER_BLOB_DIR, dokumentenschluessel)


def kennwort_erfragen(
    frage: str = "Kennwort für den Koffer: ", ask: Callable[[str], str] = getpass.getpass
) -> str:
    """The secret from ``KOFFER_TRESOR_KENNWORT_DATEI`` (automation) or asked for."""
    if pfad := os.environ.get(schluessel.KENNWORT_DATEI_ENV, ""):
        return schluessel.kennwort_aus_datei(pfad)
    try:
        return ask(frage)
    except EOFError:
        raise schluessel.TresorFehler(
            "Kein Kennwort für den Koffer eingegeben. Ohne Kennwort startet ein Koffer nicht"
            f" (für Automatisierung: {schluessel.KENNWORT_DATEI_ENV})."
        ) from None


def schluessel_bereitstellen(ask: Callable[[str], str] = getpass.getpass) -> None:
    """Make the device key available to this process and every child it starts
    (``KOFFER_TRESOR_SCHLUESSEL``). Nothing to do when the tresor is off; a key already in
    the environment is checked. Raises TresorFehler (German) when it cannot be had."""
    if not getattr(settings, "KOFFER_TRESOR", False):
        return
    if os.environ.get(schluessel.SCHLUESSEL_ENV):
        schluessel.geraeteschluessel()
        return
    key = schluessel.oeffnen(kennwort_erfragen(ask=ask))
    os.environ[schluessel.SCHLUESSEL_ENV] = key.hex()
