"""The single answer to "may this actor see / do this" with the Koffer, for pages, API and
services alike.

Koffer and checkouts (``field/geraete``):

- A Koffer is registered by a field worker (``field.checkout``) for themself; they see and
  revoke their own (a stolen laptop is revoked at once by whoever notices first).
- The Mandant's administration (``tenancy.manage``) sees and revokes every Koffer of the
  Mandant, and sees every checkout.
- Taking an Akte into a Koffer needs ``field.checkout`` and the right to change that Akte
  (``records.access.can_edit``): a Koffer carries what its worker may work on, nothing
  more. Where that right is missing, the Akte is answered as missing (404).

Hausbesuche (``field/besuche``):

- Planning a visit: whoever may edit the Akte (``records.edit`` there, named if it is
  restricted), while the Akte is open. The field worker chosen must hold ``field.checkout``
  in the Akte's unit or a unit above it (so they can read the Akte and take it along) and,
  for a restricted Akte, be named on it.
- Seeing visits: the visits of Akten the actor may read (``records.view``), nothing else. A
  field worker's own list („Meine Hausbesuche“, the route sheet) is that filter plus
  ``aussendienst = self``; a caseworker or the administration may ask for another field
  worker's day through the API, and sees only the visits of Akten they may read.
- Changing a visit (another day, cancel with a reason, done): its field worker while they
  may read the Akte, or whoever may edit the Akte.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db.models import Q, QuerySet

from koffer.accounts.access import Access
from koffer.accounts.models import Membership, User
from koffer.accounts.roles import ROLES, Perm
from koffer.field.models import Geraet, Hausbesuch
from koffer.records import access as records_access
from koffer.records.models import AccessLevel, Akte, AkteZugriff
from koffer.tenancy.models import Mandant

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


def beginnt_segment_neu(access: Access) -> bool:
    """„Segment neu beginnen“ for a Koffer whose segment was refused: the administration."""
    return verwaltet_geraete(access)


def seite_segment_neu(access: Access, tenant: object) -> bool:
    return beginnt_segment_neu(access)


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


# Page guards (``accounts.access.requires``): rule(access, tenant).


def seite_mein_koffer(access: Access, tenant: object) -> bool:
    """„Mein Koffer“ and „Akten in den Koffer nehmen“: the field service."""
    return registriert(access)


def seite_geraete(access: Access, tenant: object) -> bool:
    """„Koffer: Geräte“: the Mandant's administration."""
    return verwaltet_geraete(access)


def seite_sperren(access: Access, tenant: object) -> bool:
    """Revoking a Koffer: its field worker or the administration (``darf_sperren``)."""
    return registriert(access) or verwaltet_geraete(access)


# --- Hausbesuche ---------------------------------------------------------------------------


def macht_hausbesuche(access: Access, tenant: Mandant | None = None) -> bool:
    """The pages' guard of „Meine Hausbesuche“: a field worker somewhere."""
    return access.can(Perm.FIELD_CHECKOUT)


def plant_irgendwo(access: Access, tenant: Mandant | None = None) -> bool:
    """The planning page's guard: edits Akten somewhere (each Akte asks
    :func:`plant_hausbesuche`)."""
    return access.can(Perm.RECORDS_EDIT)


def sieht_besuche(access: Access, tenant: Mandant | None = None) -> bool:
    """The guard of a visit's pages: reads Akten somewhere (each visit asks
    :func:`aendert_besuch`)."""
    return access.can(Perm.RECORDS_VIEW)


def plant_hausbesuche(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    """May plan a visit for this Akte: edits it, and it is open."""
    return akte.status == Akte.Status.OPEN and records_access.can_edit(access, user_id, akte)


def besuche_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Hausbesuch: the visits of Akten the actor may read."""
    return records_access.akten_q(access, user_id, prefix="akte__")


def aendert_besuch(access: Access, user_id: uuid.UUID | None, besuch: Hausbesuch) -> bool:
    """May move, cancel or close the visit: its field worker (still reading the Akte) or
    whoever may edit the Akte."""
    akte = besuch.akte
    if user_id is not None and besuch.aussendienst_id == user_id:
        return records_access.can_view(access, user_id, akte)
    return records_access.can_edit(access, user_id, akte)


def aussendienste(akte: Akte) -> QuerySet[User]:
    """Who may be sent on a visit for this Akte: active people (no machine accounts) whose
    role holds ``field.checkout`` in the Akte's unit or a unit above it; for a restricted
    Akte only those named on it. The form offers exactly these, the service accepts no one
    else."""
    people = aussendienste_der_einheit(akte.tenant_id, akte.unit_path)
    if akte.access_level == AccessLevel.RESTRICTED:
        named = AkteZugriff.objects.for_tenant(akte.tenant_id).filter(akte=akte).values("user_id")
        people = people.filter(pk__in=named)
    return people.order_by("last_name", "first_name", "pk")


def aussendienste_der_einheit(tenant_id: uuid.UUID, unit_path: str) -> QuerySet[User]:
    """Active people (no machine accounts) whose role holds ``field.checkout`` in the unit
    of ``unit_path`` or a unit above it: the field service of that unit."""
    roles = [code for code, role in ROLES.items() if Perm.FIELD_CHECKOUT in role.permissions]
    member_ids = (
        Membership.objects.for_tenant(tenant_id)
        .filter(role__in=roles, unit__path__in=_ancestor_paths(unit_path))
        .values("user_id")
    )
    people = User.objects.filter(pk__in=member_ids, is_active=True, is_machine=False)
    return people.order_by("last_name", "first_name", "pk")


def _ancestor_paths(unit_path: str) -> list[str]:
    """``"/a/b/"`` -> ``["/a/", "/a/b/"]``: the unit and every unit above it."""
    parts = [p for p in unit_path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


# --- Besuchswünsche (requests from the citizens' portal) --------------------------------
#
# - A request goes to the team the Mandant's portal names (``Besuchswunsch.unit``). Whoever
#   may edit Akten in that unit or a unit above it sees it and plans or declines it (the
#   senior office's planners); the Akte a visit is planned for asks ``plant_hausbesuche``.


def wuensche_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Besuchswunsch: the requests of units the actor edits Akten in."""
    if access.tenant_id is None or not access.can(Perm.RECORDS_EDIT):
        return NOTHING
    paths = access.unit_paths_with(Perm.RECORDS_EDIT)
    q = NOTHING
    for path in paths:
        q |= Q(unit__path__under=path)
    return Q(tenant_id=access.tenant_id) & q


def plant_wuensche(access: Access, tenant: Mandant | None = None) -> bool:
    """The guard of „Hausbesuche: Anfragen“: edits Akten somewhere (each request asks
    :func:`wuensche_q`)."""
    return access.can(Perm.RECORDS_EDIT)


# --- Abgleich: Konflikte ------------------------------------------------------------------


def konflikte_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Konflikt: those of Akten the actor may edit, and the field worker's
    own (their Koffer's pushes, also where the row is gone in the office)."""
    if access.tenant_id is None:
        return NOTHING
    q = Q(tenant_id=access.tenant_id) & records_access.akten_q(
        access, user_id, Perm.RECORDS_EDIT, prefix="akte__"
    )
    if registriert(access) and user_id is not None:
        q |= Q(tenant_id=access.tenant_id, abgleich__geraet__user_id=user_id)
    return q


def sieht_konflikt(access: Access, user_id: uuid.UUID | None, konflikt: object) -> bool:
    from koffer.field.models import Konflikt

    assert isinstance(konflikt, Konflikt)
    if access.tenant_id != konflikt.tenant_id:
        return False
    return (
        Konflikt.objects.for_tenant(konflikt.tenant_id)
        .filter(konflikte_q(access, user_id), pk=konflikt.pk)
        .exists()
    )


def entscheidet_konflikt(access: Access, user_id: uuid.UUID | None, konflikt: object) -> bool:
    """Deciding: whoever sees it (may edit its Akte, or pushed it)."""
    return sieht_konflikt(access, user_id, konflikt)


def seite_konflikte(access: Access, tenant: object) -> bool:
    """„Koffer: Konflikte“: caseworkers (``records.edit``) and the field service."""
    return access.can(Perm.RECORDS_EDIT) or registriert(access)


def seite_unterwegs(access: Access, tenant: object) -> bool:
    """The Koffer's own page on the laptop (``field.unterwegs``): the field worker, and
    only in Koffer mode (the office has no such page)."""
    return settings.KOFFER_MODE == "koffer" and registriert(access)


# --- Expertensitzung (``field/experte``) ---------------------------------------------------
#
# - Inviting an expert into a draft: whoever may fill that draft (``forms.access.fuellt_aus``:
#   may add documents to its Akte), with the citizen's consent.
# - Who can be invited: an active person (no machine account) of the Mandant who works
#   with forms (a role holding ``records.edit`` somewhere: reads the form catalogue), other
#   than the inviter. They need not be able to open the Akte: the consent lets them see
#   the form's fields, except the masked ones (``experte.maskierung``), and nothing else.
# - A session is seen and worked in by its two people only; the field worker also while
#   they still may fill the draft, the expert while they are still such a person.


def laedt_experten_ein(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    """May invite an expert into a draft of this Akte: may fill the draft."""
    return records_access.can_edit(access, user_id, akte)


def experten(tenant_id: uuid.UUID, ausser: uuid.UUID | None = None) -> QuerySet[User]:
    """Who can be invited as an expert (see above); the form offers exactly these."""
    roles = [code for code, role in ROLES.items() if Perm.RECORDS_EDIT in role.permissions]
    member_ids = Membership.objects.for_tenant(tenant_id).filter(role__in=roles).values("user_id")
    people = User.objects.filter(pk__in=member_ids, is_active=True, is_machine=False)
    if ausser is not None:
        people = people.exclude(pk=ausser)
    return people.order_by("last_name", "first_name", "pk")


def sitzungen_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Sitzung: the sessions the actor started or is invited to."""
    if access.tenant_id is None or user_id is None:
        return NOTHING
    return Q(tenant_id=access.tenant_id) & (Q(gestartet_von_id=user_id) | Q(experte_id=user_id))


def seite_experte(access: Access, tenant: object) -> bool:
    """„Expertensitzungen“: whoever works with forms (may invite or be invited)."""
    return access.can(Perm.RECORDS_EDIT)
