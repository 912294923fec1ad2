"""The single answer to "may this actor see / do this" in the Postausgang, for pages, API
and services alike.

- Writing a letter: ``outbox.send`` and the right to edit its Akte (``records.access``).
- Releasing a letter that needs four eyes: ``outbox.send``, the right to edit the Akte,
  and not being the person who wrote it.
- Templates, letterheads and text blocks: the Mandant's administration (``tenancy.manage``);
  reading templates also whoever writes letters.
- Print providers' machine accounts (``outbox.fetch``) fetch batches and report statuses;
  they never see an Akte.
"""

from __future__ import annotations

import uuid

from django.db.models import Q

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.records import access as records_access
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant

# Authorities that write letters to citizens: a Kreis, a Stadt, a Jobcenter.
OUTBOX_KINDS = frozenset({Mandant.Kind.KREIS, Mandant.Kind.GEMEINDE, Mandant.Kind.JOBCENTER})


def has_outbox(kind: str) -> bool:
    """Which kinds of Mandant the Postausgang exists for (navigation and views alike)."""
    return kind in OUTBOX_KINDS


def writes(access: Access, tenant: Mandant) -> bool:
    return access.can(Perm.OUTBOX_SEND) and has_outbox(tenant.kind)


def manages_templates(access: Access, tenant: Mandant) -> bool:
    return access.can(Perm.TENANCY_MANAGE) and has_outbox(tenant.kind)


def reads_templates(access: Access, tenant: Mandant) -> bool:
    """Who reads the templates (the API): whoever writes letters or manages templates."""
    return writes(access, tenant) or manages_templates(access, tenant)


def fetches(access: Access, tenant: Mandant) -> bool:
    return access.can(Perm.OUTBOX_FETCH) and has_outbox(tenant.kind)


def can_write_in(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    """May write (and release, where one person suffices) a letter in this Akte."""
    return access.can(Perm.OUTBOX_SEND) and records_access.can_edit(access, user_id, akte)


def can_release(
    access: Access, user_id: uuid.UUID | None, akte: Akte, *, author_id: uuid.UUID
) -> bool:
    """May give the second release of a four-eyes letter: anyone who could write it, but
    not its author."""
    return user_id is not None and user_id != author_id and can_write_in(access, user_id, akte)


# --- Versand ----------------------------------------------------------------------------------
# The mail-room page „Postausgang: Versand“ (batches, alarms, a letter's timeline) is for
# the mail room (``inbox.process``) and for those who send letters (``outbox.send``): both
# answer a caseworker's "where is my letter". Batches carry no personal data and are
# shown Mandant-wide, also to the administration that sets up the providers; letters
# only from Akten in units where the user holds ``inbox.process`` or ``outbox.send``.
DISPATCH_PERMS = (Perm.INBOX_PROCESS, Perm.OUTBOX_SEND)


def watches_dispatch(access: Access, tenant: Mandant) -> bool:
    watches = any(access.can(p) for p in (*DISPATCH_PERMS, Perm.TENANCY_MANAGE))
    return watches and has_outbox(tenant.kind)


def configures_dispatch(access: Access, tenant: Mandant) -> bool:
    """Providers, cut-off times and alarm thresholds: the Mandant's administration."""
    return access.can(Perm.TENANCY_MANAGE) and has_outbox(tenant.kind)


def handles_drop_folders(access: Access, tenant: Mandant) -> bool:
    """Reading a refused file of a provider's drop folder again: the mail room
    (``inbox.process``) or the administration."""
    handles = access.can(Perm.INBOX_PROCESS) or access.can(Perm.TENANCY_MANAGE)
    return handles and has_outbox(tenant.kind)


def dispatch_letters_q(access: Access) -> Q:
    """Letters whose Akte lies in a unit where the user watches dispatch (none: nothing)."""
    paths = {path for p in DISPATCH_PERMS for path in access.unit_paths_with(p)}
    q = Q(pk__in=[])
    for path in sorted(paths):
        q |= Q(akte__unit_path__startswith=path)
    return q


def reads_letter_status(access: Access, tenant: Mandant) -> bool:
    """The letter's status page at all: who reads Akten or watches dispatch (which
    letter: :func:`sees_letter_status`)."""
    return has_outbox(tenant.kind) and (
        access.can(Perm.RECORDS_VIEW) or any(access.can(p) for p in DISPATCH_PERMS)
    )


def sees_letter_status(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    """A letter's timeline: whoever may read its Akte, and the mail room of its unit."""
    if records_access.can_view(access, user_id, akte):
        return True
    return any(access.reaches(p, akte.unit_path) for p in DISPATCH_PERMS)


# --- Lokaldruck -------------------------------------------------------------------------------
# Printers are set up by the same administration as the print providers
# (:func:`configures_dispatch`). A printer of a unit serves the people who send letters in
# that unit, in the units below it and above it (a team leader prints on the team's
# printer); a printer without a unit serves the whole Mandant.


def printers_q(access: Access) -> Q:
    """Printers the user may print on (apart from being active)."""
    q = Q(unit__isnull=True)
    for path in sorted(set(access.unit_paths_with(Perm.OUTBOX_SEND))):
        ids = [part for part in path.split("/") if part]
        ancestors = ["/" + "/".join(ids[:n]) + "/" for n in range(1, len(ids))]
        q |= Q(unit__path__startswith=path) | Q(unit__path__in=ancestors)
    return q
