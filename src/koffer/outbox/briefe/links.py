"""The links the Postausgang puts on an Akte's and a Vorgang's page
(``records.erweiterungen``)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.urls import reverse

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.outbox import access
from koffer.records import access as records_access
from koffer.records.models import Akte, Vorgang


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
