"""Every write to accounts: users, memberships, passwords, sessions, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from koffer.accounts.models import ApiToken, Membership, User, UserSession
from koffer.accounts.roles import PERM_LABELS, ROLES
from koffer.audit import services as audit
from koffer.tenancy.models import Mandant, Organisationseinheit

TOKEN_PREFIX = "kof"  # noqa: S105 - a marker, not a secret


class AccountError(ValueError):
    """A user-caused problem with a clear German message and a stable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def create_user(
    *,
    actor: Any,
    tenant: Mandant,
    username: str,
    first_name: str,
    last_name: str,
    email: str | None,
    password: str | None,
    unit: Organisationseinheit,
    role: str,
    is_machine: bool = False,
    must_change_password: bool = True,
) -> User:
    """Create a user with one membership in ``tenant``. A machine account has no password.
    A person must replace the first password at their first sign-in, unless
    ``must_change_password`` is False (the demo district, test data)."""
    if unit.tenant_id != tenant.pk:
        raise AccountError(
            "unit_foreign", "Die Organisationseinheit gehört nicht zu diesem Mandanten."
        )
    if role not in ROLES:
        raise AccountError("role_unknown", "Diese Rolle gibt es nicht.")
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError("username_taken", "Dieser Benutzername ist bereits vergeben.")
    if email and User.objects.filter(email__iexact=email).exists():
        raise AccountError("email_taken", "Diese E-Mail-Adresse ist bereits vergeben.")
    with transaction.atomic():
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=email or None,
            is_machine=is_machine,
        )
        if password and not is_machine:
            user.set_password(password)
            user.must_change_password = must_change_password
        else:
            user.set_unusable_password()
        user.save()
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="accounts.user.create",
            obj=user,
            subject=user,
            changes={"username": username, "email": email, "is_machine": is_machine},
        )
        add_membership(actor=actor, user=user, unit=unit, role=role)
    return user


def add_membership(*, actor: Any, user: User, unit: Organisationseinheit, role: str) -> Membership:
    """Grant ``role`` in ``unit`` and below."""
    if role not in ROLES:
        raise AccountError("role_unknown", "Diese Rolle gibt es nicht.")
    with transaction.atomic():
        membership, _ = Membership.objects.for_tenant(unit.tenant_id).get_or_create(
            tenant_id=unit.tenant_id, user=user, unit=unit, role=role
        )
        audit.record(
            actor=actor,
            tenant_id=unit.tenant_id,
            action="accounts.membership.add",
            obj=membership,
            subject=user,
            changes={"role": role, "unit": str(unit.pk)},
        )
    return membership


def reset_password(*, actor: Any, tenant: Mandant, user: User, new_password: str) -> None:
    """Set a new password, which the person must replace at the next sign-in, and end all
    of the user's sessions."""
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="accounts.user.password_reset",
            obj=user,
            subject=user,
        )
        _end_sessions(user)


def change_own_password(
    *, actor: User, current_password: str, new_password: str, keep_session_key: str | None
) -> None:
    """The signed-in person replaces their password (the first one, one an admin set, or
    simply their own). Needs the current password; ends every other session of theirs."""
    if not actor.check_password(current_password):
        raise AccountError("password_wrong", "Das bisherige Passwort stimmt nicht.")
    if current_password == new_password:
        raise AccountError(
            "password_same", "Das neue Passwort muss sich vom bisherigen unterscheiden."
        )
    with transaction.atomic():
        actor.set_password(new_password)
        actor.must_change_password = False
        actor.save(update_fields=["password", "must_change_password"])
        ended = _end_sessions(actor, keep=keep_session_key)
        for tenant_id in _tenant_ids(actor):
            audit.record(
                actor=actor,
                tenant_id=tenant_id,
                action="accounts.user.password_changed",
                obj=actor,
                subject=actor,
                changes={"other_sessions_ended": ended},
            )


def _tenant_ids(user: User) -> list[Any]:
    return list(
        Membership.objects.unscoped()
        .filter(user=user)
        .values_list("tenant_id", flat=True)
        .distinct()
        .order_by("tenant_id")
    )


def revoke_sessions(*, actor: Any, tenant: Mandant, user: User) -> int:
    """End every session of ``user``; returns how many were ended."""
    with transaction.atomic():
        count = _end_sessions(user)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="accounts.user.sessions_revoked",
            obj=user,
            subject=user,
            changes={"sessions": count},
        )
    return count


def _end_sessions(user: User, *, keep: str | None = None) -> int:
    tracked = UserSession.objects.filter(user=user).exclude(session_key=keep or "")
    keys = list(tracked.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def remember_session(*, user: User, session_key: str, client_ip: str, user_agent: str) -> None:
    UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "client_ip": client_ip, "user_agent": user_agent[:300]},
    )


def create_api_token(
    *,
    actor: Any,
    tenant: Mandant,
    user: User,
    name: str,
    permissions: list[str],
    valid_days: int = 365,
) -> tuple[ApiToken, str]:
    """Issue a token for a machine account. Returns the record and the secret, which is
    shown once and never stored: only its SHA-256 is kept."""
    if not user.is_machine:
        raise AccountError("not_machine", "API-Schlüssel gibt es nur für Maschinenkonten.")
    unknown = [p for p in permissions if p not in PERM_LABELS]
    if unknown:
        raise AccountError("perm_unknown", f"Unbekannte Berechtigung: {', '.join(unknown)}")
    if not 1 <= valid_days <= 730:
        raise AccountError("validity", "Die Gültigkeit muss zwischen 1 und 730 Tagen liegen.")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            tenant=tenant,
            user=user,
            name=name,
            prefix=prefix,
            digest=_digest(secret),
            permissions=sorted(set(permissions)),
            created_by=actor if isinstance(actor, User) else None,
            expires_at=timezone.now() + timedelta(days=valid_days),
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="accounts.token.create",
            obj=token,
            subject=user,
            changes={"permissions": token.permissions, "expires_at": token.expires_at},
        )
    return token, secret


def revoke_api_token(*, actor: Any, token: ApiToken, reason: str = "") -> None:
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            tenant_id=token.tenant_id,
            action="accounts.token.revoke",
            obj=token,
            reason=reason,
        )


class TokenRefused(Exception):
    """A genuine token (the caller holds its whole secret) that no longer counts:
    ``reason`` is "revoked", "expired" or "inactive"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def authenticate_token(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The valid token for ``secret``; None when the secret names no token. Raises
    :class:`TokenRefused` for a genuine token that is revoked, expired, or whose machine
    account is switched off: only the holder of the whole secret learns that."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = (
        ApiToken.objects.unscoped().select_related("user", "tenant").filter(prefix=parts[1]).first()
    )
    if token is None or not secrets.compare_digest(token.digest, _digest(secret)):
        return None
    now = now or timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused("revoked")
    if token.expires_at <= now:
        raise TokenRefused("expired")
    if not token.user.is_active:
        raise TokenRefused("inactive")
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.unscoped().filter(pk=token.pk).update(last_used_at=now)
    return token


def _digest(secret: str) -> str:
    # The secret has 256 bits of entropy: a fast hash is enough, a slow KDF buys nothing.
    return hashlib.sha256(secret.encode()).hexdigest()
