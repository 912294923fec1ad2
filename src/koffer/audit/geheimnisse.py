"""Secrets every machine of the installation must find alike, kept in the database
(``audit.Geheimnis``) instead of one machine's ``var/`` folder: a FIT-Connect
destination's private keys and the portal's SAML key pairs (issue 20, several machines).

Each is encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from the secret key —
the one secret the machines already must share, compared at every start
(``schluesselabgleich``) —, its name bound as associated data, so a row copied under
another name does not open. A database dump without the secret key reveals nothing; a
machine with another secret key cannot read them (:class:`GeheimnisUnlesbar`, German) and
does not start anyway. After a deliberate change of the secret key, ``SECRET_KEY_FALLBACKS``
still opens them, and the next write seals them under the new key.

Apps that kept such secrets in local files register a move (:func:`bei_start`); ``serve``
and the worker run them at start (:func:`uebernehmen`), so the first start after an
upgrade moves the files into the database (each move audited by its app)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from koffer.audit.models import Geheimnis
from koffer.audit.schluesselabgleich import rechner

logger = logging.getLogger("koffer.audit")

_FORMAT = b"\x01"
_UEBERNAHMEN: list[Callable[[], int]] = []


class GeheimnisUnlesbar(Exception):
    """A stored secret that this machine's secret key does not open."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.message = (
            f"Das Geheimnis „{name}“ in der Datenbank lässt sich mit dem geheimen Schlüssel "
            "dieses Rechners nicht öffnen: alle Rechner brauchen denselben KOFFER_SECRET_KEY."
        )
        super().__init__(self.message)


def _schluessel(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"koffer.audit.geheimnisse", info=b"v1"
    ).derive(secret.encode())


def _verschluesseln(name: str, daten: bytes) -> bytes:
    nonce = os.urandom(12)
    return (
        _FORMAT
        + nonce
        + AESGCM(_schluessel(settings.SECRET_KEY)).encrypt(nonce, daten, name.encode())
    )


def _entschluesseln(name: str, inhalt: bytes) -> bytes:
    if inhalt[:1] != _FORMAT:
        raise GeheimnisUnlesbar(name)
    nonce, geheim = inhalt[1:13], inhalt[13:]
    for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            return AESGCM(_schluessel(secret)).decrypt(nonce, geheim, name.encode())
        except InvalidTag:
            continue
    raise GeheimnisUnlesbar(name)


def lesen(name: str) -> bytes | None:
    """The secret ``name`` decrypted; None when there is none."""
    row = Geheimnis.objects.filter(name=name).first()
    if row is None:
        return None
    return _entschluesseln(name, bytes(row.inhalt))


def schreiben(name: str, daten: bytes) -> None:
    """Store (or replace) ``name``, in the caller's transaction (so the change and its
    audit event commit together)."""
    Geheimnis.objects.update_or_create(
        name=name,
        defaults={
            "inhalt": _verschluesseln(name, daten),
            "rechner": rechner(),
            "geaendert_am": timezone.now(),
        },
    )


def anlegen(name: str, daten: bytes) -> bool:
    """Store ``name`` unless it exists (two machines at once: the first wins); True when
    this call stored it."""
    if Geheimnis.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            Geheimnis.objects.create(
                name=name,
                inhalt=_verschluesseln(name, daten),
                rechner=rechner(),
                geaendert_am=timezone.now(),
            )
    except IntegrityError:
        return False
    return True


def bei_start(uebernahme: Callable[[], int]) -> None:
    """Register a move of local secret files into the database (an app's ``ready()``);
    it returns how many it moved."""
    if uebernahme not in _UEBERNAHMEN:
        _UEBERNAHMEN.append(uebernahme)


def uebernehmen() -> int:
    """Run every registered move (``serve`` and the worker at start); how many secrets
    were moved."""
    bewegt = 0
    for uebernahme in _UEBERNAHMEN:
        anzahl = uebernahme()
        if anzahl:
            logger.info("%s Geheimnis(se) aus lokalen Dateien in die Datenbank übernommen", anzahl)
        bewegt += anzahl
    return bewegt
