"""The single answer to "may this actor see / do this" in the Posteingang, for pages, API
and services alike.

Two sides: whoever delivers scans (``inbox.upload``: a scan provider's machine account,
or the mail room scanning in-house) sees the batches it delivered itself, never another
provider's; the mail room (``inbox.process``) sees every batch delivered into its
Organisationseinheiten (and below).
"""

from __future__ import annotations

import uuid
from functools import reduce
from operator import or_

from django.db.models import Q

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.tenancy.models import Mandant

# Authorities whose post arrives on paper: a Kreis, a Stadt, a Jobcenter. Träger, the
# Landesjugendamt and the ministry run no mail room in koffer.
INBOX_KINDS = frozenset({Mandant.Kind.KREIS, Mandant.Kind.GEMEINDE, Mandant.Kind.JOBCENTER})


def has_inbox(kind: str) -> bool:
    """Which kinds of Mandant the Posteingang exists for (navigation and views alike)."""
    return kind in INBOX_KINDS


def delivers(access: Access, tenant: Mandant) -> bool:
    return access.can(Perm.INBOX_UPLOAD) and has_inbox(tenant.kind)


def processes(access: Access, tenant: Mandant) -> bool:
    return access.can(Perm.INBOX_PROCESS) and has_inbox(tenant.kind)


def sees_batches(access: Access, tenant: Mandant) -> bool:
    return delivers(access, tenant) or processes(access, tenant)


def delivery_unit(access: Access) -> uuid.UUID | None:
    """The Organisationseinheit a delivery lands in: the highest unit where the actor may
    deliver (a token's unit, or the mail room's)."""
    grants = sorted(
        (g for g in access.grants if Perm.INBOX_UPLOAD in g.role.permissions),
        key=lambda g: (len(g.unit_path), g.unit_path),
    )
    return grants[0].unit_id if grants else None


def _under(paths: list[str]) -> Q:
    return reduce(or_, (Q(unit__path__under=p) for p in paths), Q(pk__in=[]))


def own_q(access: Access, user_id: object) -> Q:
    """Batches the actor delivered itself, while it may still deliver."""
    if not access.can(Perm.INBOX_UPLOAD):
        return Q(pk__in=[])
    return Q(provider_id=user_id)


def incoming_q(access: Access) -> Q:
    """Batches delivered into the units where the actor works the mail room."""
    return _under(access.unit_paths_with(Perm.INBOX_PROCESS))


def stapel_q(access: Access, user_id: object) -> Q:
    """Every batch the actor may see: its own deliveries and its mail room's."""
    return own_q(access, user_id) | incoming_q(access)


# --- triage (Zuordnung): documents the pipeline could not file with confidence -------------


def sorts_post(access: Access, tenant: Mandant) -> bool:
    """Who works the triage queue: the mail room, and caseworkers for the documents handed
    to their teams."""
    return has_inbox(tenant.kind) and (
        access.can(Perm.INBOX_PROCESS) or access.can(Perm.RECORDS_EDIT)
    )


def klaerung_q(access: Access) -> Q:
    """Documents waiting in the units where the actor works the mail room or edits Akten
    (a document handed to a team lands in that team's queue)."""
    paths = access.unit_paths_with(Perm.INBOX_PROCESS) + access.unit_paths_with(Perm.RECORDS_EDIT)
    return _under(sorted(set(paths)))


def configures(access: Access, tenant: Mandant) -> bool:
    """Who sets the pipeline's rules: the Mandant's administration."""
    return has_inbox(tenant.kind) and access.can(Perm.TENANCY_MANAGE)


# --- FIT-Connect: submissions of other OZG portals --------------------------------------------


def fitconnect_q(access: Access, tenant: Mandant) -> Q:
    """FIT-Connect submissions the actor may see: the administration all of the Mandant's
    (it sets the destinations up), the mail room those arriving in its units."""
    if configures(access, tenant):
        return Q()
    if not processes(access, tenant):
        return Q(pk__in=[])
    return reduce(
        or_,
        (Q(ziel__unit__path__under=p) for p in access.unit_paths_with(Perm.INBOX_PROCESS)),
        Q(pk__in=[]),
    )


# --- Rückscan: paper files scanned in bulk ------------------------------------------------


def plans_rueckscan(access: Access, tenant: Mandant) -> bool:
    """Who prints Deckblätter and follows the rollout per Standort: the mail room and the
    Mandant's administration. Which Akten: ``rueckscan.selectors.printable`` (the mail
    room every Akte that is not restricted, as it files into them; the administration
    those it may read)."""
    return has_inbox(tenant.kind) and (
        access.can(Perm.INBOX_PROCESS) or access.can(Perm.TENANCY_MANAGE)
    )


def migrates(access: Access, tenant: Mandant) -> bool:
    """Who takes over the data of the previous specialist software: the Mandant's
    administration (it decides which units the Akten land in)."""
    return configures(access, tenant)
