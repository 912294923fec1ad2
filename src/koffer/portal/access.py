"""Whom a citizen may act for: the one place that answers it."""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.forms.access import verwaltet_katalog
from koffer.portal.models import Buergerkonto, Vertretung
from koffer.records import access as records_access
from koffer.records.models import Akte, Person


def gueltige_vertretungen_q() -> Q:
    """Confirmed, not refused, and not expired (``gueltig_bis`` is the last valid day,
    in Europe/Berlin)."""
    heute = timezone.localdate()
    return Q(bestaetigt_am__isnull=False, abgelehnt_am__isnull=True, person__isnull=False) & (
        Q(gueltig_bis__isnull=True) | Q(gueltig_bis__gte=heute)
    )


def personen_des_kontos(konto: Buergerkonto) -> list[Person]:
    """The linked person, then the persons represented under a confirmed, valid
    Vertretung; each once."""
    personen: list[Person] = []
    if konto.person_id is not None:
        eigene = Person.objects.for_tenant(konto.tenant_id).filter(pk=konto.person_id).first()
        if eigene is not None:
            personen.append(eigene)
    vertretene = (
        Person.objects.for_tenant(konto.tenant_id)
        .filter(
            pk__in=Vertretung.objects.for_tenant(konto.tenant_id)
            .filter(gueltige_vertretungen_q(), konto=konto)
            .values("person_id")
        )
        .order_by("family_name", "given_names", "id")
    )
    seen = {p.pk for p in personen}
    personen.extend(p for p in vertretene if p.pk not in seen)
    return personen


def gueltige_vertretung(konto: Buergerkonto, person_id: object) -> Vertretung | None:
    """The confirmed, valid Vertretung under which ``konto`` acts for the person (the
    latest confirmed), or None."""
    return (
        Vertretung.objects.for_tenant(konto.tenant_id)
        .filter(gueltige_vertretungen_q(), konto=konto, person_id=person_id)
        .order_by("-bestaetigt_am")
        .first()
    )


def darf_handeln_fuer(konto: Buergerkonto, person: Person) -> bool:
    """Whether ``konto`` may act for ``person`` (itself or by a valid Vertretung)."""
    return any(p.pk == person.pk for p in personen_des_kontos(konto))


def verwaltet_angebot(access: Access) -> bool:
    """Which forms are offered online: the Mandant's administration, who manages the
    form catalogue (``forms.access.verwaltet_katalog``)."""
    return verwaltet_katalog(access)


def verwaltet_hausbesuche(access: Access) -> bool:
    """Whether citizens may ask for home visits, and which team plans them: the
    Mandant's administration (``tenancy.manage``)."""
    return access.can(Perm.TENANCY_MANAGE)


def darf_nachfordern(access: Access, user_id: uuid.UUID | None, akte: Akte) -> bool:
    """Who may ask a citizen for documents about an online application: whoever may edit
    the Akte (``records.access.can_edit``), while it is open."""
    return akte.status == Akte.Status.OPEN and records_access.can_edit(access, user_id, akte)


def darf_nachforderung_sehen(konto: Buergerkonto, person_id: uuid.UUID) -> bool:
    """A request is the citizen's while they may act for its person."""
    return any(p.pk == person_id for p in personen_des_kontos(konto))


def verwaltet_portal(access: Access) -> bool:
    """The portal's settings of a Mandant (e-mail accounts allowed …): its
    administration, as for the online offers."""
    return access.can(Perm.TENANCY_MANAGE)


def verknuepft_konten(access: Access) -> bool:
    """The page „Portal: Bürgerkonten“: anyone who edits Akten somewhere in the Mandant;
    which person an account may be linked to, the person's Akten decide
    (``portal.konten``)."""
    return access.can(Perm.RECORDS_EDIT)
