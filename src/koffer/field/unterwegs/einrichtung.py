"""First start of a fresh Koffer („Koffer einrichten“): a laptop with no account yet is
paired by the office's address and a pairing code, then pulls its first package, which
brings the field worker's account (with the office password and TOTP). Only then can
anyone sign in, so this runs without a signed-in user:

- open only in Koffer mode while no account exists on this laptop and it is not paired,
  or while its first pull (started here) has not brought the account yet; afterwards the
  page is gone (404);
- wrong codes are counted per client address like sign-ins (``LoginFailure``) and, after
  ``VERSUCHE`` within ``FENSTER``, refused before the office is asked (the office limits
  them too);
- the first pull cannot be a job of ``koffer.jobs``: a job belongs to a Mandant and a
  person, and both arrive with the pull. It runs in a thread of the web process, its
  steps noted in ``vermerke`` (``einrichtung``: no personal data), polled by the page; a
  failed pull is repeated from the page and resumes its part files;
- once the pull has brought the audit chain, the set-up is recorded in it
  (``field.koffer.eingerichtet``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

from koffer.accounts.models import LoginFailure, User
from koffer.audit import services as audit
from koffer.field.unterwegs import ablauf, selectors, vermerke

AKTION = "field.koffer.eingerichtet"
VERSUCHE = 10
FENSTER = timedelta(minutes=15)

LAEUFT = "laeuft"
FERTIG = "fertig"
FEHLER = "fehler"


class ZuVieleVersuche(ablauf.Fehlgeschlagen):
    """Too many wrong pairing codes from this address."""


def stand() -> dict[str, object]:
    """The set-up's notes: ``stand`` (laeuft, fertig, fehler), ``text``, ``done``,
    ``total``, ``fehler``; empty before the pairing."""
    notiz = vermerke.lesen().get("einrichtung")
    return notiz if isinstance(notiz, dict) else {}


def offen() -> bool:
    """Whether the set-up page exists: Koffer mode, no account on this laptop, and not
    paired (or paired here and the first pull has not brought the account yet)."""
    if not ablauf.im_koffer() or User.objects.exists():
        return False
    return not ablauf.gekoppelt() or bool(stand())


def _versuche_key(client_ip: str) -> str:
    return f"einrichten:{client_ip}"


def koppeln(*, url: str, code: str, client_ip: str) -> None:
    """Pair with the office; a wrong code counts against the client address."""
    key = _versuche_key(client_ip)
    jetzt = timezone.now()
    if LoginFailure.objects.filter(key=key, at__gt=jetzt - FENSTER)[:VERSUCHE].count() >= VERSUCHE:
        raise ZuVieleVersuche(
            "Zu viele falsche Kopplungscodes von dieser Adresse. Bitte warten Sie 15 Minuten."
        )
    try:
        ablauf.koppeln(url=url, code=code)
    except ablauf.Fehlgeschlagen:
        LoginFailure.objects.create(key=key, client_ip=client_ip, at=jetzt)
        raise
    vermerke.setzen(einrichtung={"stand": LAEUFT, "text": "Gekoppelt; das Abholen beginnt …"})


def abholen() -> None:
    """The first pull, noted step by step; the end (or the German error) noted too. Once
    it brought the account and the audit chain, the set-up is audited."""
    notiz: dict[str, object] = {"stand": LAEUFT, "text": "Abholen beginnt …", "done": 0}
    vermerke.setzen(einrichtung=notiz)

    def schritt(text: str, done: int, total: int) -> None:
        notiz.update(text=text, done=done, total=total)
        vermerke.setzen(einrichtung=notiz)

    try:
        bericht = ablauf.abholen(buero=ablauf.zugang(), melden=lambda _: None, schritt=schritt)
    except ablauf.Fehlgeschlagen as exc:
        vermerke.setzen(einrichtung={**notiz, "stand": FEHLER, "fehler": exc.message})
        return
    if bericht.abgelehnt:
        vermerke.setzen(
            einrichtung={
                **notiz,
                "stand": FEHLER,
                "fehler": f"{len(bericht.abgelehnt)} Dateien abgelehnt; bitte erneut abholen.",
            }
        )
        return
    geraet = selectors.dieser_koffer()
    if geraet is not None:
        audit.record(
            actor=None,
            tenant_id=geraet.tenant_id,
            action=AKTION,
            obj=geraet,
            changes={"buero": settings.KOFFER_BUERO_URL or ablauf.zugang().url},
        )
    vermerke.setzen(einrichtung={**notiz, "stand": FERTIG, "text": " ".join(bericht.zeilen)})


def _im_hintergrund() -> None:
    try:
        abholen()
    finally:
        connections.close_all()


def _thread_starten() -> threading.Thread:
    thread = threading.Thread(target=_im_hintergrund, name="koffer-einrichtung", daemon=True)
    thread.start()
    return thread


# How the pull is started: a thread of this process (tests run it in their own thread, on
# their own database connection, by replacing this).
im_hintergrund: Callable[[], threading.Thread | None] = _thread_starten
_lauf: threading.Thread | None = None
_lock = threading.Lock()


def starten() -> bool:
    """Start the first pull; False when one runs already in this process."""
    global _lauf
    with _lock:
        if _lauf is not None and _lauf.is_alive():
            return False
        vermerke.setzen(einrichtung={"stand": LAEUFT, "text": "Abholen beginnt …", "done": 0})
        _lauf = im_hintergrund()
    return True
