"""The Koffer's notice on an Akte's page and API detail (``records.erweiterungen``):
„Im Koffer bei Vorname Name seit 07.12.2026, 09:14 (bis 14.12.2026)“ while it is out."""

from __future__ import annotations

import uuid

from koffer.accounts.access import Access
from koffer.field.geraete import selectors, texte
from koffer.records.models import Akte


def im_koffer(access: Access, user_id: uuid.UUID | None, akte: Akte) -> str | None:
    """Shown to whoever sees the Akte: the office must know it is out there."""
    row = selectors.ausleihe_der_akte(akte)
    return texte.im_koffer(row) if row is not None else None
