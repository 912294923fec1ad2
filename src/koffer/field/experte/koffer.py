"""The expert session from a Koffer: the session is hosted by the office (DESIGN), so a
draft the field worker began offline must be in the office before anyone can be invited
to it. The rule: the Koffer asks the office for its draft (same id: a draft made on the
Koffer keeps its UUIDv7 when the sync brings it to the office); if the office has it
not yet, the Koffer syncs first („Jetzt abgleichen“, the usual push), then the field
worker is sent to the office's invitation page for that draft. From then on the form is
filled in the office's copy (with the expert); the Koffer's copy stays as it was sent
(a draft is sent once, as a new row; later offline edits of it are not sent)."""

from __future__ import annotations

from dataclasses import dataclass

from koffer.field.errors import Conflict
from koffer.field.paket import abholung
from koffer.field.unterwegs import ablauf
from koffer.forms.models import Entwurf

#: Seconds the Koffer waits for the office's answer.
TIMEOUT = 5.0


@dataclass(frozen=True)
class ImBuero:
    """The office has the draft: where the field worker goes (an absolute URL)."""

    url: str
    laeuft: bool  # a session is already open on it


def im_buero(entwurf: Entwurf) -> ImBuero | None:
    """Ask the office for ``entwurf``: where to invite (or the open session), or ``None``
    when the office has it not yet (sync first). Raises :class:`Conflict` with the German
    reason when the office cannot be asked (not paired, not reachable)."""
    if entwurf.status != Entwurf.Status.OFFEN:
        raise Conflict("entwurf_not_open", f"Der Entwurf ist {entwurf.get_status_display()}.")
    try:
        buero = ablauf.zugang()
    except ablauf.Fehlgeschlagen as exc:
        raise Conflict("nicht_gekoppelt", exc.message) from None
    try:
        antwort = abholung.json_anfrage(
            buero, f"/koffer/experte/entwuerfe/{entwurf.pk}", timeout=TIMEOUT
        )
    except abholung.KofferGesperrt as exc:
        raise Conflict("koffer_gesperrt", str(exc)) from None
    except abholung.AbholungFehlgeschlagen as exc:
        if exc.status == 404:
            return None
        raise Conflict("buero_nicht_erreichbar", str(exc)) from None
    pfad = str(antwort.get("sitzung_url") or antwort.get("einladen") or "")
    if not pfad.startswith("/"):
        raise Conflict("buero_antwort", "Das Büro hat unerwartet geantwortet.")
    return ImBuero(url=buero.url.rstrip("/") + pfad, laeuft=bool(antwort.get("sitzung")))
