"""The single answer to "may this actor do this here", for web and API alike."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django_otp import user_has_device

from koffer.accounts.models import Membership
from koffer.accounts.roles import HOLDER_ONLY, ROLES, Perm, Role, grantable_in
from koffer.tenancy.models import Organisationseinheit

if TYPE_CHECKING:
    from koffer.accounts.models import ApiToken


@dataclass(frozen=True)
class Grant:
    role: Role
    unit_id: uuid.UUID
    unit_path: str
    unit_name: str


@dataclass
class Access:
    """What one actor may do in one Mandant: loaded once per request (one query)."""

    tenant_id: uuid.UUID | None
    grants: list[Grant] = field(default_factory=list)

    @classmethod
    def none(cls) -> Access:
        return cls(tenant_id=None)

    @classmethod
    def for_user(cls, user_id: object, tenant_id: uuid.UUID) -> Access:
        rows = (
            Membership.objects.for_tenant(tenant_id)
            .filter(user_id=user_id)
            .values_list("role", "unit_id", "unit__path", "unit__name")
        )
        grants = [Grant(ROLES[r], u, p, n) for r, u, p, n in rows if r in ROLES]
        return cls(tenant_id=tenant_id, grants=grants)

    @classmethod
    def for_memberships(cls, tenant_id: uuid.UUID, memberships: Iterable[Membership]) -> Access:
        """From memberships loaded with their unit (``select_related("unit")``), e.g. all of
        a user's in one query; only those in ``tenant_id`` count."""
        grants = [
            Grant(ROLES[m.role], m.unit_id, m.unit.path, m.unit.name)
            for m in memberships
            if m.tenant_id == tenant_id and m.role in ROLES
        ]
        return cls(tenant_id=tenant_id, grants=grants)

    @classmethod
    def for_token(cls, token: ApiToken) -> Access:
        """What a request with ``token`` may do: the token's permissions in the token's
        Organisationseinheiten, and never more than its machine account's roles grant
        there (a role taken away later takes the token's right with it). Being grants like
        a person's, they flow through every access ``Q`` unchanged. Two queries."""
        account = cls.for_user(token.user_id, token.tenant_id)
        wanted = frozenset(token.permissions)
        units = (
            Organisationseinheit.objects.for_tenant(token.tenant_id)
            .filter(api_tokens=token)
            .values_list("id", "path", "name")
        )
        grants = []
        for unit_id, path, name in units:
            for g in account.grants:
                held = g.role.permissions & wanted
                if held and path.startswith(g.unit_path):
                    grants.append(Grant(replace(g.role, permissions=held), unit_id, path, name))
        return cls(tenant_id=token.tenant_id, grants=grants)

    @property
    def permissions(self) -> frozenset[str]:
        perms: set[str] = set()
        for g in self.grants:
            perms |= g.role.permissions
        return frozenset(perms)

    @property
    def roles(self) -> list[Role]:
        seen: dict[str, Role] = {}
        for g in self.grants:
            seen.setdefault(g.role.code, g.role)
        return list(seen.values())

    @property
    def sees_personal_data(self) -> bool:
        return any(g.role.sees_personal_data for g in self.grants)

    def can(self, perm: str) -> bool:
        return perm in self.permissions

    def unit_paths_with(self, perm: str) -> list[str]:
        """Paths of the units where ``perm`` holds; a unit's descendants share its prefix."""
        return [g.unit_path for g in self.grants if perm in g.role.permissions]

    def reaches(self, perm: str, unit_path: str) -> bool:
        """Whether ``perm`` holds in the unit at ``unit_path`` (granted there or above)."""
        return any(unit_path.startswith(p) for p in self.unit_paths_with(perm))


# --- Signed in, but not yet free to work ------------------------------------------------------


class MissingStep(StrEnum):
    """What a signed-in person must still do in the browser; the value is the API's code."""

    OWN_PASSWORD = "password_change_required"  # noqa: S105 - a code, not a secret
    SECOND_FACTOR = "second_factor_required"


def missing_step(user: Any, access: Access) -> MissingStep | None:
    """The step a session of ``user`` (with ``access`` in the active Mandant) still lacks,
    or None when it may work. The web pages redirect to the step, the API refuses with its
    code: both ask here, so a session cannot skip a step by calling the API instead.

    The second factor is required where a role sees personal data or administers people,
    tokens or the organisation (an admin could otherwise hand out a password and a fresh
    second factor for any caseworker). The own password comes first, since one an admin
    handed out is known to two people, unless the account already has a second factor: then
    whoever knows the password proves the factor before changing the password."""
    needs_factor = settings.KOFFER_REQUIRE_OTP and requires_second_factor(access)
    if getattr(user, "must_change_password", False):
        if needs_factor and not _verified(user) and user_has_device(user, confirmed=True):
            return MissingStep.SECOND_FACTOR
        return MissingStep.OWN_PASSWORD
    if not needs_factor or _verified(user):
        return None
    return MissingStep.SECOND_FACTOR


def requires_second_factor(access: Access) -> bool:
    """Roles that see personal data, and roles that administer accounts, tokens or the
    organisation (they can reach personal data through another account)."""
    return access.sees_personal_data or not HOLDER_ONLY.isdisjoint(access.permissions)


def _verified(user: Any) -> bool:
    # django-otp's middleware sets is_verified on the request's user; without it nothing
    # was verified.
    verified = getattr(user, "is_verified", None)
    return bool(verified is not None and verified())


# --- Account administration ------------------------------------------------------------------


def manage_perm(role_or_account_is_machine: bool) -> str:
    """The permission that administers a machine account (tokens) or a person (accounts)."""
    return Perm.TOKENS_MANAGE if role_or_account_is_machine else Perm.ACCOUNTS_MANAGE


def may_grant(access: Access, *, tenant_kind: str, role: Role, unit_path: str) -> bool:
    """Whether an admin with ``access`` may grant ``role`` in the unit at ``unit_path``: the
    kind of Mandant offers the role, the admin administers that unit, and any permission
    over permissions the role carries (``HOLDER_ONLY``) is the admin's own there too."""
    if role not in grantable_in(tenant_kind):
        return False
    return may_administer_role(access, role=role, unit_path=unit_path)


def may_administer_role(access: Access, *, role: Role, unit_path: str) -> bool:
    """Whether an admin with ``access`` may grant or take ``role`` in the unit at
    ``unit_path``, whatever the kind of Mandant (a role granted before the kinds were
    checked can still be taken away)."""
    if not access.reaches(manage_perm(role.machine), unit_path):
        return False
    return all(access.reaches(p, unit_path) for p in role.permissions & HOLDER_ONLY)


def grantable_roles(access: Access, *, tenant_kind: str, machine: bool) -> list[Role]:
    """The roles to offer an admin in a form: those ``may_grant`` allows in at least one
    unit the admin administers (the service checks the unit chosen)."""
    paths = access.unit_paths_with(manage_perm(machine))
    return [
        r
        for r in grantable_in(tenant_kind)
        if r.machine == machine
        and any(may_grant(access, tenant_kind=tenant_kind, role=r, unit_path=p) for p in paths)
    ]


def may_manage_account(actor_id: object, user_id: object, *, machine: bool) -> bool:
    """Whether the actor administers every membership ``user_id`` has, in every Mandant.

    A password reset, a second-factor reset or a deactivation acts on the whole account,
    which may belong to other Mandanten as well: an admin of one of them must not take over
    (or lock out) a person whose work in another they do not administer."""
    perm = manage_perm(machine)
    theirs = list(
        Membership.objects.unscoped().filter(user_id=user_id).values_list("tenant_id", "unit__path")
    )
    mine = [
        (tenant_id, path)
        for tenant_id, code, path in Membership.objects.unscoped()
        .filter(user_id=actor_id)
        .values_list("tenant_id", "role", "unit__path")
        if code in ROLES and perm in ROLES[code].permissions
    ]
    return bool(theirs) and all(
        any(tenant_id == t and path.startswith(p) for t, p in mine) for tenant_id, path in theirs
    )


ORGANISATION_READERS = frozenset(
    {
        Perm.RECORDS_VIEW,
        Perm.RECORDS_EDIT,
        Perm.RECORDS_ASSIGN,
        Perm.TENANCY_MANAGE,
        Perm.ACCOUNTS_MANAGE,
        Perm.TOKENS_MANAGE,
    }
)


def configures_mandant(access: Access) -> bool:
    """Who may change settings that hold for the whole Mandant (e.g. its upload limits):
    ``tenancy.manage`` granted on a root Organisationseinheit, not only on a branch of it."""
    return any(path.count("/") == 2 for path in access.unit_paths_with(Perm.TENANCY_MANAGE))


def sees_organisation(access: Access) -> bool:
    """Who may read the Mandant's tree of Organisationseinheiten: those who file Akten into
    it or administer it. A scan provider's upload key learns nothing about the structure."""
    return not ORGANISATION_READERS.isdisjoint(access.permissions)


def require_perm(perm: str):  # type: ignore[no-untyped-def]
    """View decorator: signed in, a Mandant chosen, and ``perm`` held there; else 403."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import PermissionDenied

    def decorator(view):  # type: ignore[no-untyped-def]
        @wraps(view)
        def wrapped(request, *args, **kwargs):  # type: ignore[no-untyped-def]
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.tenant is None or not request.access.can(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def requires(predicate: Callable[[HttpRequest], bool], message: str) -> Callable[[View], View]:
    """View decorator for a rule beyond one permission: signed in, a Mandant chosen, and
    ``predicate(request)`` true; else the German 403 page saying ``message``."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login
    from django.shortcuts import render

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(request, "tenant", None) is None or not predicate(request):
                context = {"status": 403, "title": "Keine Berechtigung", "detail": message}
                return render(request, "shell/error.html", context, status=403)
            return view(request, *args, **kwargs)

        return cast(View, wrapped)

    return decorator
