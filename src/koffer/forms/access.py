"""The single answer to "may this actor see / do this" in the Formulare, for pages, API
and services alike.

- The catalogue (import, export, deactivate): the Mandant's administration
  (``tenancy.manage``), the same people who manage the Postausgang's templates.
- Reading the catalogue: the administration and whoever fills forms (``records.edit``).
- Filling a form for an Akte and submitting it: whoever may add documents to that Akte
  (``records.access.can_edit``); a draft is seen by exactly those.
- A submission: whoever may read its Akte.
"""

from __future__ import annotations

import uuid

from django.db.models import Q

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.records import access as records_access
from koffer.records.models import Akte


def verwaltet_katalog(access: Access) -> bool:
    return access.can(Perm.TENANCY_MANAGE)


def liest_katalog(access: Access) -> bool:
    return verwaltet_katalog(access) or access.can(Perm.RECORDS_EDIT)


def fuellt_aus(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    """May begin, change and submit a form for this Akte: may add documents to it."""
    return records_access.can_edit(access, user_id, akte)


def entwuerfe_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Entwurf: drafts of Akten the actor may add documents to."""
    return records_access.akten_q(access, user_id, Perm.RECORDS_EDIT, prefix="akte__")


def einreichungen_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Einreichung: submissions in Akten the actor may read."""
    return records_access.akten_q(access, user_id, Perm.RECORDS_VIEW, prefix="akte__")
