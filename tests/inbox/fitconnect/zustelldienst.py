"""The suite's own FIT-Connect Zustelldienst: a small HTTP server on loopback that serves
the subscriber API koffer polls (submissions of a destination, a submission, its
attachments, a case's event log; an OAuth token endpoint) with submissions the tests build
and encrypt themselves (jwcrypto: metadata, data and attachments each a JWE compact,
RSA-OAEP-256 + A256GCM, for the destination's public key), and records every event koffer
posts. A submission stays listed until its case holds an accept or reject event, as at the
real service."""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jwcrypto import jwe, jwk, jws

EVENTS = "https://schema.fitko.de/fit-connect/events/"
SECRET = "geheim-fuer-den-test"
TOKEN = "zugriffstoken-1"


def encrypt(key: jwk.JWK, plaintext: bytes) -> str:
    message = jwe.JWE(
        plaintext,
        protected=json.dumps(
            {
                "alg": "RSA-OAEP-256",
                "enc": "A256GCM",
                "kid": key.get("kid"),
                "cty": "application/json",
            }
        ),
    )
    message.add_recipient(key)
    return str(message.serialize(compact=True))


def sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


@dataclass
class Sendung:
    """One submission as a sender built it, before the Zustelldienst holds it."""

    metadata: dict[str, Any]
    data: bytes | None
    attachments: dict[str, bytes]  # attachment id -> plaintext


def sendung(
    *,
    files: list[tuple[str, bytes]],
    data: dict[str, Any] | None = None,
) -> Sendung:
    """A well-formed submission: PDFs with their SHA-512, the data JSON with its hash."""
    attachments, entries = {}, []
    for name, content in files:
        attachment_id = str(uuid.uuid4())
        attachments[attachment_id] = content
        entries.append(
            {
                "attachmentId": attachment_id,
                "hash": {"type": "sha512", "content": sha512(content)},
                "purpose": "form" if not entries else "attachment",
                "filename": name,
                "mimeType": "application/pdf",
            }
        )
    metadata: dict[str, Any] = {
        "$schema": "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json",
        "publicServiceType": {
            "name": "Bürgergeld",
            "identifier": "urn:de:fim:leika:leistung:99050008002000",
        },
        "contentStructure": {"attachments": entries},
    }
    raw = None
    if data is not None:
        raw = json.dumps(data).encode()
        metadata["contentStructure"]["data"] = {
            "hash": {"type": "sha512", "content": sha512(raw)},
            "submissionSchema": {
                "schemaUri": "https://schema.example.org/antrag.schema.json",
                "mimeType": "application/json",
            },
        }
    return Sendung(metadata, raw, attachments)


@dataclass
class Zustelldienst:
    destination_id: uuid.UUID
    submissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments: dict[tuple[str, str], str] = field(default_factory=dict)
    events: dict[str, list[str]] = field(default_factory=dict)  # case id -> SETs
    posts: list[tuple[str, str]] = field(default_factory=list)  # (case id, SET) as posted
    requests: list[str] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def einreichen(
        self,
        key: jwk.JWK,
        sendung: Sendung,
        *,
        metadata_token: str | None = None,
        attachment_plain: dict[str, bytes] | None = None,
    ) -> tuple[str, str]:
        """Encrypt ``sendung`` for ``key`` and hold it; returns (submission id, case id).
        ``metadata_token`` replaces the encrypted metadata, ``attachment_plain`` the
        bytes of attachments as uploaded (a changed file, the hash left as it was)."""
        submission_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
        with self.lock:
            self.submissions[submission_id] = {
                "destinationId": str(self.destination_id),
                "submissionId": submission_id,
                "caseId": case_id,
                "attachments": list(sendung.attachments),
                "encryptedMetadata": metadata_token
                or encrypt(key, json.dumps(sendung.metadata).encode()),
                "encryptedData": encrypt(key, sendung.data) if sendung.data is not None else None,
            }
            for attachment_id, content in sendung.attachments.items():
                content = (attachment_plain or {}).get(attachment_id, content)
                self.attachments[(submission_id, attachment_id)] = encrypt(key, content)
            self.events[case_id] = []
        return submission_id, case_id

    def decided(self, case_id: str) -> bool:
        return any(
            EVENTS + kind in json.loads(jws_payload(t))["events"]
            for t in self.events.get(case_id, [])
            for kind in ("accept-submission", "reject-submission")
        )

    def waiting(self) -> list[dict[str, str]]:
        return [
            {k: s[k] for k in ("destinationId", "submissionId", "caseId")}
            for s in self.submissions.values()
            if not self.decided(s["caseId"])
        ]


def jws_payload(token: str) -> bytes:
    message = jws.JWS()
    message.deserialize(token)
    return bytes(message.objects["payload"])


def verified(token: str, key: jwk.JWK) -> tuple[dict[str, Any], dict[str, Any]]:
    """A SET's header and claims, its signature checked with the public ``key``."""
    message = jws.JWS()
    message.deserialize(token)
    message.verify(key, alg="PS512")
    return json.loads(message.objects["protected"]), json.loads(message.payload)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(
        self, status: int, body: bytes = b"", content_type: str = "application/json"
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, data: object) -> None:
        self._answer(200, json.dumps(data).encode())

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, b'{"error": "unauthorized"}')
            return False
        return True

    def do_GET(self) -> None:
        state = self.server.state
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        state.requests.append(f"GET {url.path}")
        if not self._authorised():
            return
        with state.lock:
            if parts == ["v1", "submissions"]:
                query = urllib.parse.parse_qs(url.query)
                waiting = [
                    s
                    for s in state.waiting()
                    if s["destinationId"] == query.get("destinationId", [""])[0]
                ]
                offset, limit = int(query["offset"][0]), int(query["limit"][0])
                self._json(
                    {
                        "count": len(waiting[offset : offset + limit]),
                        "offset": offset,
                        "totalCount": len(waiting),
                        "submissions": waiting[offset : offset + limit],
                    }
                )
            elif len(parts) == 3 and parts[:2] == ["v1", "submissions"]:
                found = state.submissions.get(parts[2])
                self._json(found) if found else self._answer(404)
            elif len(parts) == 5 and parts[3] == "attachments":
                token = state.attachments.get((parts[2], parts[4]))
                if token is None:
                    self._answer(404)
                else:
                    self._answer(200, token.encode(), "application/jose")
            elif len(parts) == 4 and parts[:2] == ["v1", "cases"] and parts[3] == "events":
                self._json({"eventLog": state.events.get(parts[2], [])})
            else:
                self._answer(404)

    def do_POST(self) -> None:
        state = self.server.state
        parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        state.requests.append(f"POST /{'/'.join(parts)}")
        if parts == ["token"]:
            form = urllib.parse.parse_qs(body.decode())
            if form.get("client_secret") != [SECRET]:
                self._answer(401, b'{"error": "invalid_client"}')
                return
            self._json({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 1800})
            return
        if not self._authorised():
            return
        if len(parts) == 4 and parts[:2] == ["v1", "cases"] and parts[3] == "events":
            if self.headers.get("Content-Type") != "application/jose":
                self._answer(415)
                return
            with state.lock:
                state.posts.append((parts[2], body.decode()))
                state.events.setdefault(parts[2], []).append(body.decode())
            self._answer(201, b"")
            return
        self._answer(404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: Zustelldienst) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


def starten(destination_id: uuid.UUID) -> tuple[Zustelldienst, _Server]:
    state = Zustelldienst(destination_id)
    server = _Server(state)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
