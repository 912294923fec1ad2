"""Akteneinsicht: a time-limited, PIN-protected, read-only link to one Aktenauszug for a
court or a lawyer, who have no account here.

The link carries a long random token; the caseworker gets it together with a 6-digit PIN
once, and both are stored only as hashes (the token like an API token, the PIN with the
password hasher). A link expires (14 days by default, at most 90), can be revoked, and
locks after five wrong PINs. Every PIN entry, right or wrong, and every download is an
audit event of the Mandant, with the link as the acting party ("Akteneinsicht <recipient>").
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.records import access as records_access
from koffer.records.dokumente.services import first_subject
from koffer.records.errors import RecordsConflict, RecordsError, RecordsForbidden
from koffer.records.models import Akte, Aktenauszug, Akteneinsicht

TOKEN_PREFIX = "ein"  # noqa: S105 - a marker, not a secret
PIN_DIGITS = 6
MAX_FAILED_PINS = 5
DEFAULT_DAYS = 14
MAX_DAYS = 90
# After the PIN, the browser session may read the extract for this long.
SESSION_KEY = "koffer_einsicht"
SESSION_SECONDS = 30 * 60
_PIN = re.compile(rf"\d{{{PIN_DIGITS}}}")
_TOKEN = re.compile(rf"{TOKEN_PREFIX}_[A-Za-z0-9_-]{{20,100}}")

OPEN = "open"
EXPIRED = "expired"
REVOKED = "revoked"
LOCKED = "locked"
STATE_LABELS = {
    OPEN: "gültig",
    EXPIRED: "abgelaufen",
    REVOKED: "widerrufen",
    LOCKED: "gesperrt (falsche PIN)",
}


class LinkActor:
    """The party behind a link in the audit log: no user id, a label naming the recipient."""

    def __init__(self, label: str) -> None:
        self.pk: Any = None
        self.label = label

    def __str__(self) -> str:
        return self.label


def actor_of(link: Akteneinsicht) -> LinkActor:
    return LinkActor(f"Akteneinsicht {link.recipient}"[:200])


def digest(token: str) -> str:
    # 256 random bits: a fast hash is enough, as for API tokens.
    return hashlib.sha256(token.encode()).hexdigest()


# --- Reads --------------------------------------------------------------------------------------


def state(link: Akteneinsicht, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if link.revoked_at is not None:
        return REVOKED
    if link.locked_at is not None:
        return LOCKED
    if link.expires_at <= now:
        return EXPIRED
    return OPEN


def find(token: str) -> Akteneinsicht | None:
    """The link for a token from a URL, whatever its state; None when unknown. Looked up
    across Mandanten (the token is all a visitor has) by its hash."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    return (
        Akteneinsicht.objects.unscoped()
        .select_related("auszug", "auszug__akte", "tenant")
        .filter(token_digest=digest(token))
        .first()
    )


def for_auszug(auszug: Aktenauszug) -> QuerySet[Akteneinsicht]:
    return (
        Akteneinsicht.objects.for_tenant(auszug.tenant_id)
        .filter(auszug=auszug)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-pk")
    )


def for_akte(akte: Akte) -> QuerySet[Akteneinsicht]:
    return (
        Akteneinsicht.objects.for_tenant(akte.tenant_id)
        .filter(auszug__akte=akte)
        .select_related("auszug", "created_by")
        .order_by("-created_at", "-pk")
    )


def rows(links: Any) -> list[dict[str, Any]]:
    """Links with their state, for the tables of the caseworker's pages."""
    now = timezone.now()
    result = []
    for link in links:
        current = state(link, now)
        result.append({"link": link, "state": current, "label": STATE_LABELS[current]})
    return result


# --- Writes by the caseworker ----------------------------------------------------------------


def create_einsicht(
    *,
    actor: Actor | None,
    auszug: Aktenauszug,
    recipient: str,
    valid_days: int = DEFAULT_DAYS,
    access: Access | None = None,
) -> tuple[Akteneinsicht, str, str]:
    """Issue a link to a finished extract. Returns the link, the token and the PIN; token
    and PIN are shown once and never stored in the clear. The link lets someone outside
    read the Akte's extract, so the actor must be able to edit the Akte (``access``: see
    records.access.of_actor), checked here whatever the channel."""
    grants = records_access.of_actor(actor, auszug.tenant_id, access)
    if not records_access.can_edit(grants, records_access.user_id_of(actor), auszug.akte):
        raise RecordsForbidden("forbidden", "Sie dürfen diese Akte nicht ändern.")
    recipient = " ".join((recipient or "").split())
    if not recipient:
        raise RecordsError(
            "recipient_required",
            "Bitte geben Sie den Empfänger an, z. B. „Sozialgericht Musterstadt, 12. Kammer“.",
        )
    if len(recipient) > 200:
        raise RecordsError("recipient_too_long", "Der Empfänger darf höchstens 200 Zeichen haben.")
    if not 1 <= valid_days <= MAX_DAYS:
        raise RecordsError(
            "validity", f"Die Gültigkeit muss zwischen 1 und {MAX_DAYS} Tagen liegen."
        )
    if auszug.status != Aktenauszug.Status.DONE:
        raise RecordsConflict(
            "not_ready", "Eine Akteneinsicht gibt es erst, wenn der Aktenauszug fertig ist."
        )
    token = f"{TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"
    pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
    now = timezone.now()
    with transaction.atomic():
        link = Akteneinsicht.objects.create(
            tenant_id=auszug.tenant_id,
            auszug=auszug,
            recipient=recipient,
            token_digest=digest(token),
            pin_hash=make_password(pin),
            expires_at=now + timedelta(days=valid_days),
            created_by=actor if isinstance(actor, User) else None,
            created_at=now,
        )
        audit.record(
            actor=actor,
            tenant_id=auszug.tenant_id,
            action="records.einsicht.create",
            obj=link,
            subject=first_subject(auszug.akte),
            changes={
                "auszug": str(auszug.pk),
                "recipient": recipient,
                "expires_at": link.expires_at,
            },
        )
    return link, token, pin


def revoke_einsicht(
    *, actor: Actor, link: Akteneinsicht, reason: str = "", access: Access | None = None
) -> Akteneinsicht:
    """End the link now; the recipient's next request gets "widerrufen". Whoever may give
    the link may end it: the right to edit the Akte, checked here whatever the channel."""
    grants = records_access.of_actor(actor, link.tenant_id, access)
    if not records_access.can_edit(grants, records_access.user_id_of(actor), link.auszug.akte):
        raise RecordsForbidden("forbidden", "Sie dürfen diese Akte nicht ändern.")
    with transaction.atomic():
        updated = (
            Akteneinsicht.objects.for_tenant(link.tenant_id)
            .filter(pk=link.pk, revoked_at__isnull=True)
            .update(
                revoked_at=timezone.now(), revoked_by=actor if isinstance(actor, User) else None
            )
        )
        if not updated:
            raise RecordsConflict("already_revoked", "Diese Akteneinsicht ist bereits widerrufen.")
        audit.record(
            actor=actor,
            tenant_id=link.tenant_id,
            action="records.einsicht.revoke",
            obj=link,
            reason=reason.strip()[:500],
        )
    link.refresh_from_db()
    return link


# --- What the recipient does -----------------------------------------------------------------


@dataclass(frozen=True)
class PinCheck:
    outcome: str  # "ok", "wrong", "malformed", or the link's state (locked, expired, revoked)
    remaining: int = 0


def check_pin(*, link: Akteneinsicht, pin: str) -> PinCheck:
    """Compare the PIN. A wrong PIN counts; the fifth one locks the link for good. Both
    outcomes are audited with the link id. Input that is not six digits is refused
    without counting (a typo, not a guess)."""
    current = state(link)
    if current != OPEN:
        return PinCheck(current)
    pin = (pin or "").strip().replace(" ", "")
    if not _PIN.fullmatch(pin):
        return PinCheck("malformed", MAX_FAILED_PINS - link.failed_pins)
    if check_password(pin, link.pin_hash):
        _pin_ok(link)
        return PinCheck("ok")
    return _pin_wrong(link)


def _pin_ok(link: Akteneinsicht) -> None:
    with transaction.atomic():
        Akteneinsicht.objects.for_tenant(link.tenant_id).filter(pk=link.pk).update(failed_pins=0)
        audit.record(
            actor=actor_of(link),
            tenant_id=link.tenant_id,
            action="records.einsicht.pin_ok",
            obj=link,
            changes={"auszug": str(link.auszug_id)},
        )


def _pin_wrong(link: Akteneinsicht) -> PinCheck:
    with transaction.atomic():
        scoped = Akteneinsicht.objects.for_tenant(link.tenant_id).filter(pk=link.pk)
        scoped.filter(locked_at__isnull=True).update(failed_pins=F("failed_pins") + 1)
        failed = scoped.values_list("failed_pins", flat=True).get()
        locked = failed >= MAX_FAILED_PINS
        if locked:
            scoped.filter(locked_at__isnull=True).update(locked_at=timezone.now())
        audit.record(
            actor=actor_of(link),
            tenant_id=link.tenant_id,
            action="records.einsicht.pin_failed",
            obj=link,
            changes={"failed_pins": failed, "locked": locked},
        )
    link.refresh_from_db()
    if locked:
        return PinCheck(LOCKED)
    return PinCheck("wrong", MAX_FAILED_PINS - failed)


def record_access(*, link: Akteneinsicht, purpose: str) -> None:
    """Count and audit one access to the extract through the link (download, page view)."""
    auszug = link.auszug
    with transaction.atomic():
        Akteneinsicht.objects.for_tenant(link.tenant_id).filter(pk=link.pk).update(
            access_count=F("access_count") + 1, last_access_at=timezone.now()
        )
        audit.record(
            actor=actor_of(link),
            tenant_id=link.tenant_id,
            action="read",
            obj=auszug,
            subject=first_subject(auszug.akte),
            changes={"einsicht": str(link.pk), "recipient": link.recipient},
            reason=purpose,
        )


# --- The browser session after the PIN -----------------------------------------------------


def grant(session: SessionBase, link: Akteneinsicht) -> None:
    granted = dict(session.get(SESSION_KEY) or {})
    granted[str(link.pk)] = int(time.time())
    session[SESSION_KEY] = granted
    session.cycle_key()  # a fresh session id once the PIN is proven


def is_granted(session: SessionBase, link: Akteneinsicht) -> bool:
    granted = session.get(SESSION_KEY) or {}
    at = granted.get(str(link.pk)) if isinstance(granted, dict) else None
    return isinstance(at, int) and time.time() - at < SESSION_SECONDS
