"""The single answer to "may this actor see / change this Akte", for pages, API and search.

The filter is a queryset condition, applied inside the query, never after fetching: an
ordinary caseworker's list costs the same as an administrator's.
"""

from __future__ import annotations

import uuid
from functools import reduce
from operator import or_

from django.db.models import Q

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.records.models import AccessLevel, Akte, AkteZugriff

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
    normal = reduce(or_, (Q(**{f"{prefix}unit_path__startswith": p}) for p in paths), NOTHING)
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


def can_view_aktenplan(access: Access) -> bool:
    """Who may read and export the Aktenplan: whoever reads Akten, and whoever manages it."""
    return access.can(Perm.RECORDS_VIEW) or can_manage_aktenplan(access)


def can_manage_aktenplan(access: Access) -> bool:
    """Who may add to the Aktenplan (and configure Vorgangstypen and Fristregeln): the
    Mandant's administration and team leads who assign Akten."""
    return access.can(Perm.TENANCY_MANAGE) or access.can(Perm.RECORDS_ASSIGN)
