"""The link „Formular ausfüllen“ on an Akte's and a Vorgang's page
(``records.erweiterungen``), for whoever may fill forms in that Akte."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.urls import reverse

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.forms import access as rules
from koffer.records.models import Akte, Vorgang
from koffer.tenancy.models import Mandant


def fuellt_formulare(access: Access, tenant: Mandant | None = None) -> bool:
    """The pages' guard: may fill forms somewhere (each Akte asks ``fuellt_aus``)."""
    return access.can(Perm.RECORDS_EDIT)


def ausfuellen(
    grants: Access, user_id: uuid.UUID | None, akte: Akte, vorgang: Vorgang | None
) -> str | None:
    if akte.status != Akte.Status.OPEN or not rules.fuellt_aus(grants, user_id, akte):
        return None
    url = reverse("forms:akte_formulare", args=[akte.pk])
    return f"{url}?{urlencode({'vorgang': vorgang.pk})}" if vorgang is not None else url
