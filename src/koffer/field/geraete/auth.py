"""Device authentication: a Koffer sends ``Authorization: Bearer kg_…``, the token it got
when it was paired. The request then carries ``request.geraet``, ``request.tenant``,
``request.user`` (the Koffer's field worker) and ``request.access`` (what a browser
session of that person would have), so every rule and service answers as for them.

A revoked Koffer is refused with 401 ``koffer_gesperrt`` and ``loeschen: true``: the
Koffer wipes its local data (``GeraetAuth(gesperrt_erlaubt=True)`` only where it reports
that it did). A token no Koffer holds is refused with 401 ``invalid_token``; a bearer token
of another kind (an API key ``kof_…``) is left to the other authentications.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from koffer.accounts.access import Access
from koffer.api.auth import INVALID_TOKEN
from koffer.api.problems import ApiProblem
from koffer.field.errors import Gesperrt
from koffer.field.geraete import schluessel
from koffer.field.models import Geraet

KONTAKT_TAKT = timedelta(minutes=1)  # letzter_kontakt is written at most this often


def invalid_token() -> ApiProblem:
    return ApiProblem(
        401,
        "invalid_token",
        "Koffer nicht bekannt",
        "Diesen Koffer-Schlüssel kennt das Büro nicht (mehr). Bitte koppeln Sie den Koffer "
        "neu: unter „Mein Koffer“ gibt es einen neuen Kopplungscode.",
        headers=INVALID_TOKEN,
    )


def gesperrt() -> Gesperrt:
    return Gesperrt(
        "koffer_gesperrt",
        "Dieser Koffer ist gesperrt. Seine Daten werden jetzt auf dem Gerät gelöscht.",
    )


class GeraetAuth(HttpBearer):
    """A paired Koffer's bearer token (``kg_…``)."""

    def __init__(self, *, gesperrt_erlaubt: bool = False) -> None:
        super().__init__()
        self.gesperrt_erlaubt = gesperrt_erlaubt

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token.startswith(schluessel.TOKEN_PREFIX):
            return None
        wanted = schluessel.digest(token)
        geraet = (
            Geraet.objects.unscoped()
            .select_related("user", "tenant")
            .filter(token_hash=wanted)
            .first()
        )
        # Raised, not returned: a client that sent a Koffer token meant that token, so a
        # session beside it does not count.
        if geraet is None or not schluessel.gleich(geraet.token_hash, wanted):
            raise invalid_token()
        if not geraet.user.is_active or not geraet.tenant.is_active:
            raise invalid_token()
        now = timezone.now()
        if geraet.letzter_kontakt is None or now - geraet.letzter_kontakt >= KONTAKT_TAKT:
            Geraet.objects.unscoped().filter(pk=geraet.pk).update(letzter_kontakt=now)
            geraet.letzter_kontakt = now
        if geraet.gesperrt_am is not None and not self.gesperrt_erlaubt:
            raise gesperrt()
        request.user = geraet.user
        request.tenant = geraet.tenant  # type: ignore[attr-defined]
        request.access = Access.for_user(geraet.user_id, geraet.tenant_id)  # type: ignore[attr-defined]
        request.geraet = geraet  # type: ignore[attr-defined]
        return geraet
