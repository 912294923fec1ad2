"""Returned mail (Rückläufer): a letter koffer sent that the Post brought back („Empfänger
unbekannt“, „Annahme verweigert“ …) and the scan provider scanned with the day's post.

The Posteingang recognises it (the letter's reply code names the letter, and the
Lieferschein, the Post's sticker or the mail room says it came back) and files the scan
into the letter's Akte; the app that sends letters (the Postausgang) registers here in its
``AppConfig.ready()`` what then happens to the letter. So neither app imports the other,
and the E-Akte knows neither.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from koffer.records.models import Dokument

NOBODY = (
    "Rückläufer werden hier nicht verarbeitet: kein Postausgang ist eingerichtet. "
    "Bitte legen Sie den Scan von Hand ab."
)


@dataclass(frozen=True)
class Rueckpost:
    """A letter came back: which one, why, and the scan filed in its Akte."""

    tenant_id: uuid.UUID
    brief_id: uuid.UUID
    grund: str
    dokument: Dokument  # the scanned returned mail, an incoming Dokument
    key: str  # one per scan: the same scan reported again is the same event
    at: datetime  # when it came back (the day it was scanned)


@dataclass(frozen=True)
class Empfang:
    """What the sending app does with returned mail.

    ``pruefen(tenant_id, akte_id, brief_id)``: None when the letter can take returned
    mail, else the German reason why not (unknown letter, never sent). Reads only.

    ``melden(actor=…, rueckpost=…)``: the letter marked undeliverable, inside the caller's
    transaction; True when recorded now, False when this ``key`` was recorded before."""

    pruefen: Callable[[uuid.UUID, uuid.UUID, uuid.UUID], str | None]
    melden: Callable[..., bool]


_EMPFANG: list[Empfang] = []


def register(empfang: Empfang) -> None:
    _EMPFANG[:] = [empfang]


def pruefen(tenant_id: uuid.UUID, akte_id: uuid.UUID, brief_id: uuid.UUID) -> str | None:
    """None when the letter can be marked returned, else why not (German)."""
    if not _EMPFANG:
        return NOBODY
    return _EMPFANG[0].pruefen(tenant_id, akte_id, brief_id)


def melden(*, actor: Any, rueckpost: Rueckpost) -> bool:
    """Hand the returned letter to the app that sent it (see :class:`Empfang`)."""
    if not _EMPFANG:
        raise LookupError(NOBODY)
    return _EMPFANG[0].melden(actor=actor, rueckpost=rueckpost)
