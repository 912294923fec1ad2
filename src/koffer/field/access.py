"""The single answer to "may this actor see / do this" with the Koffer, for pages, API and
services alike.

- A Koffer is registered by a field worker (``field.checkout``) for themself; they see and
  revoke their own (a stolen laptop is revoked at once by whoever notices first).
- The Mandant's administration (``tenancy.manage``) sees and revokes every Koffer of the
  Mandant, and sees every checkout.
- Taking an Akte into a Koffer needs ``field.checkout`` and the right to change that Akte
  (``records.access.can_edit``): a Koffer carries what its worker may work on, nothing
  more. Where that right is missing, the Akte is answered as missing (404).
"""

from __future__ import annotations

import uuid

from django.db.models import Q

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.field.models import Geraet
from koffer.records import access as records_access
from koffer.records.models import Akte

NOTHING = Q(pk__in=[])


def registriert(access: Access) -> bool:
    """May register a Koffer for themself and take Akten along."""
    return access.can(Perm.FIELD_CHECKOUT)


def verwaltet_geraete(access: Access) -> bool:
    """Sees and revokes every Koffer of the Mandant."""
    return access.can(Perm.TENANCY_MANAGE)


def geraete_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Geraet: every Koffer for the administration, one's own otherwise."""
    if access.tenant_id is None:
        return NOTHING
    if verwaltet_geraete(access):
        return Q(tenant_id=access.tenant_id)
    if registriert(access) and user_id is not None:
        return Q(tenant_id=access.tenant_id, user_id=user_id)
    return NOTHING


def ausleihen_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Ausleihe: the checkouts of the Koffer the actor sees."""
    if access.tenant_id is None:
        return NOTHING
    if verwaltet_geraete(access):
        return Q(tenant_id=access.tenant_id)
    if registriert(access) and user_id is not None:
        return Q(tenant_id=access.tenant_id, geraet__user_id=user_id)
    return NOTHING


def sieht_geraet(access: Access, user_id: uuid.UUID | None, geraet: Geraet) -> bool:
    if access.tenant_id != geraet.tenant_id:
        return False
    if verwaltet_geraete(access):
        return True
    return registriert(access) and user_id is not None and geraet.user_id == user_id


def bedient_geraet(access: Access, user_id: uuid.UUID | None, geraet: Geraet) -> bool:
    """May pair, fill and return Akten with this Koffer: its own field worker only (the
    administration revokes, but does not carry someone else's Koffer)."""
    return (
        access.tenant_id == geraet.tenant_id
        and registriert(access)
        and user_id is not None
        and geraet.user_id == user_id
    )


def darf_sperren(access: Access, user_id: uuid.UUID | None, geraet: Geraet) -> bool:
    return sieht_geraet(access, user_id, geraet)


def nimmt_mit(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    """May take this Akte into a Koffer: ``field.checkout`` and may change the Akte."""
    return registriert(access) and records_access.can_edit(access, user_id, akte)


def akten_zum_mitnehmen_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Akte: those ``nimmt_mit`` admits (the search on „Mein Koffer“)."""
    if not registriert(access):
        return NOTHING
    return records_access.akten_q(access, user_id, Perm.RECORDS_EDIT)
