"""Citizens' accounts and signed-in citizen clients for portal tests."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.test import Client

from koffer.portal import sitzung
from koffer.portal.models import Buergerkonto, Vertrauensniveau
from koffer.tenancy.models import Mandant

_seq = itertools.count(1)


def buergerkonto(tenant: Mandant, **fields: Any) -> Buergerkonto:
    n = next(_seq)
    values: dict[str, Any] = {
        "kennung": f"bundid-pseudonym-{n:06d}",
        "art": Buergerkonto.Art.BUNDID,
        "vertrauensniveau": Vertrauensniveau.SUBSTANTIELL,
        "family_name": "Beispiel",
        "given_names": f"Bea {n}",
        "birth_date": date(1980, 1, 1),
    }
    values.update(fields)
    return Buergerkonto.objects.create(tenant=tenant, **values)


def buerger_client(konto: Buergerkonto, niveau: str | None = None) -> Client:
    """A test client with the citizen signed in, as sitzung.anmelden leaves the session."""
    client = Client()
    session = client.session
    session[sitzung.SESSION_KONTO] = str(konto.pk)
    session[sitzung.SESSION_TENANT] = str(konto.tenant_id)
    session[sitzung.SESSION_NIVEAU] = niveau or konto.vertrauensniveau
    session.save()
    return client
