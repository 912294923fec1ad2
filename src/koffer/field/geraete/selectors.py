"""Every read of the device registry, already scoped to what the actor may see
(``field.access``). A checkout counts as open while it is not returned and its ``bis`` has
not passed: expiry is this time filter, no job ends it (pretix's way with holds)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.field import access as rules
from koffer.field.models import Ausleihe, Geraet
from koffer.records.models import Akte


def offen_q(now: datetime | None = None, prefix: str = "") -> Q:
    """Condition on Ausleihe (or, with ``prefix``, on a model pointing to it): open now."""
    now = now or timezone.now()
    return Q(**{f"{prefix}zurueck_am__isnull": True, f"{prefix}bis__gt": now})


def offene_ausleihen(geraet: Geraet) -> QuerySet[Ausleihe]:
    """The Koffer's checkouts that are open now (not returned, not expired), with their
    Akte; what its checkout package carries."""
    return (
        Ausleihe.objects.for_tenant(geraet.tenant_id)
        .filter(offen_q(), geraet=geraet)
        .select_related("akte", "user")
        .order_by("akte__aktenzeichen")
    )


def ausleihe_der_akte(akte: Akte) -> Ausleihe | None:
    """The Akte's open checkout, with its Koffer and field worker, or None."""
    return (
        Ausleihe.objects.for_tenant(akte.tenant_id)
        .filter(offen_q(), akte_id=akte.pk)
        .select_related("geraet", "user")
        .first()
    )


def _mit_zahlen(qs: QuerySet[Geraet]) -> QuerySet[Geraet]:
    return qs.select_related("user").annotate(
        offene=Count("ausleihen", filter=offen_q(prefix="ausleihen__"))
    )


def meine_geraete(access: Access, user_id: uuid.UUID) -> QuerySet[Geraet]:
    """The actor's own Koffer, each with ``offene`` (open checkouts); one query."""
    if access.tenant_id is None or not rules.registriert(access):
        return Geraet.objects.none()
    return _mit_zahlen(
        Geraet.objects.for_tenant(access.tenant_id).filter(user_id=user_id)
    ).order_by("name", "created_at")


def alle_geraete(access: Access, user_id: uuid.UUID | None) -> QuerySet[Geraet]:
    """Every Koffer the actor sees (the administration: all of the Mandant), with their
    field worker and ``offene``; one query."""
    if access.tenant_id is None:
        return Geraet.objects.none()
    return _mit_zahlen(
        Geraet.objects.for_tenant(access.tenant_id).filter(rules.geraete_q(access, user_id))
    ).order_by("user__last_name", "user__first_name", "name")


def geraet(access: Access, user_id: uuid.UUID | None, geraet_id: uuid.UUID) -> Geraet | None:
    """One Koffer the actor sees, or None (missing and forbidden look the same)."""
    if access.tenant_id is None:
        return None
    return (
        Geraet.objects.for_tenant(access.tenant_id)
        .filter(rules.geraete_q(access, user_id), pk=geraet_id)
        .select_related("user")
        .first()
    )


def ausleihen(
    access: Access, user_id: uuid.UUID | None, *, geraet: Geraet | None = None
) -> QuerySet[Ausleihe]:
    """Open checkouts the actor sees (of one Koffer, if given), with Akte, Koffer and field
    worker; one query."""
    if access.tenant_id is None:
        return Ausleihe.objects.none()
    qs = Ausleihe.objects.for_tenant(access.tenant_id).filter(
        offen_q(), rules.ausleihen_q(access, user_id)
    )
    if geraet is not None:
        qs = qs.filter(geraet=geraet)
    return qs.select_related("akte", "geraet", "user").order_by("akte__aktenzeichen")


def ausleihe(access: Access, user_id: uuid.UUID | None, ausleihe_id: uuid.UUID) -> Ausleihe | None:
    """One open checkout the actor sees, or None."""
    return ausleihen(access, user_id).filter(pk=ausleihe_id).first()


def akten_zum_mitnehmen(
    access: Access, user_id: uuid.UUID | None, ids: list[uuid.UUID]
) -> list[Akte]:
    """The Akten of ``ids`` the actor may take along (others are left out: the caller
    answers 404 for them, missing and forbidden alike); one query."""
    if access.tenant_id is None:
        return []
    return list(
        Akte.objects.for_tenant(access.tenant_id)
        .filter(rules.akten_zum_mitnehmen_q(access, user_id), pk__in=ids)
        .order_by("aktenzeichen")
    )


def akten_nach_zeichen(
    access: Access, user_id: uuid.UUID | None, zeichen: list[str]
) -> dict[str, Akte]:
    """Aktenzeichen → Akte for those the actor may take along; one query."""
    if access.tenant_id is None or not zeichen:
        return {}
    rows = Akte.objects.for_tenant(access.tenant_id).filter(
        rules.akten_zum_mitnehmen_q(access, user_id), aktenzeichen__in=zeichen
    )
    return {row.aktenzeichen: row for row in rows}


SUCHE_MAX = 20


def akten_suchen(access: Access, user_id: uuid.UUID | None, text: str) -> list[Akte]:
    """Up to 20 Akten the actor may take along whose Aktenzeichen or title contains
    ``text`` (at least 2 characters); one query."""
    text = text.strip()
    if access.tenant_id is None or len(text) < 2:
        return []
    return list(
        Akte.objects.for_tenant(access.tenant_id)
        .filter(rules.akten_zum_mitnehmen_q(access, user_id))
        .filter(Q(aktenzeichen__icontains=text) | Q(title__icontains=text))
        .order_by("aktenzeichen")[:SUCHE_MAX]
    )
