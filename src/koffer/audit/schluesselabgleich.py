"""Whether this machine holds the same secrets as the other machines of the installation.

Web and worker machines share only the database and the blob store (issue 20). The secrets
stay outside both: the secret key (``KOFFER_SECRET_KEY``, or ``var/secret_key`` made on
the first start of a laptop) signs sessions, tokens and reply codes; the audit keys
(``KOFFER_AUDIT_KEY_DIR``, a folder every machine mounts or receives alike) seal the
chain. A machine with another secret key would sign out everyone whose request it serves
and refuse the codes the others printed; one without a key file cannot continue a chain
sealed under it. So each secret's fingerprint (an HMAC or hash that reveals nothing of
it) goes into the database under its name the first time a machine meets it, and every
machine compares its own with what is there: at the start of ``serve`` and of a worker
(they refuse to start) and in ``/readyz`` (a load balancer takes the machine out). The
findings are German and name the machine that recorded the other value.

``manage.py schluessel_abgleich --uebernehmen`` records this machine's values after a
deliberate change of the secret key on every machine.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from koffer.audit.models import Schluesselabdruck

GEHEIMER_SCHLUESSEL = "secret_key"
_SALT = "koffer.audit.schluesselabgleich"

# Folders of key files every machine must hold alike: name -> where (a setting, read late).
_ORDNER: dict[str, Callable[[], Path]] = {
    "audit": lambda: Path(settings.KOFFER_AUDIT_KEY_DIR),
}


def rechner() -> str:
    return socket.gethostname()[:100]


def _datei_abdruck(content: bytes) -> str:
    return hashlib.sha256(b"koffer-schluesselabdruck\0" + content).hexdigest()


def abdruecke() -> dict[str, str]:
    """This machine's fingerprints by name: the secret key and every key file."""
    found = {GEHEIMER_SCHLUESSEL: salted_hmac(_SALT, "abdruck", algorithm="sha256").hexdigest()}
    for label, where in _ORDNER.items():
        folder = where()
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.key")):
            if path.is_file():
                name = f"{label}/{path.relative_to(folder).as_posix()}"
                found[name] = _datei_abdruck(path.read_bytes())
    return found


def eintragen(name: str, abdruck: str) -> Schluesselabdruck:
    """The recorded fingerprint under ``name``; this one if none was recorded yet (two
    machines at once: the first insert wins, the other reads it). Read first, outside a
    transaction: on SQLite every transaction takes the write lock, and ``/readyz`` asks
    this every few seconds."""
    found = Schluesselabdruck.objects.filter(name=name).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            row, _ = Schluesselabdruck.objects.get_or_create(
                name=name,
                defaults={
                    "abdruck": abdruck,
                    "rechner": rechner(),
                    "eingetragen_am": timezone.now(),
                },
            )
    except IntegrityError:
        row = Schluesselabdruck.objects.get(name=name)
    return row


def abweichungen() -> list[str]:
    """What this machine holds differently from the installation (German, one line each);
    empty when it agrees. Records what nobody recorded yet."""
    eigene = abdruecke()
    findings = []
    for name, abdruck in eigene.items():
        row = eintragen(name, abdruck)
        if row.abdruck == abdruck:
            continue
        if name == GEHEIMER_SCHLUESSEL:
            findings.append(
                f"Der geheime Schlüssel (KOFFER_SECRET_KEY) von {rechner()} ist ein anderer als"
                f" der von {row.rechner}: alle Rechner brauchen denselben."
            )
        else:
            findings.append(
                f"Die Schlüsseldatei {name} von {rechner()} unterscheidet sich von der auf"
                f" {row.rechner}."
            )
    fehlen = Schluesselabdruck.objects.exclude(name__in=list(eigene)).order_by("name")
    findings.extend(
        f"Die Schlüsseldatei {row.name} (von {row.rechner}) fehlt auf {rechner()}: der"
        " Schlüsselordner (KOFFER_AUDIT_KEY_DIR) muss auf allen Rechnern derselbe sein."
        for row in fehlen
    )
    return findings


def uebernehmen() -> int:
    """Record this machine's fingerprints in place of the recorded ones (after the secret
    key was changed on every machine on purpose); returns how many changed."""
    changed = 0
    now = timezone.now()
    with transaction.atomic():
        for name, abdruck in abdruecke().items():
            changed += (
                Schluesselabdruck.objects.filter(name=name)
                .exclude(abdruck=abdruck)
                .update(abdruck=abdruck, rechner=rechner(), eingetragen_am=now)
            )
            eintragen(name, abdruck)
    return changed


def bereit() -> tuple[bool, str]:
    """Readiness: this machine's secrets agree with the installation's."""
    findings = abweichungen()
    if findings:
        return False, " ".join(findings)
    return True, "Schlüssel stimmen mit den anderen Rechnern überein"
