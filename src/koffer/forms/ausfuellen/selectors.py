"""Every read of drafts and submissions, scoped to what the actor may see
(``forms.access``): a draft by whoever may add documents to its Akte, a submission by
whoever may read it."""

from __future__ import annotations

import uuid
from typing import Any

from koffer.accounts.access import Access
from koffer.forms import access as rules
from koffer.forms.models import Einreichung, Entwurf, Formular
from koffer.records.models import Akte


def entwurf(access: Access, user_id: uuid.UUID | None, entwurf_id: uuid.UUID) -> Entwurf | None:
    assert access.tenant_id is not None
    return (
        Entwurf.objects.for_tenant(access.tenant_id)
        .filter(rules.entwuerfe_q(access, user_id), pk=entwurf_id)
        .select_related("formularversion__formular", "akte", "vorgang")
        .first()
    )


def einreichung(
    access: Access, user_id: uuid.UUID | None, einreichung_id: uuid.UUID
) -> Einreichung | None:
    assert access.tenant_id is not None
    return (
        Einreichung.objects.for_tenant(access.tenant_id)
        .filter(rules.einreichungen_q(access, user_id), pk=einreichung_id)
        .select_related("formularversion__formular", "akte", "vorgang", "dokument")
        .first()
    )


def einreichung_von(entwurf: Entwurf) -> Einreichung | None:
    """The submission of a draft (the caller has checked the draft)."""
    return (
        Einreichung.objects.for_tenant(entwurf.tenant_id)
        .filter(entwurf=entwurf)
        .select_related("formularversion__formular", "akte", "vorgang", "dokument")
        .first()
    )


def fruehere_werte(akte: Akte, formular: Formular) -> dict[str, Any]:
    """The values of this Akte's last submission of ``formular`` (any version)."""
    letzte = (
        Einreichung.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte, formularversion__formular=formular)
        .order_by("-eingereicht_am", "-pk")
        .values_list("werte", flat=True)
        .first()
    )
    return dict(letzte) if isinstance(letzte, dict) else {}
