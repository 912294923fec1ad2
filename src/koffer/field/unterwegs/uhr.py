"""The office's clock as this Koffer knows it. Every answer of the office carries a
``Date`` header; the difference to the laptop's clock is kept (:func:`beobachten`), and
so is the latest office time seen. Decisions that must not depend on a laptop clock that
may have been turned back (a checkout's expiry) use :func:`buero_jetzt`: the laptop's
time corrected by the last known offset, and never earlier than the office time already
seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from django.utils import timezone

from koffer.field.unterwegs import vermerke

# A laptop off by more than this is warned about on the Koffer's page.
SCHWELLE = timedelta(minutes=5)
# The Date header counts whole seconds: smaller changes of the offset are not written.
GENAUIGKEIT = timedelta(seconds=2)


def beobachten(date_header: str | None, *, lokal: datetime | None = None) -> None:
    """Note the office's time from an answer's ``Date`` header (ignored when missing or
    unreadable)."""
    if not date_header:
        return
    try:
        buero = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return
    if buero.tzinfo is None:
        buero = buero.replace(tzinfo=UTC)
    lokal = lokal or timezone.now()
    offset = buero - lokal
    alt = vermerke.lesen().get("uhr") or {}
    bisher = _zeit(alt.get("buero"))
    if (
        "abweichung" in alt
        and abs(timedelta(seconds=float(alt["abweichung"])) - offset) < GENAUIGKEIT
        and bisher is not None
        and buero - bisher < timedelta(minutes=1)
    ):
        return
    spaetestes = max(buero, bisher) if bisher is not None else buero
    vermerke.setzen(
        uhr={
            "abweichung": offset.total_seconds(),
            "gemessen": lokal.isoformat(),
            "buero": spaetestes.isoformat(),
        }
    )


def abweichung() -> timedelta | None:
    """Office time minus laptop time at the last answer; None before any answer."""
    uhr = vermerke.lesen().get("uhr") or {}
    if "abweichung" not in uhr:
        return None
    return timedelta(seconds=float(uhr["abweichung"]))


def buero_jetzt() -> datetime:
    """Now on the office's clock: the laptop's time plus the last known offset, at least
    the latest office time already seen (a clock turned back gains nothing)."""
    jetzt = timezone.now()
    uhr = vermerke.lesen().get("uhr") or {}
    if "abweichung" not in uhr:
        return jetzt
    geschaetzt = jetzt + timedelta(seconds=float(uhr["abweichung"]))
    gesehen = _zeit(uhr.get("buero"))
    return max(geschaetzt, gesehen) if gesehen is not None else geschaetzt


def warnung() -> str:
    """„Die Uhr dieses Laptops geht 3 Tage nach.“ when it is off by more than
    :data:`SCHWELLE`, else empty."""
    offset = abweichung()
    if offset is None or abs(offset) <= SCHWELLE:
        return ""
    richtung = "nach" if offset > timedelta(0) else "vor"
    return (
        f"Die Uhr dieses Laptops geht {dauer(abs(offset))} {richtung}. Bitte stellen Sie"
        " die Uhrzeit richtig; Fristen und das Ende der Ausleihen richten sich nach der"
        " Uhr des Büros."
    )


def dauer(wert: timedelta) -> str:
    """A duration as people say it: „3 Tage“, „5 Stunden“, „12 Minuten“ (rounded)."""
    minuten = round(wert.total_seconds() / 60)
    if minuten >= 36 * 60:
        n, einheit = round(minuten / (24 * 60)), ("Tag", "Tage")
    elif minuten >= 90:
        n, einheit = round(minuten / 60), ("Stunde", "Stunden")
    else:
        n, einheit = minuten, ("Minute", "Minuten")
    return f"{n} {einheit[0] if n == 1 else einheit[1]}"


def _zeit(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
