"""Pull and sync as one set of functions, shared by the commands (``koffer_abholen``,
``koffer_abgleichen``) and the jobs of the Koffer's page: the mode guard, the pairing
loaded, a revocation's wipe, the German result, and what the Koffer notes about the run
(``vermerke``).

A failed run can be repeated as it is: the pull is idempotent and resumes its part files,
a push waits in its payload file and goes with the same ``abgleich_id``."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from koffer import tresor
from koffer.field.paket import abholung
from koffer.field.paket.abholung import Buero, Schritt
from koffer.field.rueckgabe import abgleich
from koffer.field.unterwegs import vermerke


class Fehlgeschlagen(Exception):
    """A run that did not finish; ``message`` (German) says why and whether the next run
    continues where this one stopped."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Gesperrt(Fehlgeschlagen):
    """The office revoked this Koffer; its data was wiped and the pairing forgotten."""


@dataclass
class Bericht:
    """A finished run in German: result lines, hints (conflicts, „wird nicht
    übertragen“), and files refused (the run should be repeated). ``gemeldet``: result
    lines already reported while the run went on (a command printed them)."""

    gemeldet: list[str] = field(default_factory=list)
    zeilen: list[str] = field(default_factory=list)
    hinweise: list[str] = field(default_factory=list)
    abgelehnt: list[str] = field(default_factory=list)
    konflikte: int = 0


def im_koffer() -> bool:
    return bool(settings.KOFFER_MODE == "koffer")


def nur_im_koffer(name: str) -> str:
    """The message for a command or job outside a Koffer; empty on a Koffer."""
    if im_koffer():
        return ""
    return f"{name} läuft nur auf einem Koffer (KOFFER_MODE=koffer)."


def geloescht() -> bool:
    """Whether this Koffer crypto-erased itself after a revocation (its database gone)."""
    return im_koffer() and bool((vermerke.lesen().get("gesperrt") or {}).get("geloescht"))


def anhalten() -> str | None:
    """Why no background worker may go on here (``jobs.anhalten``): the Koffer erased
    itself, its database is gone."""
    return GELOESCHT if geloescht() else None


def gekoppelt(datei: Path | None = None) -> bool:
    return (datei or abholung.zugang_pfad()).is_file()


def zugang(*, url: str = "", datei: Path | None = None) -> Buero:
    """The office and the token of the pairing (``url`` or KOFFER_BUERO_URL overrides the
    stored address)."""
    try:
        return abholung.zugang_laden(datei, url=url or settings.KOFFER_BUERO_URL)
    except abholung.AbholungFehlgeschlagen as exc:
        raise Fehlgeschlagen(str(exc)) from None


def koppeln(*, url: str, code: str, datei: Path | None = None) -> Path:
    """Pair with the office by its one-time code; the pairing is kept in the var folder."""
    url = (url or settings.KOFFER_BUERO_URL).rstrip("/")
    if not url:
        raise Fehlgeschlagen("Bitte die Adresse des Büros nennen.")
    try:
        buero = abholung.koppeln(url=url, code=code)
    except abholung.AbholungFehlgeschlagen as exc:
        raise Fehlgeschlagen(str(exc)) from None
    pfad = abholung.zugang_speichern(buero, datei)
    vermerke.setzen(gekoppelt={"am": timezone.now().isoformat(), "buero": url}, gesperrt=None)
    return pfad


def abholen(
    *,
    buero: Buero,
    melden: Callable[[str], None],
    max_rate: float = 0.0,
    schritt: Schritt | None = None,
    datei: Path | None = None,
) -> Bericht:
    """Pull the package and its files (``koffer_abholen``, „Jetzt abholen“)."""
    try:
        ergebnis = abholung.abholen(buero=buero, melden=melden, max_rate=max_rate, schritt=schritt)
        abgleich.gesicherte_verwerfen(ergebnis.gesichert)
    except abholung.KofferGesperrt as exc:
        raise gesperrt_abwischen(buero, datei, exc) from None
    except abholung.AbholungFehlgeschlagen as exc:
        raise Fehlgeschlagen(
            f"{exc} Beim nächsten Abholen wird fortgesetzt, was schon geladen ist."
        ) from None
    blobs = ergebnis.blobs
    vermerke.setzen(
        abholung={
            "am": timezone.now().isoformat(),
            "akten": ergebnis.akten,
            "dokumente": ergebnis.dokumente,
            "dateien": blobs.geholt,
            "abgelehnt": len(blobs.abgelehnt),
        }
    )
    return Bericht(
        zeilen=[
            f"Fertig: {ergebnis.akten} Akten, {ergebnis.dokumente} Dokumente;"
            f" {blobs.geholt} Dateien geladen ({abholung.megabytes(blobs.bytes)} MB),"
            f" {blobs.vorhanden} schon vorhanden."
        ],
        abgelehnt=list(blobs.abgelehnt),
    )


def abgleichen(
    *,
    buero: Buero,
    melden: Callable[[str], None],
    zurueckgeben: bool = False,
    schritt: Schritt | None = None,
    datei: Path | None = None,
) -> Bericht:
    """Push the changes and pull again (``koffer_abgleichen``, „Jetzt abgleichen“)."""
    try:
        ergebnis = abgleich.abgleichen(
            buero=buero, melden=melden, zurueckgeben=zurueckgeben, schritt=schritt
        )
    except abholung.KofferGesperrt as exc:
        raise gesperrt_abwischen(buero, datei, exc) from None
    except abholung.AbholungFehlgeschlagen as exc:
        warten = (
            " Der Abgleich ist gespeichert und wird beim nächsten Aufruf wiederholt."
            if abgleich.offene()
            else ""
        )
        raise Fehlgeschlagen(f"{exc}{warten}") from None
    antwort = ergebnis.antwort or {}
    bericht = Bericht(hinweise=list(ergebnis.nicht_uebertragen))
    bericht.konflikte = int(antwort.get("konflikte", 0) or 0)
    if ergebnis.antwort is None:
        bericht.gemeldet.append("Nichts abzugleichen.")
    else:
        bericht.gemeldet.append(
            f"Abgeglichen: {antwort.get('uebernommen', 0)} Änderungen übernommen,"
            f" {bericht.konflikte} Konflikte, {antwort.get('neu', 0)} neue Einträge."
        )
    if bericht.konflikte:
        bericht.hinweise.insert(
            0, "Konflikte entscheidet eine Person im Büro; bis dahin gilt der Stand des Büros."
        )
    bericht.hinweise.extend(f"Hinweis: {h}" for h in antwort.get("hinweise", []))
    geholt = ergebnis.abholung
    jetzt = timezone.now().isoformat()
    if geholt is not None:
        bericht.zeilen.append(
            f"Neu geholt: {geholt.akten} Akten, {geholt.dokumente} Dokumente;"
            f" {geholt.blobs.geholt} Dateien geladen."
        )
        bericht.abgelehnt = list(geholt.blobs.abgelehnt)
        vermerke.setzen(
            abholung={
                "am": jetzt,
                "akten": geholt.akten,
                "dokumente": geholt.dokumente,
                "dateien": geholt.blobs.geholt,
                "abgelehnt": len(geholt.blobs.abgelehnt),
            }
        )
    vermerke.setzen(
        abgleich={
            "am": jetzt,
            "gesendet": ergebnis.antwort is not None,
            "uebernommen": int(antwort.get("uebernommen", 0) or 0),
            "konflikte": bericht.konflikte,
            "neu": int(antwort.get("neu", 0) or 0),
            "nicht_uebertragen": len(ergebnis.nicht_uebertragen),
        }
    )
    return bericht


GELOESCHT = "Dieser Koffer wurde gesperrt und gelöscht"


def gesperrt_abwischen(buero: Buero, datei: Path | None, exc: abholung.KofferGesperrt) -> Gesperrt:
    """Wipe after a revocation (the waiting push included) and note it for the page.

    With the tresor (``KOFFER_TRESOR``) the Koffer crypto-erases: the wrapped key is
    destroyed first (``tresor.loeschen()``), then the database, the documents and the
    caches go, then the Koffer's own files (the pairing, waiting pushes, part files). The
    database is gone under the running processes: from then on every page of this web
    process and any other reading the notes answers only „Dieser Koffer wurde gesperrt
    und gelöscht“ (``GesperrtMiddleware``) and touches no database; koffer should then be
    stopped (a new start finds no key and refuses to start)."""
    if getattr(settings, "KOFFER_TRESOR", False):
        return _krypto_loeschen(buero, datei, exc)
    removed = abgleich.abwischen(buero, datei)
    vermerke.setzen(
        gesperrt={"am": timezone.now().isoformat(), "zeilen": removed, "grund": str(exc)},
        gekoppelt=None,
    )
    return Gesperrt(
        f"Das Büro hat diesen Koffer gesperrt ({exc}). Die lokalen Daten wurden"
        f" gelöscht ({removed} Einträge) und die Kopplung aufgehoben."
    )


def _krypto_loeschen(buero: Buero, datei: Path | None, exc: abholung.KofferGesperrt) -> Gesperrt:
    # Noted first: a process that looks at the notes stops using the database at once.
    vermerke.setzen(
        gesperrt={"am": timezone.now().isoformat(), "grund": str(exc), "geloescht": True},
        gekoppelt=None,
        einrichtung=None,
    )
    bericht = tresor.loeschen()
    eigene = Path(settings.VAR_DIR) / "koffer"
    behalten = {vermerke.pfad().name, "verfall.lock"}
    for pfad in [*(eigene.iterdir() if eigene.is_dir() else []), datei]:
        if pfad is None or pfad.name in behalten:
            continue
        if pfad.is_dir() and not pfad.is_symlink():
            shutil.rmtree(pfad, ignore_errors=True)
        else:
            pfad.unlink(missing_ok=True)
    with contextlib.suppress(abholung.AbholungFehlgeschlagen):
        abholung.json_anfrage(buero, "/koffer/geloescht", {})
    return Gesperrt(
        f"Das Büro hat diesen Koffer gesperrt ({exc}). {GELOESCHT}: der Schlüssel wurde"
        f" vernichtet, die Datenbank und {len(bericht.entfernt)} Dateien und Ordner entfernt."
    )
