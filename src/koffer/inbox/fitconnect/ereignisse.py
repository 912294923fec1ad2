"""The events koffer answers a submission with: Security Event Tokens (RFC 8417) as JWS
compact, signed ``PS512`` with the destination's signing key, the way FIT-Connect's event
log carries them: ``accept-submission`` (with the authentication tags of the JWEs taken)
or ``reject-submission`` (with the problems, each with FIT-Connect's type and a detail
the sender can act on)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from jwcrypto import jwk, jws

EVENTS = "https://schema.fitko.de/fit-connect/events/"
ACCEPT = EVENTS + "accept-submission"
REJECT = EVENTS + "reject-submission"
SET_SCHEMA = "https://schema.fitko.de/fit-connect/set-payload/1.0.0/set-payload.schema.json"


def signieren(
    *,
    key: jwk.JWK,
    jti: uuid.UUID,
    destination_id: uuid.UUID,
    submission_id: uuid.UUID,
    case_id: uuid.UUID,
    at: datetime,
    event: str,
    payload: dict[str, Any],
) -> str:
    claims = {
        "$schema": SET_SCHEMA,
        "jti": str(jti),
        "iss": str(destination_id),
        "iat": int(at.timestamp()),
        "sub": f"submission:{submission_id}",
        "txn": f"case:{case_id}",
        "events": {event: payload},
    }
    token = jws.JWS(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    token.add_signature(
        key,
        alg="PS512",
        protected=json.dumps({"alg": "PS512", "typ": "secevent+jwt", "kid": key.get("kid")}),
    )
    return str(token.serialize(compact=True))


def jti_of(token: str) -> str:
    """The ``jti`` of a SET in an event log, read without checking its signature (used
    only to see whether koffer's own event is there already)."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        return str(claims.get("jti", ""))
    except (IndexError, ValueError, AttributeError):
        return ""
