"""Every read of letters, scoped to what the actor may see: a letter is visible to whoever
may see its Akte (``records.access``); the four-eyes queue shows the letters waiting for a
second person in Akten the actor may edit, never the actor's own."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.outbox.models import Brief, BriefEreignis, Vorlage
from koffer.records import access as records_access
from koffer.records.models import Akte, Vorgang


def _visible(
    access: Access, user_id: uuid.UUID | None, perm: str = Perm.RECORDS_VIEW
) -> QuerySet[Brief]:
    assert access.tenant_id is not None
    return Brief.objects.for_tenant(access.tenant_id).filter(
        records_access.akten_q(access, user_id, perm, prefix="akte__")
    )


def sichtbar(access: Access, user_id: uuid.UUID | None) -> QuerySet[Brief]:
    """Every letter the actor may see."""
    return _visible(access, user_id)


def brief(access: Access, user_id: uuid.UUID | None, brief_id: uuid.UUID) -> Brief | None:
    return (
        _visible(access, user_id)
        .select_related(
            "akte__unit",
            "akte__caseworker",
            "akte__bg",
            "vorgang__typ",
            "version__vorlage",
            "empfaenger",
            "created_by",
            "freigegeben_von",
            "freigabe_angefordert_von",
            "dokument",
        )
        .filter(pk=brief_id)
        .first()
    )


def akte_briefe(akte: Akte, vorgang: Vorgang | None = None) -> QuerySet[Brief]:
    """An Akte's letters (the caller has checked the Akte), newest first, discarded drafts
    left out."""
    rows = (
        Brief.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .exclude(status=Brief.Status.VERWORFEN)
        .select_related("version__vorlage", "empfaenger", "created_by")
        .order_by("-created_at")
    )
    return rows.filter(vorgang=vorgang) if vorgang is not None else rows


def freigaben(access: Access, user_id: uuid.UUID) -> QuerySet[Brief]:
    """Letters waiting for a second person that this actor may release."""
    return (
        _visible(access, user_id, Perm.RECORDS_EDIT)
        .filter(status=Brief.Status.ZUR_FREIGABE)
        .exclude(created_by_id=user_id)
        .select_related("akte", "version__vorlage", "empfaenger", "created_by")
        .order_by("updated_at")
    )


def verlauf(brief: Brief) -> QuerySet[BriefEreignis]:
    return (
        BriefEreignis.objects.for_tenant(brief.tenant_id)
        .filter(brief=brief)
        .select_related("actor")
        .order_by("at", "recorded_at")
    )


def vorlagen_zum_schreiben(tenant_id: uuid.UUID) -> QuerySet[Vorlage]:
    """Templates a letter can be written with: active, with a published version."""
    return (
        Vorlage.objects.for_tenant(tenant_id)
        .filter(is_active=True, aktuelle_version__isnull=False)
        .select_related("aktuelle_version")
        .order_by("titel")
    )
