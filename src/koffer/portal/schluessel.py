"""Self-signed key pairs for SAML signatures (the demo IdP and a demo SP), made with
``cryptography``; a real installation names its own files in the settings."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def selbstsigniert(key_path: Path, cert_path: Path, common_name: str) -> None:
    """Write an RSA key (mode 600) and a ten-year self-signed certificate for it."""
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
    key_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_key = key_path.with_suffix(".tmp-key")
    tmp_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    os.chmod(tmp_key, 0o600)
    tmp_cert = cert_path.with_suffix(".tmp-cert")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tmp_key.replace(key_path)
    tmp_cert.replace(cert_path)


def paar(folder: Path, name: str) -> tuple[Path, Path]:
    """``<folder>/<name>.key`` and ``.crt``, generated on first use."""
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    if not (key_path.exists() and cert_path.exists()):
        selbstsigniert(key_path, cert_path, f"koffer {name}")
    return key_path, cert_path
