"""A POSTed step read back into answers, in the shapes ``pruefen`` reads.

Only what the controls carry, as typed (``pruefen`` trims, reads German numbers and dates
and says what is wrong). A field left empty is absent from the result, so the page
replaces the step's answers in a draft by this dict: an emptied field is gone, and a hidden
field (not rendered, so not posted) is never answered.

Two types need the page:

- ``datei``: files come in ``request.FILES`` (name ``f-<feld>``); the page stores them and
  puts the list of ``{"blob", "name", "typ", "groesse"}`` (earlier uploads included) into
  the answers. Nothing is read here.
- ``unterschrift``: ``{"art": "papier"}``, or ``{"art": "bildschirm", "name": …}`` once the
  person has confirmed; the page adds ``bild`` (the signature's PNG blob) and ``zeit``
  before ``pruefen``. Without the confirmation the answer is ``{"art": "bildschirm",
  "name": …, "bestaetigt": False}``: shown again as typed, and refused by ``pruefen``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from koffer.forms.definition import Definition, Feld

from .namen import ANSCHRIFT, name


class _Liste(Protocol):
    def getlist(self, key: str) -> list[str]: ...


def antworten_aus_post(
    definition: Definition, schritt_id: str, post: _Liste | Mapping[str, list[str]]
) -> dict[str, Any]:
    """The answers of step ``schritt_id`` from ``post`` (a ``QueryDict`` or name → list
    of values); empty fields left out. Raises ``KeyError`` for an unknown step."""
    schritt = definition.schritt(schritt_id)
    if schritt is None:
        raise KeyError(schritt_id)
    werte = _Werte(post)
    antworten: dict[str, Any] = {}
    for feld in schritt.felder:
        if not feld.hat_wert or feld.typ == "datei":
            continue
        wert = _LESER.get(feld.typ, _einzeln)(feld, werte)
        if wert is not None:
            antworten[feld.id] = wert
    return antworten


def feld_aus_post(
    definition: Definition, feld_id: str, post: _Liste | Mapping[str, list[str]]
) -> Any:
    """One field's answer from ``post``, as :func:`antworten_aus_post` reads it for its
    step (``None``: left empty). Not for ``datei`` (the page stores files). Raises
    ``KeyError`` for an unknown field, one without a value, or a file field."""
    feld = definition.feld(feld_id)
    if feld is None or not feld.hat_wert or feld.typ == "datei" or not feld.schritt:
        raise KeyError(feld_id)
    return _LESER.get(feld.typ, _einzeln)(feld, _Werte(post))


class _Werte:
    def __init__(self, post: _Liste | Mapping[str, list[str]]) -> None:
        self.post = post

    def alle(self, schluessel: str) -> list[str]:
        if hasattr(self.post, "getlist"):
            return [w for w in self.post.getlist(schluessel) if isinstance(w, str)]
        werte = self.post.get(schluessel, [])
        if isinstance(werte, str):
            return [werte]
        return [w for w in werte if isinstance(w, str)]

    def eins(self, schluessel: str) -> str:
        """The first value as typed, '' when none or blank: a single control sends one."""
        werte = self.alle(schluessel)
        return werte[0] if werte and werte[0].strip() else ""


def _einzeln(feld: Feld, werte: _Werte) -> str | None:
    return werte.eins(name(feld.id)) or None


def _auswahl(feld: Feld, werte: _Werte) -> str | list[str] | None:
    if feld.mehrfach:
        return werte.alle(name(feld.id)) or None
    return _einzeln(feld, werte)


def _anschrift(feld: Feld, werte: _Werte) -> dict[str, str] | None:
    teile = {teil: werte.eins(name(feld.id, teil)) for teil, _, _ in ANSCHRIFT}
    return {k: v for k, v in teile.items() if v} or None


def _tabelle(feld: Feld, werte: _Werte) -> list[dict[str, Any]] | None:
    """Rows as rendered (at most ``max_zeilen``); a row with every cell empty is left out."""
    zeilen = []
    for i in range(feld.max_zeilen):
        zeile: dict[str, Any] = {}
        for spalte in feld.spalten:
            schluessel = name(feld.id, i, spalte.id)
            if spalte.typ == "auswahl" and spalte.mehrfach:
                zelle: Any = werte.alle(schluessel)
            else:
                zelle = werte.eins(schluessel)
            if zelle:
                zeile[spalte.id] = zelle
        if zeile:
            zeilen.append(zeile)
    return zeilen or None


def _unterschrift(feld: Feld, werte: _Werte) -> dict[str, Any] | None:
    art = werte.eins(name(feld.id, "art"))
    if art == "papier":
        return {"art": "papier"}
    if art != "bildschirm":
        return None
    angabe: dict[str, Any] = {"art": "bildschirm", "name": werte.eins(name(feld.id, "name"))}
    if werte.eins(name(feld.id, "bestaetigt")) != "ja":
        angabe["bestaetigt"] = False
    return angabe


_LESER = {
    "auswahl": _auswahl,
    "anschrift": _anschrift,
    "tabelle": _tabelle,
    "unterschrift": _unterschrift,
}
