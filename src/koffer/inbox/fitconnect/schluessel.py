"""A destination's secrets, kept outside the database like the audit keys: one JSON file
per destination under ``KOFFER_FITCONNECT_KEY_DIR/<Mandant>/<destination>.json`` (mode
0600) with the private decryption key (RSA, ``RSA-OAEP-256``, FIT-Connect's
``wrapKey``), the private signing key of the events (RSA, ``PS512``) and the OAuth client
secret. Whoever can read the database learns only the key ids; the public keys are what
the Zustelldienst is told (``oeffentlich``).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from jwcrypto import jwk

from koffer.inbox.errors import InboxError


@dataclass(frozen=True)
class Schluessel:
    entschluesselung: jwk.JWK  # private, RSA-OAEP-256
    signatur: jwk.JWK  # private, PS512
    client_secret: str

    def oeffentlich(self) -> dict[str, dict[str, object]]:
        """The public keys to register at the Zustelldienst (JWK, with use and key_ops)."""
        return {
            "verschluesselung": self.entschluesselung.export_public(as_dict=True),
            "signaturpruefung": self.signatur.export_public(as_dict=True),
        }


def _path(tenant_id: uuid.UUID, destination_id: uuid.UUID) -> Path:
    return Path(settings.KOFFER_FITCONNECT_KEY_DIR) / str(tenant_id) / f"{destination_id}.json"


def erzeugen(*, bits: int | None = None) -> Schluessel:
    """Two new RSA key pairs (FIT-Connect asks for 4096 bits)."""
    size = bits or settings.KOFFER_FITCONNECT_KEY_BITS
    enc = jwk.JWK.generate(
        kty="RSA", size=size, alg="RSA-OAEP-256", use="enc", kid=str(uuid.uuid4())
    )
    sig = jwk.JWK.generate(kty="RSA", size=size, alg="PS512", use="sig", kid=str(uuid.uuid4()))
    return Schluessel(enc, sig, "")


def speichern(*, tenant_id: uuid.UUID, destination_id: uuid.UUID, schluessel: Schluessel) -> None:
    """Write the file (temp name, fsync, rename; readable by koffer's user only)."""
    path = _path(tenant_id, destination_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = json.dumps(
        {
            "entschluesselung": schluessel.entschluesselung.export_private(as_dict=True),
            "signatur": schluessel.signatur.export_private(as_dict=True),
            "client_secret": schluessel.client_secret,
        }
    ).encode()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)


def laden(*, tenant_id: uuid.UUID, destination_id: uuid.UUID) -> Schluessel:
    path = _path(tenant_id, destination_id)
    try:
        data = json.loads(path.read_bytes())
        return Schluessel(
            jwk.JWK(**data["entschluesselung"]),
            jwk.JWK(**data["signatur"]),
            str(data.get("client_secret", "")),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InboxError(
            "fitconnect_keys_missing",
            "Die Schlüssel dieses FIT-Connect-Zustellpunkts fehlen oder sind unlesbar "
            f"(erwartet in {path.parent.name}/{path.name} im Schlüsselordner).",
        ) from exc
