"""The single answer to "may this actor see / change this Akte", for pages, API and search.

The filter is a queryset condition, applied inside the query, never after fetching: an
ordinary caseworker's list costs the same as an administrator's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from koffer.accounts.access import Access
from koffer.accounts.models import Membership, User
from koffer.accounts.roles import ROLES, Perm
from koffer.audit.services import Actor
from koffer.records.errors import RecordsForbidden
from koffer.records.models import AccessLevel, Akte, AkteZugriff
from koffer.tenancy.models import Organisationseinheit

NOTHING = Q(pk__in=[])


def akten_q(
    access: Access, user_id: uuid.UUID | None, perm: str = Perm.RECORDS_VIEW, prefix: str = ""
) -> Q:
    """Condition on Akte (or, with ``prefix="akte__"``, on a model pointing to it) that admits
    exactly the Akten ``perm`` holds for: normal ones below the actor's units, restricted
    ones where the actor is named."""
    if access.tenant_id is None or not access.can(perm):
        return NOTHING
    paths = access.unit_paths_with(perm)
    normal = reduce(or_, (Q(**{f"{prefix}unit_path__under": p}) for p in paths), NOTHING)
    condition = Q(**{f"{prefix}access_level": AccessLevel.NORMAL}) & normal
    if user_id is not None:
        named = (
            AkteZugriff.objects.for_tenant(access.tenant_id)
            .filter(user_id=user_id)
            .values("akte_id")
        )
        condition |= Q(
            **{f"{prefix}access_level": AccessLevel.RESTRICTED, f"{prefix}pk__in": named}
        )
    return condition


def of_actor(actor: object, tenant_id: uuid.UUID, access: Access | None = None) -> Access:
    """What ``actor`` may do in the Mandant, for a service: the request's ``access`` when
    the caller has it (an API token counts with its own scope), else the actor's
    memberships. The system (no user) holds no grants: a command that changes who sees
    something acts as a named person."""
    if access is not None:
        return access
    if not isinstance(actor, User):
        return Access(tenant_id=tenant_id)
    return Access.for_user(actor.pk, tenant_id)


def user_id_of(actor: object) -> uuid.UUID | None:
    return actor.pk if isinstance(actor, User) else None


def can_view(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    return _admits(access, user_id, akte, Perm.RECORDS_VIEW)


def can_edit(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    return _admits(access, user_id, akte, Perm.RECORDS_EDIT)


def _admits(access: Access, user_id: uuid.UUID | None, akte: Akte, perm: str) -> bool:
    if access.tenant_id != akte.tenant_id or not access.can(perm):
        return False
    if akte.access_level == AccessLevel.RESTRICTED:
        return (
            user_id is not None
            and AkteZugriff.objects.for_tenant(akte.tenant_id)
            .filter(akte=akte, user_id=user_id)
            .exists()
        )
    return any(akte.unit_path.startswith(p) for p in access.unit_paths_with(perm))


def _holds_at(access: Access, perm: str, unit_path: str) -> bool:
    return any(unit_path.startswith(p) for p in access.unit_paths_with(perm))


def can_create_in(access: Access, unit: Organisationseinheit) -> bool:
    """May open an Akte owned by ``unit``: holds ``records.edit`` there or above."""
    return unit.tenant_id == access.tenant_id and _holds_at(access, Perm.RECORDS_EDIT, unit.path)


def can_assign(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    """May change who sees this Akte (owner unit, access level, named people): the source
    side of such a change. The actor may edit the Akte and holds ``records.assign`` where it
    lies now; being named on a restricted Akte of another team is not enough."""
    return can_edit(access, user_id, akte) and _holds_at(
        access, Perm.RECORDS_ASSIGN, akte.unit_path
    )


def can_assign_to(access: Access, unit: Organisationseinheit) -> bool:
    """May make ``unit`` the owner of an Akte: the target side. Whoever moves an Akte must
    hold ``records.assign`` in the new unit too, or they could hand it to strangers."""
    return unit.tenant_id == access.tenant_id and _holds_at(access, Perm.RECORDS_ASSIGN, unit.path)


def assign_units_q(access: Access) -> Q:
    """Condition on Organisationseinheit: the units :func:`can_assign_to` admits."""
    if access.tenant_id is None:
        return NOTHING
    paths = access.unit_paths_with(Perm.RECORDS_ASSIGN)
    return reduce(or_, (Q(path__under=p) for p in paths), NOTHING)


def caseworkers(
    tenant_id: uuid.UUID, unit_path: str, *, named: Iterable[uuid.UUID] | None = None
) -> QuerySet[User]:
    """Who may be the caseworker of an Akte owned by the unit at ``unit_path``: active
    people (never machine accounts) whose role lets them edit Akten in that unit or a unit
    above it, so the person responsible can open and work on the Akte; for a restricted
    Akte only those among its ``named`` people. The web form offers exactly these, and the
    service accepts no one else, whatever the channel."""
    roles = [code for code, role in ROLES.items() if Perm.RECORDS_EDIT in role.permissions]
    member_ids = (
        Membership.objects.for_tenant(tenant_id)
        .filter(role__in=roles, unit__path__in=_ancestor_paths(unit_path))
        .values("user_id")
    )
    people = User.objects.filter(pk__in=member_ids, is_active=True, is_machine=False)
    if named is not None:
        people = people.filter(pk__in=list(named))
    return people.order_by("last_name", "first_name", "pk")


def _ancestor_paths(unit_path: str) -> list[str]:
    """``"/a/b/"`` -> ``["/a/", "/a/b/"]``: the unit and every unit above it."""
    parts = [p for p in unit_path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def can_view_aktenplan(access: Access) -> bool:
    """Who may read and export the Aktenplan: whoever reads Akten, and whoever manages it."""
    return access.can(Perm.RECORDS_VIEW) or can_manage_aktenplan(access)


def can_manage_aktenplan(access: Access) -> bool:
    """Who may add to the Aktenplan (and configure Vorgangstypen and Fristregeln): the
    Mandant's administration and team leads who assign Akten."""
    return access.can(Perm.TENANCY_MANAGE) or access.can(Perm.RECORDS_ASSIGN)


def require(
    access: Access, perm: str, message: str = "Dafür fehlt Ihnen die Berechtigung."
) -> None:
    """Refuse (403 ``forbidden``) unless ``access`` holds ``perm``: the API's guard."""
    if not access.can(perm):
        raise RecordsForbidden("forbidden", message)


@dataclass(frozen=True)
class DuplicateScope:
    """Where a file counts as already there: the active documents ``among`` admits;
    one in the target Akte (``akte_id``) is named first."""

    tenant_id: uuid.UUID
    akte_id: uuid.UUID
    among: Q


def duplicate_scope(actor: Actor, akte: Akte, access: Access | None) -> DuplicateScope:
    """A person is told about the same bytes only in Akten they may see. Telling them of
    a copy in an Akte hidden from them would confirm that the file exists there, and
    refusing it would keep a second department from filing the same letter; so such a
    file is stored again, as a document of its own (the blob store is content-addressed
    and the blob ledger counts every version that points to a blob, so the bytes are
    not doubled and never removed while a version needs them). The system (imports,
    the demo) sees no department's Akten: it is stopped only within the target Akte."""
    if not isinstance(actor, User) and access is None:
        return DuplicateScope(akte.tenant_id, akte.pk, Q(dokument__akte_id=akte.pk))
    grants = of_actor(actor, akte.tenant_id, access)
    among = akten_q(grants, user_id_of(actor), prefix="dokument__akte__")
    return DuplicateScope(akte.tenant_id, akte.pk, among)


def akte_caseworkers(akte: Akte) -> QuerySet[User]:
    """:func:`caseworkers` for an Akte as it stands (its named people, if restricted)."""
    named = (
        AkteZugriff.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .values_list("user_id", flat=True)
        if akte.access_level == AccessLevel.RESTRICTED
        else None
    )
    return caseworkers(akte.tenant_id, akte.unit_path, named=named)
