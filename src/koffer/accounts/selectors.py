"""Reads for the account pages, scoped to the active Mandant."""

from __future__ import annotations

import uuid

from django.db.models import Count, Prefetch, QuerySet
from django_otp import devices_for_user
from django_otp.models import Device

from koffer.accounts.models import ApiToken, Membership, User, UserSession
from koffer.accounts.roles import token_permissions
from koffer.tenancy.models import Mandant, Organisationseinheit


def users_of(tenant: Mandant) -> QuerySet[User]:
    member_ids = Membership.objects.for_tenant(tenant).values("user_id")
    return User.objects.filter(pk__in=member_ids).order_by("is_machine", "last_name", "username")


def member_of(tenant: Mandant, user_id: uuid.UUID) -> User | None:
    """The user if they belong to ``tenant``; None for strangers (answered with 404)."""
    if not Membership.objects.for_tenant(tenant).filter(user_id=user_id).exists():
        return None
    return User.objects.filter(pk=user_id).first()


def memberships_of(tenant: Mandant, user: User) -> QuerySet[Membership]:
    return Membership.objects.for_tenant(tenant).filter(user=user).select_related("unit")


def membership_in(tenant: Mandant, user: User, membership_id: str) -> Membership | None:
    try:
        pk = uuid.UUID(membership_id)
    except ValueError:
        return None
    return (
        Membership.objects.for_tenant(tenant)
        .filter(user=user, pk=pk)
        .select_related("unit", "user")
        .first()
    )


def second_factor_devices(user: User) -> list[Device]:
    return list(devices_for_user(user, confirmed=None))


def sessions_of(user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user).order_by("-created_at")


def tokens_of(tenant: Mandant, user: User) -> QuerySet[ApiToken]:
    """With their units, so that the page can show each token's scope."""
    units = Organisationseinheit.objects.for_tenant(tenant).order_by("path")
    return (
        ApiToken.objects.for_tenant(tenant)
        .filter(user=user)
        .prefetch_related(Prefetch("units", queryset=units))
    )


def token_in(tenant: Mandant, token_id: uuid.UUID) -> ApiToken | None:
    return ApiToken.objects.for_tenant(tenant).filter(pk=token_id).first()


def units_for_admin(tenant: Mandant) -> QuerySet[Organisationseinheit]:
    return Organisationseinheit.objects.for_tenant(tenant).order_by("path")


def unit_in(tenant: Mandant, unit_id: str) -> Organisationseinheit:
    return Organisationseinheit.objects.for_tenant(tenant).get(pk=unit_id)


def units_with_member_counts(tenant: Mandant) -> QuerySet[Organisationseinheit]:
    return (
        Organisationseinheit.objects.for_tenant(tenant)
        .annotate(members=Count("memberships"))
        .order_by("path")
    )


def token_scope(
    tenant: Mandant, machine: User
) -> tuple[frozenset[str], list[Organisationseinheit]]:
    """What a new token of ``machine`` may be given: the permissions its machine roles
    allow, and its own units with everything below them."""
    memberships = list(memberships_of(tenant, machine))
    paths = {m.unit.path for m in memberships}
    units = [u for u in units_for_admin(tenant) if any(u.path.startswith(p) for p in paths)]
    return token_permissions([m.role for m in memberships]), units


def units_by_ids(tenant: Mandant, unit_ids: list[str]) -> list[Organisationseinheit]:
    return list(Organisationseinheit.objects.for_tenant(tenant).filter(pk__in=unit_ids))
