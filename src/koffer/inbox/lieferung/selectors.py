"""Every read of deliveries, already limited to what the actor may see
(``inbox.access``): a provider its own batches, the mail room those of its units."""

from __future__ import annotations

import uuid

from django.db.models import Count, Prefetch, Q, QuerySet

from koffer.accounts.access import Access
from koffer.inbox import access as rules
from koffer.inbox.models import Ablehnung, Problem, Stapel, Stapeldatei
from koffer.tenancy.models import Mandant


def _listed(qs: QuerySet[Stapel]) -> QuerySet[Stapel]:
    return qs.select_related("provider").annotate(
        file_count=Count("dateien", distinct=True),
        problem_count=Count("probleme", distinct=True),
    )


def own_stapel(access: Access, user_id: object, tenant: Mandant) -> QuerySet[Stapel]:
    """The batches the actor delivered, newest first, each with its problems (prefetched
    for the batches of this Mandant only, so the prefetch needs no scope of its own)."""
    return _listed(
        Stapel.objects.for_tenant(tenant).filter(rules.own_q(access, user_id))
    ).prefetch_related(
        Prefetch("probleme", queryset=Problem.objects.unscoped().select_related("datei"))
    )


def incoming_stapel(access: Access, tenant: Mandant) -> QuerySet[Stapel]:
    """The batches delivered into the mail room's units, newest first."""
    return _listed(Stapel.objects.for_tenant(tenant).filter(rules.incoming_q(access)))


def visible_stapel(access: Access, user_id: object, tenant: Mandant) -> QuerySet[Stapel]:
    """Every batch the actor may see (own deliveries and the mail room's)."""
    return _listed(Stapel.objects.for_tenant(tenant).filter(rules.stapel_q(access, user_id)))


def stapel(access: Access, user_id: object, tenant: Mandant, pk: uuid.UUID) -> Stapel | None:
    """One batch, or None if it is unknown or not the actor's to see (both look alike)."""
    return (
        Stapel.objects.for_tenant(tenant)
        .filter(rules.stapel_q(access, user_id), pk=pk)
        .select_related("provider", "unit")
        .first()
    )


def dateien(stapel: Stapel) -> list[Stapeldatei]:
    return list(Stapeldatei.objects.for_tenant(stapel.tenant_id).filter(stapel=stapel))


def probleme(stapel: Stapel) -> list[Problem]:
    return list(
        Problem.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .select_related("datei")
        .order_by("created_at", "key")
    )


PROBLEM_STATES = (Stapel.State.MIT_PROBLEMEN, Stapel.State.QUARANTAENE)
CHECKING_STATES = (Stapel.State.ANGENOMMEN, Stapel.State.IN_PRUEFUNG)


def with_problems(access: Access, tenant: Mandant) -> QuerySet[Stapel]:
    """The mail room's batches that need a look: problems found or all in quarantine."""
    return Stapel.objects.for_tenant(tenant).filter(
        rules.incoming_q(access), Q(state__in=PROBLEM_STATES)
    )


def arriving(access: Access, tenant: Mandant) -> QuerySet[Stapel]:
    """The mail room's batches on their way in: delivered and in their check, or checked
    and still being split and recognised."""
    return Stapel.objects.for_tenant(tenant).filter(
        rules.incoming_q(access),
        Q(state__in=CHECKING_STATES)
        | Q(processing_job_id__isnull=False, processed_at__isnull=True),
    )


REFUSALS_SHOWN = 20


def own_refusals(access: Access, user_id: object, tenant: Mandant) -> list[Ablehnung]:
    """The newest drop-folder refusals of the actor's own deliveries."""
    qs = Ablehnung.objects.for_tenant(tenant).filter(rules.own_q(access, user_id))
    return list(qs.order_by("-created_at", "-pk")[:REFUSALS_SHOWN])


def incoming_refusals(access: Access, tenant: Mandant) -> list[Ablehnung]:
    """The newest drop-folder refusals of deliveries into the mail room's units."""
    qs = Ablehnung.objects.for_tenant(tenant).filter(rules.incoming_q(access))
    return list(qs.select_related("provider").order_by("-created_at", "-pk")[:REFUSALS_SHOWN])
