"""The link the portal puts on a Vorgang's page (``records.erweiterungen``): the
messages with the citizen, for whoever may edit the Akte."""

from __future__ import annotations

import uuid

from django.urls import reverse

from koffer.accounts.access import Access
from koffer.records import access as records_access
from koffer.records.models import Akte, Vorgang


def nachrichten(
    grants: Access, user_id: uuid.UUID | None, akte: Akte, vorgang: Vorgang | None
) -> str | None:
    if vorgang is None or not records_access.can_edit(grants, user_id, akte):
        return None
    return reverse("portal:nachrichten_verwaltung", args=[vorgang.pk])
