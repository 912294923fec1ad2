"""A destination's secrets, kept outside the database like the audit keys: one JSON file
per destination under ``KOFFER_FITCONNECT_KEY_DIR/<Mandant>/<destination>.json`` (mode
0600) with the private decryption key (RSA, ``RSA-OAEP-256``, FIT-Connect's
``wrapKey``), the private signing key of the events (RSA, ``PS512``) and the OAuth client
secret. Whoever can read the database learns only the key ids; the public keys are what
the Zustelldienst is told (``oeffentlich``).

A key change (``gewechselt``) puts new key pairs in place and keeps the previous
decryption keys in the same file (``fruehere``, each with the time it was replaced):
senders that fetched the old public key still send submissions encrypted for it, and
``entschluesselungen`` decrypts with whichever key a JWE names by ``kid``. An old key is
dropped (``ohne``) once no submission needs it (``fitconnect.services``)."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from django.conf import settings
from jwcrypto import jwk

from koffer.inbox.errors import InboxError


@dataclass(frozen=True)
class Frueherer:
    """A decryption key replaced by a key change, kept while submissions may need it."""

    schluessel: jwk.JWK  # private, RSA-OAEP-256
    abgeloest_am: datetime

    @property
    def kid(self) -> str:
        return str(self.schluessel.get("kid"))


@dataclass(frozen=True)
class Schluessel:
    entschluesselung: jwk.JWK  # private, RSA-OAEP-256
    signatur: jwk.JWK  # private, PS512
    client_secret: str
    fruehere: tuple[Frueherer, ...] = ()

    def entschluesselungen(self) -> jwk.JWKSet:
        """The current decryption key and every one kept from before (a JWE names its key
        by ``kid``)."""
        keys = jwk.JWKSet()
        keys.add(self.entschluesselung)
        for alt in self.fruehere:
            keys.add(alt.schluessel)
        return keys

    def gewechselt(self, neu: Schluessel, jetzt: datetime) -> Schluessel:
        """New key pairs (``neu``), the client secret kept, the current decryption key
        kept among the earlier ones."""
        return Schluessel(
            neu.entschluesselung,
            neu.signatur,
            self.client_secret,
            (*self.fruehere, Frueherer(self.entschluesselung, jetzt)),
        )

    def ohne(self, kids: set[str]) -> Schluessel:
        """Without the earlier decryption keys named in ``kids``."""
        return replace(self, fruehere=tuple(a for a in self.fruehere if a.kid not in kids))

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
            "fruehere": [
                {
                    "schluessel": alt.schluessel.export_private(as_dict=True),
                    "abgeloest_am": alt.abgeloest_am.isoformat(),
                }
                for alt in schluessel.fruehere
            ],
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
            tuple(
                Frueherer(jwk.JWK(**alt["schluessel"]), datetime.fromisoformat(alt["abgeloest_am"]))
                for alt in data.get("fruehere", [])
            ),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InboxError(
            "fitconnect_keys_missing",
            "Die Schlüssel dieses FIT-Connect-Zustellpunkts fehlen oder sind unlesbar "
            f"(erwartet in {path.parent.name}/{path.name} im Schlüsselordner).",
        ) from exc
