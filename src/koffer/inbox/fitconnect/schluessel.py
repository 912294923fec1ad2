"""A destination's secrets: one JSON document per destination with the private decryption
key (RSA, ``RSA-OAEP-256``, FIT-Connect's ``wrapKey``), the private signing key of the
events (RSA, ``PS512``) and the OAuth client secret, kept in the database as
``audit.Geheimnis`` ``fitconnect/<Mandant>/<destination>`` — encrypted under the secret
key every machine shares (``koffer.audit.geheimnisse``), so every web and worker process
finds them and a database dump without that key shows only the key ids. The public keys
are what the Zustelldienst is told (``oeffentlich``).

Earlier versions wrote a file per destination under
``KOFFER_FITCONNECT_KEY_DIR/<Mandant>/<destination>.json``: :func:`uebernehmen` (at the
start of ``serve`` and the worker, and on first use) moves each into the database, audited
in its Mandant's chain, and removes the file.

A key change (``gewechselt``) puts new key pairs in place and keeps the previous
decryption keys in the same file (``fruehere``, each with the time it was replaced):
senders that fetched the old public key still send submissions encrypted for it, and
``entschluesselungen`` decrypts with whichever key a JWE names by ``kid``. An old key is
dropped (``ohne``) once no submission needs it (``fitconnect.services``)."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction
from jwcrypto import jwk

from koffer.audit import geheimnisse
from koffer.audit import services as audit
from koffer.audit.schluesselabgleich import rechner
from koffer.inbox.errors import InboxError
from koffer.inbox.models import FitConnectZiel

logger = logging.getLogger("koffer.inbox.fitconnect")


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
    """Where earlier versions kept the destination's file (moved by :func:`uebernehmen`)."""
    return Path(settings.KOFFER_FITCONNECT_KEY_DIR) / str(tenant_id) / f"{destination_id}.json"


def _name(tenant_id: uuid.UUID, destination_id: uuid.UUID) -> str:
    return f"fitconnect/{tenant_id}/{destination_id}"


def erzeugen(*, bits: int | None = None) -> Schluessel:
    """Two new RSA key pairs (FIT-Connect asks for 4096 bits)."""
    size = bits or settings.KOFFER_FITCONNECT_KEY_BITS
    enc = jwk.JWK.generate(
        kty="RSA", size=size, alg="RSA-OAEP-256", use="enc", kid=str(uuid.uuid4())
    )
    sig = jwk.JWK.generate(kty="RSA", size=size, alg="PS512", use="sig", kid=str(uuid.uuid4()))
    return Schluessel(enc, sig, "")


def _json(schluessel: Schluessel) -> bytes:
    return json.dumps(
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


def _aus_json(daten: bytes) -> Schluessel:
    data = json.loads(daten)
    return Schluessel(
        jwk.JWK(**data["entschluesselung"]),
        jwk.JWK(**data["signatur"]),
        str(data.get("client_secret", "")),
        tuple(
            Frueherer(jwk.JWK(**alt["schluessel"]), datetime.fromisoformat(alt["abgeloest_am"]))
            for alt in data.get("fruehere", [])
        ),
    )


def speichern(*, tenant_id: uuid.UUID, destination_id: uuid.UUID, schluessel: Schluessel) -> None:
    """Store the destination's secrets (encrypted, in the caller's transaction: the row
    naming the key ids and the keys commit together)."""
    geheimnisse.schreiben(_name(tenant_id, destination_id), _json(schluessel))


def laden(*, tenant_id: uuid.UUID, destination_id: uuid.UUID) -> Schluessel:
    name = _name(tenant_id, destination_id)
    try:
        daten = geheimnisse.lesen(name)
        if daten is None and _uebernehmen(_path(tenant_id, destination_id), tenant_id):
            daten = geheimnisse.lesen(name)
        if daten is None:
            raise KeyError(name)
        return _aus_json(daten)
    except geheimnisse.GeheimnisUnlesbar as exc:
        raise InboxError("fitconnect_keys_unreadable", exc.message) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InboxError(
            "fitconnect_keys_missing",
            "Die Schlüssel dieses FIT-Connect-Zustellpunkts fehlen oder sind unlesbar "
            f"(erwartet in der Datenbank unter {name}).",
        ) from exc


def _uebernehmen(path: Path, tenant_id: uuid.UUID) -> bool:
    """Move one file of an earlier version into the database, audited in its Mandant's
    chain; the file removed once the move committed. A file whose destination the
    database already holds (another machine moved it first, from the same share or a
    copy) is removed when it is the same, kept and named in the log when it differs."""
    try:
        daten = path.read_bytes()
        keys = _aus_json(daten)
        destination_id = uuid.UUID(path.stem)
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError):
        logger.error("FIT-Connect-Schlüsseldatei %s ist unlesbar und bleibt liegen", path)
        return False
    name = _name(tenant_id, destination_id)
    with transaction.atomic():
        vorhanden = geheimnisse.lesen(name)
        if vorhanden is None:
            geheimnisse.schreiben(name, _json(keys))
            audit.record(
                actor=None,
                tenant_id=tenant_id,
                action="inbox.fitconnect.schluessel_uebernommen",
                obj=FitConnectZiel.objects.for_tenant(tenant_id)
                .filter(destination_id=destination_id)
                .first()
                or ("inbox.fitconnectziel", destination_id),
                changes={
                    "destination_id": str(destination_id),
                    "encryption_kid": str(keys.entschluesselung.get("kid")),
                    "signing_kid": str(keys.signatur.get("kid")),
                    "rechner": rechner(),
                },
                reason="Schlüsseldatei dieses Rechners in die Datenbank übernommen",
            )
        elif _aus_json(vorhanden).oeffentlich() != keys.oeffentlich():
            logger.error(
                "FIT-Connect-Schlüsseldatei %s unterscheidet sich von den Schlüsseln in der "
                "Datenbank; sie bleibt liegen, es gelten die der Datenbank",
                path,
            )
            return False
    path.unlink(missing_ok=True)
    return vorhanden is None


def uebernehmen() -> int:
    """Move every file of ``KOFFER_FITCONNECT_KEY_DIR/<Mandant>/<destination>.json`` into
    the database (registered with ``audit.geheimnisse.bei_start``); how many moved."""
    ordner = Path(settings.KOFFER_FITCONNECT_KEY_DIR)
    if not ordner.is_dir():
        return 0
    bewegt = 0
    for path in sorted(ordner.glob("*/*.json")):
        try:
            tenant_id = uuid.UUID(path.parent.name)
        except ValueError:
            continue
        bewegt += _uebernehmen(path, tenant_id)
    return bewegt
