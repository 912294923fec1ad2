"""The portal's SAML key pairs (the service provider's ``sp``; in demo mode also the demo
IdP's ``demo-idp``), kept in the database as ``audit.Geheimnis`` ``portal-saml/<name>`` —
encrypted under the secret key every machine shares (``koffer.audit.geheimnisse``) —, so
every web process signs and decrypts with the same key whichever machine made it.

pysaml2 reads keys from files: each process writes the pair it got from the database to
``<KOFFER_PORTAL_SAML_DIR>/aktiv/<name>-<hash>.key``/``.crt`` (0600), named by content, so
a copy is never stale and may be lost with the machine's ``var/``.

Where a pair comes from: the files ``KOFFER_PORTAL_SAML_KEY_FILE``/``CERT_FILE`` when this
machine has them (written into the database when they differ from it, so machines without
them use the same pair); else the database; else, once, the files earlier versions
generated in ``KOFFER_PORTAL_SAML_DIR`` (moved: stored, then removed); else, in demo mode,
a new self-signed pair (the first machine's wins). Every change of the stored pair is
audited in each Mandant's chain (the pair serves every Mandant's portal)."""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import transaction

from koffer.audit import geheimnisse
from koffer.audit import services as audit
from koffer.audit.schluesselabgleich import rechner
from koffer.tenancy.models import Mandant

logger = logging.getLogger("koffer.portal")

# The pairs: the service provider's, and the demo IdP's (demo mode without IdP metadata).
NAMEN = ("sp", "demo-idp")


def selbstsigniert(common_name: str) -> tuple[bytes, bytes]:
    """A new RSA key and a ten-year self-signed certificate for it (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return (
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
        cert.public_bytes(serialization.Encoding.PEM),
    )


def _name(name: str) -> str:
    return f"portal-saml/{name}"


def _json(key: bytes, cert: bytes) -> bytes:
    return json.dumps({"key": key.decode(), "cert": cert.decode()}).encode()


def gespeichert(name: str) -> tuple[bytes, bytes] | None:
    """The pair ``name`` as the database holds it (PEM key, PEM certificate), or None."""
    daten = geheimnisse.lesen(_name(name))
    if daten is None:
        return None
    paar_ = json.loads(daten)
    return paar_["key"].encode(), paar_["cert"].encode()


def _protokollieren(name: str, cert: bytes, quelle: str) -> None:
    abdruck = hashlib.sha256(cert).hexdigest()
    for tenant_id in Mandant.objects.order_by("pk").values_list("pk", flat=True):
        audit.record(
            actor=None,
            tenant_id=tenant_id,
            action="portal.saml.schluessel",
            obj=("portal.saml", name),
            changes={"quelle": quelle, "zertifikat_sha256": abdruck, "rechner": rechner()},
            reason="SAML-Schlüssel des Portals in der Datenbank hinterlegt",
        )


def festlegen(name: str, key: bytes, cert: bytes, *, quelle: str) -> None:
    """Store this machine's configured pair when the database holds another (audited)."""
    if gespeichert(name) == (key, cert):
        return
    with transaction.atomic():
        geheimnisse.schreiben(_name(name), _json(key, cert))
        _protokollieren(name, cert, quelle)


def _uebernehmen(folder: Path, name: str) -> tuple[bytes, bytes] | None:
    """Move the pair an earlier version generated in ``folder`` into the database."""
    if _verschieben(folder, name) is None:
        return None
    return gespeichert(name)


def _verschieben(folder: Path, name: str) -> bool | None:
    """None: no files; True: moved in; False: the database had a pair (files removed)."""
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    try:
        key, cert = key_path.read_bytes(), cert_path.read_bytes()
    except OSError:
        return None
    with transaction.atomic():
        neu = geheimnisse.anlegen(_name(name), _json(key, cert))
        if neu:
            _protokollieren(name, cert, f"Datei {key_path.name} von {rechner()} (übernommen)")
    key_path.unlink(missing_ok=True)
    cert_path.unlink(missing_ok=True)
    return neu


def uebernehmen() -> int:
    """Move the pairs earlier versions generated in ``KOFFER_PORTAL_SAML_DIR`` into the
    database (registered with ``audit.geheimnisse.bei_start``); how many moved."""
    folder = Path(settings.KOFFER_PORTAL_SAML_DIR)
    return sum(1 for name in NAMEN if _verschieben(folder, name))


def pem(folder: Path, name: str, *, erzeugen: bool = True) -> tuple[bytes, bytes] | None:
    """The pair ``name`` of the installation: the database's, else moved from ``folder``,
    else (``erzeugen``) a new one — the first machine's wins."""
    gefunden = gespeichert(name) or _uebernehmen(folder, name)
    if gefunden is not None or not erzeugen:
        return gefunden
    key, cert = selbstsigniert(f"koffer {name}")
    with transaction.atomic():
        if geheimnisse.anlegen(_name(name), _json(key, cert)):
            _protokollieren(name, cert, f"erzeugt auf {rechner()}")
    return gespeichert(name)


def dateien(folder: Path, name: str, key: bytes, cert: bytes) -> tuple[Path, Path]:
    """The pair as files for pysaml2, named by content under ``folder/aktiv`` (0600)."""
    kennung = hashlib.sha256(key + b"\0" + cert).hexdigest()[:16]
    aktiv = folder / "aktiv"
    aktiv.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path, cert_path = aktiv / f"{name}-{kennung}.key", aktiv / f"{name}-{kennung}.crt"
    for path, inhalt in ((key_path, key), (cert_path, cert)):
        if path.exists():
            continue
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, inhalt)
        finally:
            os.close(fd)
        tmp.replace(path)
    return key_path, cert_path


def paar(folder: Path, name: str) -> tuple[Path, Path]:
    """The installation's pair ``name`` as files (generated on first use)."""
    gefunden = pem(folder, name)
    assert gefunden is not None
    return dateien(folder, name, *gefunden)
