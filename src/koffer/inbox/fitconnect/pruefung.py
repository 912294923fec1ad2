"""The checks of one fetched submission, pure (no database): decrypt (JWE compact,
``RSA-OAEP-256`` + ``A256GCM`` only), read the metadata as JSON and validate it against
FIT-Connect's metadata schema v1.0.0 (Draft 2020-12; structural only, see
``conformance/README.md``), compare the attachments the metadata names with those the
Zustelldienst holds, and check the data and every attachment against their SHA-512 from
the metadata. Each refusal is a :class:`Abgelehnt` with FIT-Connect's problem type (told
to the sender in the reject event) and a German reason (shown in the quarantine).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from jsonschema import Draft202012Validator
from jwcrypto import jwe, jwk
from jwcrypto.common import JWException, base64url_decode

SCHEMA_FILE = Path(__file__).parent / "conformance" / "metadata.schema.v1.0.0.json"
ALGS = ["RSA-OAEP-256", "A256GCM"]  # key wrapping and content encryption FIT-Connect uses
PROBLEMS = "https://schema.fitko.de/fit-connect/events/problems/"
MIB = 1024 * 1024
# A compressed payload (``zip: DEF``) is bounded by what it unpacks to, not by its packed
# size: jwcrypto stops inflating at ``max_plaintext`` and refuses the rest, so memory stays
# bounded however well a bomb packs. Its own cap on the packed size (256 KiB by default,
# a module setting) refused ordinary large attachments; it is raised once, at import, to
# the Zustelldienst client's bound on one answer, which no JWE passing it can exceed.
MAX_ENTPACKT = 200 * MIB
jwe.default_max_compressed_size = 200 * MIB


class Abgelehnt(Exception):  # a decision, not a failure of koffer
    """The submission is rejected: ``problem`` (FIT-Connect's type, the last part of its
    URI), ``title`` and ``detail`` for the sender, ``grund`` in German for the Posteingang."""

    def __init__(self, problem: str, title: str, grund: str, instance: str) -> None:
        super().__init__(grund)
        self.problem, self.title, self.grund, self.instance = problem, title, grund, instance

    def as_problem(self) -> dict[str, str]:
        return {
            "type": PROBLEMS + self.problem,
            "title": self.title,
            "detail": self.grund,
            "instance": self.instance,
        }


@dataclass(frozen=True)
class Anlage:
    attachment_id: str
    name: str
    mime_type: str
    purpose: str
    inhalt: bytes


@dataclass(frozen=True)
class Geprueft:
    metadaten: dict[str, Any]
    metadaten_text: str
    daten: bytes | None
    daten_mime: str
    anlagen: list[Anlage]
    # FIT-Connect's accept event names the authentication tag of each JWE it took.
    tags: dict[str, Any] = field(default_factory=dict)


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _tag(token: str) -> str:
    return token.rsplit(".", 1)[-1] if token.count(".") == 4 else ""


# The destination's key, or its current and earlier ones (a JWE names its key by kid).
Schluessel: TypeAlias = jwk.JWK | jwk.JWKSet


def kid(token: object) -> str:
    """The key id a JWE (compact) names in its protected header, read without decrypting
    ("" when it names none or is no JWE)."""
    if not isinstance(token, str) or token.count(".") != 4:
        return ""
    try:
        header = json.loads(base64url_decode(token.split(".", 1)[0]))
    except (ValueError, TypeError):
        return ""
    return str(header.get("kid") or "") if isinstance(header, dict) else ""


def entschluesseln(token: object, key: Schluessel, was: str, instance: str) -> bytes:
    """One JWE (compact) decrypted with the destination's key; anything else refused."""
    if not isinstance(token, str) or token.count(".") != 4:
        raise Abgelehnt(
            "encryption-issue",
            "Entschlüsselungsfehler",
            f"Der Inhalt {was} ist kein verschlüsseltes JWE in kompakter Form.",
            instance,
        )
    grenze = MAX_ENTPACKT
    try:
        message = jwe.JWE(algs=ALGS)
        message.deserialize(token)
        message.decrypt(key, max_plaintext=grenze)
    except (JWException, ValueError, TypeError) as exc:
        if _zu_gross(message, exc):
            raise Abgelehnt(
                "encryption-issue",
                "Entschlüsselungsfehler",
                f"Der komprimierte Inhalt {was} ist entpackt größer als "
                f"{grenze / MIB:g} MiB und wird nicht angenommen (Schutz vor "
                "Dekompressionsbomben). Bitte senden Sie ihn unkomprimiert oder kleiner.",
                instance,
            ) from exc
        raise Abgelehnt(
            "encryption-issue",
            "Entschlüsselungsfehler",
            f"Die Entschlüsselung {was} mit dem Schlüssel dieses Zustellpunkts ist "
            "fehlgeschlagen (erwartet: RSA-OAEP-256 mit A256GCM für den öffentlichen "
            "Schlüssel des Zustellpunkts).",
            instance,
        ) from exc
    return bytes(message.payload)


def _zu_gross(message: jwe.JWE, exc: Exception) -> bool:
    """Whether jwcrypto refused a compressed payload for what it unpacks to (its only word
    for it is the text in its log)."""
    log = " ".join(str(entry) for entry in getattr(message, "decryptlog", None) or [])
    return "exceeds maximum allowed" in f"{log} {exc}"


def _sha512(data: bytes, expected: str, was: str, instance: str) -> None:
    if hashlib.sha512(data).hexdigest() != expected:
        raise Abgelehnt(
            "hash-mismatch",
            "Prüfsumme stimmt nicht",
            f"Die Prüfsumme (SHA-512) {was} stimmt nicht mit den Metadaten überein: "
            "Der Inhalt wurde bei der Übertragung verändert oder ist ein anderer.",
            instance,
        )


def _schema(metadaten: object) -> None:
    errors = sorted(_validator().iter_errors(metadaten), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(Wurzel)"
        raise Abgelehnt(
            "schema-violation",
            "Schema-Fehler",
            f"Die Metadaten entsprechen nicht dem Metadatenschema von FIT-Connect "
            f"(Version 1.0.0): an der Stelle „{where}“: {first.message}",
            "metadata",
        )


def _name(entry: dict[str, Any], number: int) -> str:
    raw = str(entry.get("filename") or "").strip()
    name = raw.replace("/", "_").replace("\\", "_").replace("\x00", "").lstrip(".")
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        suffix = ".pdf" if entry.get("mimeType") == "application/pdf" else ""
        name = f"anlage-{number}{suffix}"
    return f"{number:02d}-{name}"


def pruefen(*, submission: dict[str, Any], anlagen: dict[str, str], key: Schluessel) -> Geprueft:
    """Check a submission (as the Zustelldienst answered it) and its attachments
    (attachment id → JWE as fetched); returns what was found, or raises Abgelehnt."""
    token = submission.get("encryptedMetadata")
    raw = entschluesseln(token, key, "der Metadaten", "metadata")
    try:
        metadaten = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Abgelehnt(
            "syntax-violation",
            "Syntax-Fehler",
            "Die Metadaten sind kein JSON in UTF-8.",
            "metadata",
        ) from exc
    _schema(metadaten)
    structure = metadaten["contentStructure"]
    declared = {str(a["attachmentId"]).lower(): a for a in structure["attachments"]}
    held = {str(a).lower() for a in submission.get("attachments") or []}
    if set(declared) != held or len(declared) != len(structure["attachments"]):
        raise Abgelehnt(
            "attachments-mismatch",
            "Anlagen inkonsistent",
            f"Die Metadaten nennen {len(structure['attachments'])} Anlage(n), beim "
            f"Zustelldienst liegen {len(held)}; die Anlagen müssen übereinstimmen.",
            "metadata",
        )
    tags: dict[str, Any] = {"metadata": _tag(str(token)), "attachments": {}}
    daten, daten_mime = None, ""
    data_entry = structure.get("data")
    data_token = submission.get("encryptedData")
    if data_entry is not None or data_token:
        if data_entry is None or not data_token:
            raise Abgelehnt(
                "missing-data",
                "Fachdaten fehlen",
                "Die Metadaten und die Einreichung widersprechen sich bei den Fachdaten: "
                "nur eine Seite nennt sie.",
                "data",
            )
        daten = entschluesseln(data_token, key, "der Fachdaten", "data")
        _sha512(daten, data_entry["hash"]["content"], "der Fachdaten", "data")
        daten_mime = data_entry["submissionSchema"]["mimeType"]
        tags["data"] = _tag(str(data_token))
    found = []
    for number, (attachment_id, entry) in enumerate(declared.items(), start=1):
        instance = f"attachment:{attachment_id}"
        shown = f"Anlage „{entry.get('filename') or attachment_id}“"
        if attachment_id not in anlagen:
            raise Abgelehnt(
                "attachments-mismatch",
                "Anlagen inkonsistent",
                f"Die {shown} fehlt beim Zustelldienst.",
                instance,
            )
        inhalt = entschluesseln(anlagen[attachment_id], key, f"der {shown}", instance)
        _sha512(inhalt, entry["hash"]["content"], f"der {shown}", instance)
        tags["attachments"][attachment_id] = _tag(anlagen[attachment_id])
        found.append(
            Anlage(
                attachment_id=attachment_id,
                name=_name(entry, number),
                mime_type=str(entry["mimeType"]),
                purpose=str(entry["purpose"]),
                inhalt=inhalt,
            )
        )
    return Geprueft(
        metadaten=metadaten,
        metadaten_text=raw.decode("utf-8"),
        daten=daten,
        daten_mime=daten_mime,
        anlagen=found,
        tags=tags,
    )
