"""Second factor, idle timeout and the active Mandant for each request."""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django_otp.middleware
from django.apps import apps
from django.conf import settings
from django.contrib.auth import logout
from django.db import connection, connections, router
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.http import urlencode
from django_otp.models import Device

from koffer.accounts.access import Access, Grant, MissingStep, missing_step
from koffer.accounts.models import Membership
from koffer.accounts.roles import ROLES
from koffer.tenancy import plain_sql
from koffer.tenancy.models import Mandant

SESSION_TENANT = "koffer_tenant_id"
SESSION_LAST_SEEN = "koffer_last_seen"
# The Mandanten the user belonged to when last asked ([unix time, [ids]]): later requests
# read the memberships in these only, a statement routed to their shards on Citus.
SESSION_TENANTS = "koffer_tenants"
# How long that list holds before every Mandant is asked again (a membership added in
# another Mandant shows in the switcher by then; a revoked one counts at once).
TENANTS_FRESH_SECONDS = 300
# Public paths: sign-in flow, static files, probes and the token-authenticated API.
OPEN_PREFIXES = (
    "/anmelden",
    "/abmelden",
    "/static/",
    "/favicon.ico",
    "/healthz",
    "/readyz",
    "/api/",
    "/einsicht/",
)
PASSWORD_CHANGE_PATH = "/passwort-aendern"  # noqa: S105 - a URL, not a secret
LAST_SEEN_RESOLUTION = 60
PASSIVE_HEADER = "X-Koffer-Passive"
PASSIVE_ATTRIBUTE = "koffer_passive"


class OTPMiddleware(django_otp.middleware.OTPMiddleware):
    """django-otp's, loading the session's device in plain SQL. With the second factor
    required, the ORM query behind ``Device.from_persistent_id`` (``.first()``) cost
    ≈ 0.3 ms of CPU on every request, a quarter of the start page."""

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        return device_by_persistent_id(self._normalize_persistent_id(persistent_id))


def device_by_persistent_id(persistent_id: str) -> Device | None:
    """``Device.from_persistent_id(persistent_id)``: the device, or None if the id is
    malformed or names no device (the confirmation and owner checks stay django-otp's)."""
    try:
        model_label, device_id = persistent_id.rsplit("/", 1)
        app_label, model_name = model_label.split(".")
        model = apps.get_model(app_label, model_name)
        pk = int(device_id)
    except (ValueError, LookupError):
        return None
    if not issubclass(model, Device):
        return None
    connection = connections[router.db_for_read(model)]
    fields = tuple(f.attname for f in model._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(_device_sql(model._meta.label, connection.alias), [pk])
        found = plain_sql.instances(model, fields, cursor.fetchall(), connection)
    return found[0] if found else None


@functools.lru_cache(maxsize=16)
def _device_sql(label: str, alias: str) -> str:
    model = apps.get_model(label)
    connection = connections[alias]
    qn = connection.ops.quote_name
    meta = model._meta
    fields = [f.attname for f in meta.concrete_fields]
    return (  # identifiers from the model, no input
        f"SELECT {plain_sql.columns(model, fields, connection)} FROM {qn(meta.db_table)}"  # noqa: S608
        f" WHERE {qn(meta.get_field('id').column)} = %s"
    )


class IdleTimeoutMiddleware:
    """Sign out after KOFFER_IDLE_TIMEOUT seconds without a request of the user's own.

    Requests a page sends by itself (an event stream, a refresh it triggers: views marked
    ``passive``, requests with the header ``X-Koffer-Passive: 1``) are let through but do
    not count as activity, so a page left open does not hold off the timeout."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = _resolved(request.user)
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(SESSION_LAST_SEEN, now)
            if now - last > settings.KOFFER_IDLE_TIMEOUT_SECONDS:
                logout(request)
                return HttpResponseRedirect(reverse("accounts:login") + "?abgelaufen=1")
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        if not request.user.is_authenticated or getattr(view, PASSIVE_ATTRIBUTE, False):
            return
        if request.headers.get(PASSIVE_HEADER) == "1":
            return
        now = int(time.time())
        last = request.session.get(SESSION_LAST_SEEN, now)
        # Writing the session on every request would cost a write per click;
        # a minute's resolution is plenty for a 30-minute timeout.
        if now - last >= LAST_SEEN_RESOLUTION or SESSION_LAST_SEEN not in request.session:
            request.session[SESSION_LAST_SEEN] = now


def passive(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that pages call by themselves (an event stream): its requests do not
    count as the user's activity for the idle timeout."""
    setattr(view, PASSIVE_ATTRIBUTE, True)
    return view


def _resolved(user: Any) -> Any:
    """The user behind the lazy wrappers of the auth and OTP middleware (both evaluated
    from here on anyway): each attribute read through them cost two proxy calls, and a
    page reads the user dozens of times (templates, access checks)."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


class TenantMiddleware:
    """Set ``request.tenant``, ``request.tenants`` and ``request.access`` for signed-in users,
    insist on an own password where someone else chose it, and on the second factor where
    a role sees personal data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None  # type: ignore[attr-defined]
        request.tenants = []  # type: ignore[attr-defined]
        request.access = Access.none()  # type: ignore[attr-defined]
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            self._load(request)
            redirect = self._missing_step(request)
            if redirect is not None:
                return redirect
        return self.get_response(request)

    def _load(self, request: HttpRequest) -> None:
        # One query for every request of a signed-in user: the memberships with their
        # Mandant and unit give the Mandanten to choose from and the active one's grants.
        rows = _memberships(request)
        if not rows:
            return
        tenants: dict[uuid.UUID, Mandant] = {}
        for row in rows:
            if row.tenant_id not in tenants:
                tenants[row.tenant_id] = Mandant.from_db(
                    "default", MANDANT_FIELDS, [row.tenant_id, *row.tenant_values]
                )
        request.tenants = list(tenants.values())  # type: ignore[attr-defined]
        wanted = request.session.get(SESSION_TENANT)
        current = next((t for t in tenants.values() if str(t.pk) == wanted), request.tenants[0])  # type: ignore[attr-defined]
        if wanted != str(current.pk):
            request.session[SESSION_TENANT] = str(current.pk)
        request.tenant = current  # type: ignore[attr-defined]
        request.access = Access(  # type: ignore[attr-defined]
            tenant_id=current.pk,
            grants=[
                Grant(ROLES[r.role], r.unit_id, r.unit_path, r.unit_name)
                for r in rows
                if r.tenant_id == current.pk and r.role in ROLES
            ],
        )

    def _missing_step(self, request: HttpRequest) -> HttpResponse | None:
        # The rule is access.missing_step, which the API's session sign-in asks as well;
        # here only the pages each step needs stay open.
        step = missing_step(request.user, request.access)  # type: ignore[attr-defined]
        if step is None or request.path.startswith(OPEN_PREFIXES):
            return None
        if step == MissingStep.OWN_PASSWORD:
            if request.path.startswith(PASSWORD_CHANGE_PATH):
                return None
            target = reverse("accounts:password_change")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        if request.path.startswith("/zweiter-faktor"):
            return None
        return HttpResponseRedirect(reverse("accounts:otp"))


MANDANT_FIELDS = ["id", "slug", "name", "kind", "leitweg_id", "is_active"]
# Every request of a signed-in user runs this, so it is plain SQL: building the equivalent
# ORM query (three joined models) cost more CPU than executing it (make bench ONLY=core).
MEMBERSHIP_SQL = """
SELECT m.role, m.unit_id, u.path, u.name, t.id, t.slug, t.name, t.kind, t.leitweg_id, t.is_active
FROM accounts_membership m
JOIN tenancy_organisationseinheit u ON u.id = m.unit_id AND u.tenant_id = m.tenant_id
JOIN tenancy_mandant t ON t.id = m.tenant_id
WHERE m.user_id = %s{in_tenants} AND t.is_active
ORDER BY t.name, t.id
"""


@dataclass(frozen=True)
class _MembershipRow:
    role: str
    unit_id: uuid.UUID
    unit_path: str
    unit_name: str
    tenant_id: uuid.UUID
    tenant_values: tuple[Any, ...]


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _memberships(request: HttpRequest) -> list[_MembershipRow]:
    """The user's memberships. Asked in every Mandant (on Citus a statement to every shard
    of the table, on each worker) only when the session knows no recent list of the
    user's Mandanten, or the active Mandant is no longer among them; otherwise in the
    listed ones only (a single shard for a user of one Mandant). Same rows either way."""
    now = int(time.time())
    known = request.session.get(SESSION_TENANTS)
    if known and 0 <= now - known[0] < TENANTS_FRESH_SECONDS and known[1]:
        rows = _membership_rows(request.user.pk, [uuid.UUID(t) for t in known[1]])
        wanted = request.session.get(SESSION_TENANT)
        if any(str(row.tenant_id) == wanted for row in rows):
            return rows
    rows = _membership_rows(request.user.pk)
    request.session[SESSION_TENANTS] = [now, sorted({str(row.tenant_id) for row in rows})]
    return rows


def _membership_rows(
    user_id: Any, tenant_ids: list[uuid.UUID] | None = None
) -> list[_MembershipRow]:
    param = Membership._meta.get_field("user").get_db_prep_value(user_id, connection)
    tenant = Membership._meta.get_field("tenant")
    tenants = [tenant.get_db_prep_value(t, connection) for t in tenant_ids or []]
    in_tenants = ""
    if len(tenants) == 1:
        in_tenants = " AND m.tenant_id = %s"
    elif tenants:
        in_tenants = f" AND m.tenant_id IN ({', '.join(['%s'] * len(tenants))})"
    with connection.cursor() as cursor:
        cursor.execute(MEMBERSHIP_SQL.format(in_tenants=in_tenants), [param, *tenants])
        return [
            _MembershipRow(
                role,
                _uuid(unit_id),
                path,
                unit_name,
                _uuid(tid),
                (slug, name, kind, leitweg, bool(active)),
            )
            for role, unit_id, path, unit_name, tid, slug, name, kind, leitweg, active in cursor.fetchall()
        ]


def switch_tenant(request: HttpRequest, tenant_id: uuid.UUID) -> bool:
    """Make ``tenant_id`` the active Mandant if the user belongs to it."""
    if not Membership.objects.for_tenant(tenant_id).filter(user_id=request.user.pk).exists():
        return False
    request.session[SESSION_TENANT] = str(tenant_id)
    return True
