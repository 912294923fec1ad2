"""Who else follows a draft's answers: an app above the Formulare registers here (at
``ready()``) to learn, inside the same transaction, that a draft's answers were saved
through the Formulare's own path (a step's page, the draft API, a file removed) — the
remote expert's session (``field.experte``) moves its field versions and tells the other
screen. The Formulare import nothing of it.

``sperren`` runs before the draft's row is locked (a follower locks its own rows first,
in the same order as its own writes: no deadlock between the two paths); ``geaendert``
after the answers are saved, with the ids of the answers that changed (none: nothing is
called)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from koffer.accounts.models import User
from koffer.forms.models import Entwurf


@dataclass(frozen=True)
class Beobachter:
    key: str
    sperren: Callable[[Entwurf], None]
    geaendert: Callable[[User, Entwurf, frozenset[str]], None]


_BEOBACHTER: dict[str, Beobachter] = {}


def register(beobachter: Beobachter) -> None:
    _BEOBACHTER[beobachter.key] = beobachter


def sperren(entwurf: Entwurf) -> None:
    for b in _BEOBACHTER.values():
        b.sperren(entwurf)


def geaendert(actor: User, entwurf: Entwurf, felder: frozenset[str]) -> None:
    if not felder:
        return
    for b in _BEOBACHTER.values():
        b.geaendert(actor, entwurf, felder)
