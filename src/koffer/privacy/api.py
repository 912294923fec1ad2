"""``/api/v1/audit/events``: the audit log for the data-protection officer's tools.

Paging: newest first, keyset on ``seq``. Within one Mandant ``seq`` is unique, gap-free and
the exact order of the hash chain, while the UUIDv7 ``id`` is only ordered to the
millisecond; so this router uses a ``seq`` cursor instead of the generic ``pk`` cursor of
``koffer.api.pagination``. The cursor is opaque to clients. Events appended while a
client pages never shift or repeat a page, and every request records exactly one
``privacy.audit.query`` event.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import date, datetime
from typing import Any

from ninja import Field, Query, Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.api.pagination import MAX_LIMIT
from koffer.api.problems import VALIDATION_DETAIL, ApiProblem
from koffer.privacy import labels, services
from koffer.privacy.selectors import PAGE_SIZE, AuditFilter, AuditQuery, AuditRow

router = Router(tags=["Datenschutz"])

CURSOR_PREFIX = "seq:"


class AuditEventOut(Schema):
    id: uuid.UUID
    seq: int = Field(description="Nummer in der Kette des Mandanten (lückenlos, aufsteigend)")
    at: datetime
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    object_type_label: str = Field(description="Objekttyp auf Deutsch")
    object_label: str = Field(description="Bezeichnung des Objekts beim Eintrag")
    object_reference: str = Field(
        description="Lesbarer Verweis (Aktenzeichen, Rechnungsnummer, Name); "
        "für gelöschte Objekte Typ und Kurzkennung"
    )
    subject_type: str
    subject_id: str
    subject_type_label: str
    subject_label: str = Field(
        description="Name der Person (aktuell, sonst wie zuletzt protokolliert)"
    )
    changes: dict[str, Any]
    changes_text: str = Field(
        description="Die Änderungen lesbar: deutsche Feldnamen, Auswahlwerte mit ihrer "
        "Bezeichnung, Zeitpunkte als TT.MM.JJJJ HH:MM (Europe/Berlin)"
    )
    reason: str
    client_ip: str
    prev_hash: str
    hash: str


class AuditEventPage(Schema):
    next_cursor: str | None = Field(description="für die nächste (ältere) Seite; null am Ende")
    items: list[AuditEventOut]


class AuditEventQuery(Schema):
    subject_type: str = Field("", max_length=80, description="Typ der betroffenen Person")
    subject_id: str = Field("", max_length=64, description="Kennung der betroffenen Person")
    subject: str = Field(
        "", max_length=200, description="Name oder Teil davon (sucht betroffene Personen)"
    )
    object_type: str = Field("", max_length=80)
    object_id: str = Field("", max_length=64)
    actor: str = Field("", max_length=36, description="Benutzer-ID oder `system`")
    action: str = Field("", max_length=80)
    since: date | None = Field(None, description="ab diesem Tag (Europe/Berlin), einschließlich")
    until: date | None = Field(
        None, description="bis zu diesem Tag (Europe/Berlin), einschließlich"
    )
    q: str = Field("", max_length=200, description="Freitext in Objekt, Wer und Grund")
    cursor: str | None = Field(None, max_length=40)
    limit: int = Field(PAGE_SIZE, description=f"1 bis {MAX_LIMIT}")


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if raw.startswith(CURSOR_PREFIX):
            seq = int(raw[len(CURSOR_PREFIX) :])
            if seq > 0:
                return seq
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise ApiProblem(
        400, "invalid_cursor", "Ungültiger Cursor", "Der Cursor ist ungültig oder abgelaufen."
    )


def _invalid(field: str, message: str) -> ApiProblem:
    return ApiProblem(
        422,
        "validation_failed",
        "Eingaben ungültig",
        VALIDATION_DETAIL,
        [{"loc": ["query", field], "msg": message, "type": "value_error"}],
    )


def _audit_filter(params: AuditEventQuery) -> AuditFilter:
    actor_id: uuid.UUID | None = None
    if params.actor and params.actor != "system":
        try:
            actor_id = uuid.UUID(params.actor)
        except ValueError as exc:
            raise _invalid("actor", "Benutzer-ID (UUID) oder „system“ erwartet.") from exc
    if params.since and params.until and params.since > params.until:
        raise _invalid("until", "„until“ liegt vor „since“.")
    return AuditFilter(
        subject_type=params.subject_type.strip(),
        subject_id=params.subject_id.strip(),
        subject_search=params.subject.strip(),
        object_type=params.object_type.strip(),
        object_id=params.object_id.strip(),
        actor_id=actor_id,
        actor_system=params.actor == "system",
        action=params.action.strip(),
        since=params.since,
        until=params.until,
        text=params.q.strip(),
    )


def _out(row: AuditRow) -> AuditEventOut:
    e = row.event
    return AuditEventOut(
        id=e.id,
        seq=e.seq,
        at=e.at,
        actor_id=e.actor_id,
        actor_label=e.actor_label,
        action=e.action,
        action_label=labels.action_label(e.action),
        object_type=e.object_type,
        object_id=e.object_id,
        object_type_label=row.object_type_label,
        object_label=e.object_label,
        object_reference=row.object_reference,
        subject_type=e.subject_type,
        subject_id=e.subject_id,
        subject_type_label=row.subject_type_label,
        subject_label=row.subject_label,
        changes=e.changes if isinstance(e.changes, dict) else {"value": e.changes},
        changes_text=row.changes_readable,
        reason=e.reason,
        client_ip=e.client_ip,
        prev_hash=e.prev_hash,
        hash=e.hash,
    )


@router.get(
    "/events",
    response=AuditEventPage,
    summary="Audit-Ereignisse des aktiven Mandanten (neueste zuerst, Cursor-Blättern)",
    description=(
        "Braucht die Berechtigung `audit.view`. Jeder Abruf wird selbst als "
        "`privacy.audit.query` protokolliert. Blättern: `next_cursor` der Antwort als "
        "`cursor` senden, bis er `null` ist."
    ),
)
def list_events(request: TenantRequest, params: Query[AuditEventQuery]) -> AuditEventPage:
    if not request.access.can(Perm.AUDIT_VIEW):
        raise ApiProblem(
            403,
            "forbidden",
            "Keine Berechtigung",
            "Für das Audit-Protokoll fehlt die Berechtigung „Audit-Protokoll einsehen“.",
        )
    if not 1 <= params.limit <= MAX_LIMIT:
        raise ApiProblem(
            400,
            "invalid_limit",
            "Ungültige Seitengröße",
            f"limit muss zwischen 1 und {MAX_LIMIT} liegen.",
        )
    older_than = decode_cursor(params.cursor) if params.cursor else None
    audit_filter = _audit_filter(params)
    event = services.record_audit_query(
        actor=request.user, tenant=request.tenant, audit_filter=audit_filter, output="api"
    )
    query = AuditQuery(request.tenant, audit_filter, upto=event.seq)
    page = query.page(older_than=older_than, size=params.limit)
    next_cursor = encode_cursor(page.older_cursor) if page.older_cursor is not None else None
    return AuditEventPage(next_cursor=next_cursor, items=[_out(r) for r in page.rows])
