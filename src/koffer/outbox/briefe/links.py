"""The links the Postausgang puts on an Akte's, a Vorgang's and a Dokument's page
(``records.erweiterungen``)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.outbox import access
from koffer.records import access as records_access
from koffer.records.models import Akte, Dokument, Vorgang


def briefe(
    grants: Access, user_id: uuid.UUID | None, akte: Akte, vorgang: Vorgang | None
) -> str | None:
    if not grants.can(Perm.OUTBOX_SEND) or not records_access.can_view(grants, user_id, akte):
        return None
    url = reverse("outbox:akte_briefe", args=[akte.pk])
    return f"{url}?{urlencode({'vorgang': vorgang.pk})}" if vorgang is not None else url


def schreiben(
    grants: Access, user_id: uuid.UUID | None, akte: Akte, vorgang: Vorgang | None
) -> str | None:
    if akte.status != Akte.Status.OPEN or not access.can_write_in(grants, user_id, akte):
        return None
    url = reverse("outbox:brief_neu", args=[akte.pk])
    return f"{url}?{urlencode({'vorgang': vorgang.pk})}" if vorgang is not None else url


def im_koffer_drucken(grants: Access, user_id: uuid.UUID | None, dokument: Dokument) -> str | None:
    """„Im Koffer drucken“ on a filed PDF's page on a Koffer (``lokaldruck``: the page with
    the Koffer's printer), for whoever may print in its Akte."""
    if settings.KOFFER_MODE != "koffer" or dokument.status != Dokument.Status.ACTIVE:
        return None
    version = dokument.current_version
    if version is None or not (version.pdf_sha256 or version.mime_type == "application/pdf"):
        return None
    if not access.writes(grants, dokument.tenant) or not access.can_write_in(
        grants, user_id, dokument.akte
    ):
        return None
    return reverse("outbox:dokument_drucken", args=[dokument.pk])
