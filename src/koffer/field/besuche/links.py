"""The link „Hausbesuch planen“ on an Akte's and a Vorgang's page
(``records.erweiterungen``), for whoever may plan a visit for that Akte."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.urls import reverse

from koffer.accounts.access import Access
from koffer.field import access as rules
from koffer.records.models import Akte, Vorgang


def planen(
    grants: Access, user_id: uuid.UUID | None, akte: Akte, vorgang: Vorgang | None
) -> str | None:
    if not rules.plant_hausbesuche(grants, user_id, akte):
        return None
    url = reverse("field:besuch_planen", args=[akte.pk])
    return f"{url}?{urlencode({'vorgang': vorgang.pk})}" if vorgang is not None else url
