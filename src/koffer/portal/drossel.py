"""Rate limits of the portal: how often a citizen (or a client address) may do something
costly or abusable within a window.

The staff sign-in's lock-out (``accounts.lockout``) counts *failures* in the shared
``LoginFailure`` table, and its client-address limit counts every row of an address:
rows of portal actions there would throttle the staff sign-in of a whole office behind
one NAT address. So the portal counts in its own table (``Drosselung``, per Mandant), the
same way: rows per key within a window, read from settings at call time
(``KOFFER_PORTAL_LIMITS``: name -> (requests, seconds), 0 switches one off), rows older
than the longest window deleted as new ones arrive. What counts:

- ``email_adresse`` / ``email_client``: mails sent by registration or "send the link
  again", per address typed and per client address (a known and an unknown address
  count alike, so the limit tells nothing about accounts);
- ``upload``: files uploaded into applications, per account;
- ``einreichen``: submissions that passed the check (the receipt is typeset), per account;
- ``acs_client``: SAML answers posted to the ACS, per client address.

The check and the count are one step under a lock per counted key, so that a burst of
parallel requests at the limit lets exactly as many pass as the limit leaves (issue 19):
on PostgreSQL a transaction-level advisory lock per (Mandant, key), taken in a fixed
order before the count is read (rows of the table itself cannot be locked before the
first request of a window wrote one); on SQLite every write transaction begins
``IMMEDIATE`` (settings), so the transaction that reads the count already holds the
database's write lock. A refusal is
:class:`ZuVieleVersuche` with the seconds until the oldest counted request leaves the
window (``Retry-After``).
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from koffer.portal.errors import ZuVieleVersuche
from koffer.portal.models import Drosselung

MELDUNGEN: dict[str, str] = {
    "email_adresse": "Für diese E-Mail-Adresse wurden gerade zu viele E-Mails angefordert.",
    "email_client": "Von Ihrem Anschluss wurden gerade zu viele E-Mails angefordert.",
    "upload": "Sie haben in der letzten Stunde zu viele Dateien hochgeladen.",
    "einreichen": "Sie haben in der letzten Stunde zu viele Anträge abgesendet.",
    "acs_client": "Von Ihrem Anschluss kamen gerade zu viele Anmeldungen.",
}


def _grenze(art: str) -> tuple[int, int]:
    anzahl, sekunden = settings.KOFFER_PORTAL_LIMITS[art]
    return int(anzahl), int(sekunden)


def schluessel(art: str, wert: str) -> str:
    """The key ``wert`` (an address, an account id) counts under; hashed, so that no
    address is kept in clear."""
    return f"{art}:" + hashlib.sha256(wert.strip().casefold().encode()).hexdigest()[:64]


def _warten(text: str, sekunden: int) -> str:
    minuten = max(1, math.ceil(sekunden / 60))
    einheit = "Minute" if minuten == 1 else "Minuten"
    return f"{text} Bitte versuchen Sie es in {minuten} {einheit} erneut."


def zaehlen(
    *,
    tenant_id: uuid.UUID,
    grenzen: Sequence[tuple[str, str]],
    anzahl: int = 1,
    now: datetime | None = None,
) -> None:
    """Count ``anzahl`` requests against each ``(art, wert)`` of ``grenzen`` (an empty
    ``wert`` counts nothing), or refuse them all with :class:`ZuVieleVersuche` when one
    of them would exceed its limit; a refused request is not counted."""
    now = now or timezone.now()
    aktiv: list[tuple[str, str, int, int]] = []
    for art, wert in grenzen:
        limit, sekunden = _grenze(art)
        if not limit or not wert:
            continue
        aktiv.append((art, schluessel(art, wert), limit, sekunden))
    if not aktiv:
        return
    with transaction.atomic():
        _sperren(tenant_id, sorted({key for _, key, _, _ in aktiv}))
        _pruefen(tenant_id, aktiv, anzahl, now)
        laengstes = max(s for _, s in settings.KOFFER_PORTAL_LIMITS.values())
        Drosselung.objects.for_tenant(tenant_id).filter(
            at__lt=now - timedelta(seconds=laengstes)
        ).delete()
        Drosselung.objects.bulk_create(
            [
                Drosselung(tenant_id=tenant_id, schluessel=key, at=now)
                for _, key, _, _ in aktiv
                for _ in range(anzahl)
            ]
        )


def _sperren(tenant_id: uuid.UUID, keys: list[str]) -> None:
    """Hold each key's lock until the transaction ends (PostgreSQL; sorted, so two
    requests counting the same keys never wait for each other crosswise). SQLite's
    ``BEGIN IMMEDIATE`` already serialises every writing transaction."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in keys:
            digest = hashlib.sha256(f"portal.drossel:{tenant_id}:{key}".encode()).digest()
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
            )


def _pruefen(
    tenant_id: uuid.UUID, aktiv: list[tuple[str, str, int, int]], anzahl: int, now: datetime
) -> None:
    for art, key, limit, sekunden in aktiv:
        seit = now - timedelta(seconds=sekunden)
        zeiten = list(
            Drosselung.objects.for_tenant(tenant_id)
            .filter(schluessel=key, at__gt=seit)
            .order_by("-at")
            .values_list("at", flat=True)[:limit]
        )
        if len(zeiten) + anzahl > limit:
            # Allowed again once the counted requests from index ``limit - anzahl`` on
            # (newest first) have left the window; more than the limit at once: a window.
            if anzahl > limit:
                warten = sekunden
            else:
                frei_ab = zeiten[limit - anzahl] + timedelta(seconds=sekunden)
                warten = max(1, math.ceil((frei_ab - now).total_seconds()))
            raise ZuVieleVersuche(f"zu_viele_{art}", _warten(MELDUNGEN[art], warten), warten)
