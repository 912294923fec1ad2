"""Every write to accounts: users, memberships, passwords, sessions, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp import devices_for_user

from koffer.accounts import lockout
from koffer.accounts.access import (
    Access,
    configures_mandant,
    may_administer_role,
    may_grant,
    may_manage_account,
)
from koffer.accounts.models import ApiToken, Membership, User, UserSession
from koffer.accounts.roles import PERM_LABELS, ROLES, grantable_in, token_permissions
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.errors import DomainError
from koffer.tenancy.models import Mandant, Organisationseinheit

TOKEN_PREFIX = "kof"  # noqa: S105 - a marker, not a secret


class AccountError(DomainError):
    """A user-caused problem with a clear German message and a stable code."""


def create_user(
    *,
    actor: Actor | None,
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
    ``must_change_password`` is False (the demo district, test data). A person creating
    the account must be allowed to grant ``role`` in ``unit`` (``access.may_grant``)."""
    _check_grant(actor=actor, tenant=tenant, unit=unit, role=role, is_machine=is_machine, user=None)
    # Names and addresses are global, and either one signs in: a name may not equal
    # another account's e-mail address either, or one typed text would name two accounts.
    if User.objects.filter(Q(username__iexact=username) | Q(email__iexact=username)).exists():
        raise AccountError(
            "username_taken",
            "Dieser Benutzername ist bereits vergeben "
            "(Benutzernamen gelten für alle Mandanten dieser Installation).",
        )
    if email and User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
        raise AccountError(
            "email_taken",
            "Diese E-Mail-Adresse ist bereits vergeben "
            "(E-Mail-Adressen gelten für alle Mandanten dieser Installation).",
        )
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
        _add_membership(actor=actor, user=user, unit=unit, role=role)
    return user


def grant_role(
    *, actor: Actor | None, tenant: Mandant, user: User, unit: Organisationseinheit, role: str
) -> Membership:
    """Grant ``role`` in ``unit`` (inside ``tenant``) and below to someone who already
    belongs to ``tenant``. The actor must be allowed to grant it there
    (``access.may_grant``: the kind of Mandant offers it, the actor administers the unit
    and holds any permission over permissions it carries) and may not change their own
    roles. The installation itself (actor None: setup, demo) may add anyone anywhere."""
    _check_grant(
        actor=actor, tenant=tenant, unit=unit, role=role, is_machine=user.is_machine, user=user
    )
    return _add_membership(actor=actor, user=user, unit=unit, role=role)


def add_membership(
    *, actor: Actor | None, user: User, unit: Organisationseinheit, role: str
) -> Membership:
    """``grant_role`` in the unit's own Mandant."""
    return grant_role(actor=actor, tenant=unit.tenant, user=user, unit=unit, role=role)


def _add_membership(
    *, actor: Actor | None, user: User, unit: Organisationseinheit, role: str
) -> Membership:
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


def _person(actor: Actor | None) -> User | None:
    """The acting person, or None for the installation itself (setup, demo, commands)."""
    return actor if isinstance(actor, User) else None


def _check_grant(
    *,
    actor: Actor | None,
    tenant: Mandant,
    unit: Organisationseinheit,
    role: str,
    is_machine: bool,
    user: User | None,
) -> None:
    if unit.tenant_id != tenant.pk:
        raise AccountError(
            "unit_foreign", "Die Organisationseinheit gehört nicht zu diesem Mandanten."
        )
    if role not in ROLES:
        raise AccountError("role_unknown", "Diese Rolle gibt es nicht.")
    granted = ROLES[role]
    person = _person(actor)
    if person is None:
        return
    if granted.machine != is_machine:
        raise AccountError(
            "role_kind",
            "Maschinenrollen gibt es nur für Maschinenkonten, Personenrollen nur für Personen.",
        )
    if user is not None and user.pk == person.pk:
        raise AccountError(
            "own_roles", "Ihre eigenen Rollen kann nur eine andere Administration ändern."
        )
    if user is not None and not _belongs_to(user, tenant):
        raise AccountError("not_member", "Diese Person gehört nicht zu diesem Mandanten.")
    if granted not in grantable_in(tenant.kind):
        raise AccountError(
            "role_not_for_kind",
            f"Die Rolle „{granted.label}“ kann ein Mandant dieser Art nicht vergeben.",
        )
    access = Access.for_user(person.pk, tenant.pk)
    if not may_grant(access, tenant_kind=tenant.kind, role=granted, unit_path=unit.path):
        raise AccountError(
            "role_forbidden",
            f"Die Rolle „{granted.label}“ dürfen Sie in dieser Organisationseinheit "
            "nicht vergeben.",
        )


def _belongs_to(user: User, tenant: Mandant) -> bool:
    return Membership.objects.for_tenant(tenant).filter(user=user).exists()


def revoke_role(*, actor: Actor, tenant: Mandant, membership: Membership) -> None:
    """Take one role away. The actor must administer the role's unit (and hold any
    permission over permissions the role carries), may not change their own roles, and
    may not take a person's last role in the Mandant: that is a deactivation."""
    if membership.tenant_id != tenant.pk:
        raise AccountError("not_member", "Diese Rolle gehört nicht zu diesem Mandanten.")
    user = membership.user
    person = _person(actor)
    revoked = ROLES.get(membership.role)
    if person is not None:
        if user.pk == person.pk:
            raise AccountError(
                "own_roles", "Ihre eigenen Rollen kann nur eine andere Administration ändern."
            )
        access = Access.for_user(person.pk, tenant.pk)
        if revoked is None or not may_administer_role(
            access, role=revoked, unit_path=membership.unit.path
        ):
            raise AccountError(
                "role_forbidden",
                f"Die Rolle „{membership.get_role_display()}“ dürfen Sie hier nicht entziehen.",
            )
    if (
        not Membership.objects.for_tenant(tenant)
        .filter(user=user)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise AccountError(
            "last_role",
            "Das ist die letzte Rolle der Person in diesem Mandanten. "
            "Deaktivieren Sie das Konto, statt sie zu entziehen.",
        )
    with transaction.atomic():
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="accounts.membership.remove",
            obj=membership,
            subject=user,
            changes={"role": membership.role, "unit": str(membership.unit_id)},
        )
        membership.delete()


def _require_account(actor: Actor, tenant: Mandant, user: User) -> None:
    """A person acting on a whole account (password, second factor, deactivation) must
    administer every membership it has, in every Mandant (``access.may_manage_account``)."""
    person = _person(actor)
    if person is None:
        return
    if not _belongs_to(user, tenant):
        raise AccountError("not_member", "Diese Person gehört nicht zu diesem Mandanten.")
    if not may_manage_account(person.pk, user.pk, machine=user.is_machine):
        raise AccountError(
            "account_forbidden",
            "Dieses Konto gehört auch zu Organisationseinheiten oder Mandanten, die Sie nicht "
            "verwalten. Das kann nur eine Administration tun, die alle verwaltet.",
        )


def _refuse_self(actor: Actor, user: User, code: str, message: str) -> None:
    person = _person(actor)
    if person is not None and person.pk == user.pk:
        raise AccountError(code, message)


def _record_everywhere(*, actor: Actor, user: User, action: str, **kwargs: Any) -> None:
    """An event about a whole account goes into the chain of every Mandant it belongs to."""
    for tenant_id in _tenant_ids(user):
        audit.record(
            actor=actor, tenant_id=tenant_id, action=action, obj=user, subject=user, **kwargs
        )


def reset_password(*, actor: Actor, tenant: Mandant, user: User, new_password: str) -> None:
    """Set a new password, which the person must replace at the next sign-in, and end all
    of the user's sessions. Nobody resets their own: that needs no current password, so a
    stolen session could take the account over; one's own is changed with the current one
    (``change_own_password``)."""
    _refuse_self(
        actor,
        user,
        "own_password_reset",
        "Ihr eigenes Passwort setzen Sie nicht hier zurück: bitte ändern Sie es unter "
        "„Passwort ändern“ mit Ihrem bisherigen Passwort.",
    )
    _require_account(actor, tenant, user)
    if user.is_machine:
        raise AccountError("not_person", "Maschinenkonten haben kein Passwort.")
    with transaction.atomic():
        user.set_password(new_password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        _record_everywhere(actor=actor, user=user, action="accounts.user.password_reset")
        _end_sessions(user)


def set_active(
    *, actor: Actor, tenant: Mandant, user: User, active: bool, reason: str = ""
) -> None:
    """Deactivate an account (it can no longer sign in or use its API keys; its sessions
    end) or reactivate it. Nobody deactivates their own account."""
    person = _person(actor)
    if person is not None and person.pk == user.pk and not active:
        raise AccountError(
            "self_deactivate", "Ihr eigenes Konto kann nur eine andere Administration deaktivieren."
        )
    _require_account(actor, tenant, user)
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        ended = 0 if active else _end_sessions(user)
        _record_everywhere(
            actor=actor,
            user=user,
            action="accounts.user.reactivate" if active else "accounts.user.deactivate",
            changes={"is_active": active, "sessions_ended": ended},
            reason=reason,
        )


def reset_second_factor(*, actor: Actor, tenant: Mandant, user: User) -> int:
    """Delete every second-factor device of ``user`` and end their sessions: at the next
    sign-in they set up a new one. Returns how many devices were deleted. Nobody resets
    their own: with a stolen session and the password, that would swap the owner's device
    for the thief's."""
    _refuse_self(
        actor,
        user,
        "own_second_factor_reset",
        "Ihren eigenen zweiten Faktor setzt nur eine andere Administration zurück.",
    )
    _require_account(actor, tenant, user)
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        _end_sessions(user)
        _record_everywhere(
            actor=actor,
            user=user,
            action="accounts.user.otp_reset",
            changes={"devices": len(devices)},
        )
    return len(devices)


def change_own_password(
    *,
    actor: User,
    current_password: str,
    new_password: str,
    keep_session_key: str | None,
    client_ip: str = "",
) -> None:
    """The signed-in person replaces their password (the first one, one an admin set, or
    simply their own). Needs the current password; ends every other session of theirs.

    A wrong current password counts against the account like a failed sign-in
    (``lockout``, same limit): else a stolen session could guess it here without limit.
    A locked account is refused with code ``locked``."""
    key = lockout.account_key("", actor)
    now = timezone.now()
    # The account's lock only: the address throttle guards sign-ins sprayed over many
    # names, and this person is already signed in.
    if lockout.refusal(key=key, client_ip="", now=now) is not None:
        raise AccountError("locked", lockout.locked_message())
    if not actor.check_password(current_password):
        lockout.record_failure(key=key, client_ip=client_ip, now=now)
        raise AccountError("password_wrong", "Das bisherige Passwort stimmt nicht.")
    lockout.clear(key=key)
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


def revoke_sessions(*, actor: Actor, tenant: Mandant, user: User) -> int:
    """End every session of ``user``; returns how many were ended. The same rule as the
    other actions on a whole account (``_require_account``): the sessions run in every
    Mandant the user belongs to, so only an admin of all their memberships ends them."""
    _require_account(actor, tenant, user)
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


# Bounds of what a Mandant may set: beyond them a single file would hold a worker for minutes.
MAX_PAGES_PER_FILE_LIMIT = 20_000
MAX_IMAGE_FRAMES_LIMIT = 2_000


def set_upload_limits(
    *,
    actor: Actor,
    tenant: Mandant,
    max_pages_per_file: int | None,
    max_image_frames: int | None,
) -> None:
    """Set the Mandant's page limit per PDF and frame limit per TIFF (None: the
    installation's default), checked at every upload. Only an administration of the whole
    Mandant may; audited with the old and the new values."""
    person = _person(actor)
    if person is not None and not configures_mandant(Access.for_user(person.pk, tenant.pk)):
        raise AccountError(
            "forbidden",
            "Die Grenzen für hochgeladene Dateien legt die Administration des ganzen "
            "Mandanten fest.",
        )
    for value, highest, what in (
        (max_pages_per_file, MAX_PAGES_PER_FILE_LIMIT, "Seiten je PDF"),
        (max_image_frames, MAX_IMAGE_FRAMES_LIMIT, "Einzelbilder je TIFF"),
    ):
        if value is not None and not 1 <= value <= highest:
            raise AccountError(
                "limit_range",
                f"{what}: erlaubt sind Werte von 1 bis {highest:,}.".replace(",", "."),
            )
    old = {
        "max_pages_per_file": tenant.max_pages_per_file,
        "max_image_frames": tenant.max_image_frames,
    }
    new = {"max_pages_per_file": max_pages_per_file, "max_image_frames": max_image_frames}
    with transaction.atomic():
        Mandant.objects.filter(pk=tenant.pk).update(**new)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="tenancy.mandant.upload_limits",
            obj=tenant,
            changes={"old": old, "new": new},
        )
    tenant.max_pages_per_file = max_pages_per_file
    tenant.max_image_frames = max_image_frames


def create_api_token(
    *,
    actor: Actor,
    tenant: Mandant,
    user: User,
    name: str,
    permissions: list[str],
    units: list[Organisationseinheit],
    valid_days: int = 365,
) -> tuple[ApiToken, str]:
    """Issue a token for a machine account, scoped to ``permissions`` in ``units`` (and
    below). Both must lie inside what the account's machine roles allow: the permissions
    within the roles' allowed set, the units at or below the account's own units. Returns
    the record and the secret, which is shown once and never stored: only its SHA-256."""
    if not user.is_machine:
        raise AccountError("not_machine", "API-Schlüssel gibt es nur für Maschinenkonten.")
    unknown = [p for p in permissions if p not in PERM_LABELS]
    if unknown:
        raise AccountError("perm_unknown", f"Unbekannte Berechtigung: {', '.join(unknown)}")
    if not permissions:
        raise AccountError("perm_missing", "Bitte wählen Sie mindestens eine Berechtigung.")
    memberships = list(
        Membership.objects.for_tenant(tenant).filter(user=user).select_related("unit")
    )
    allowed = token_permissions([m.role for m in memberships])
    refused = sorted(PERM_LABELS[p] for p in set(permissions) - allowed)
    if refused:
        raise AccountError(
            "perm_not_allowed",
            "Diese Berechtigung passt nicht zur Rolle des Maschinenkontos: "
            + ", ".join(refused)
            + ".",
        )
    if not units:
        raise AccountError(
            "units_missing", "Bitte wählen Sie mindestens eine Organisationseinheit."
        )
    reach = [m.unit.path for m in memberships]
    outside = [
        u.name
        for u in units
        if u.tenant_id != tenant.pk or not any(u.path.startswith(p) for p in reach)
    ]
    if outside:
        raise AccountError(
            "unit_outside",
            "Diese Organisationseinheit liegt außerhalb des Maschinenkontos: "
            + ", ".join(outside)
            + ".",
        )
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
        token.units.set(units)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="accounts.token.create",
            obj=token,
            subject=user,
            changes={
                "permissions": token.permissions,
                "units": sorted(str(u.pk) for u in units),
                "expires_at": token.expires_at,
            },
        )
    return token, secret


def revoke_api_token(*, actor: Actor, token: ApiToken, reason: str = "") -> None:
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
