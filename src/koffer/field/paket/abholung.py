"""The Koffer's side of the wire: calls to the office's API with the Koffer's token, and the
resumable download of the package's blobs (:func:`blobs_holen`).

The standard library's ``urllib.request``: no HTTP client is a pinned dependency, and a
few GETs with a Range header need none. Every call has a timeout; proxies are never used
(the office is named by the field worker, not by the environment)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from koffer.blobs.store import CHUNK_SIZE, BlobStore, check_name, get_store
from koffer.field.paket import services
from koffer.field.unterwegs import uhr

# Seconds a connection may take to open or stay silent; a large blob may take longer in
# total, it just must not stall.
TIMEOUT = 30.0
# The package is built whole before its first byte (20 Akten with 2,000 documents took
# longer than TIMEOUT on a loaded office, benchmark field_checkout): it gets its own.
PAKET_TIMEOUT = 300.0
API = "/api/v1"
# A Koffer whose last pull is older than this asks for the whole package again.
VOLL_NACH = timedelta(days=14)


class AbholungFehlgeschlagen(Exception):
    """The office could not be reached or answered with an error (German message);
    ``status`` and ``problem``: the office's HTTP status and problem document, if any."""

    def __init__(self, message: str, *, status: int = 0, problem: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.problem: dict[str, Any] = problem or {}


class KofferGesperrt(AbholungFehlgeschlagen):
    """The office revoked this Koffer: it must wipe its local data."""


@dataclass(frozen=True)
class Buero:
    """The office as this Koffer reaches it: its base URL and the Koffer's token."""

    url: str
    token: str


def zugang_pfad() -> Path:
    """Where ``koffer_koppeln`` keeps the office's URL and the token (mode 0600)."""
    return Path(settings.VAR_DIR) / "koffer" / "zugang.json"


def zugang_speichern(buero: Buero, pfad: Path | None = None) -> Path:
    """Keep the pairing's result, readable by this user only, written atomically."""
    pfad = pfad or zugang_pfad()
    pfad.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = pfad.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"buero": buero.url, "token": buero.token}, out)
    os.chmod(tmp, 0o600)
    tmp.replace(pfad)
    return pfad


def zugang_laden(pfad: Path | None = None, *, url: str = "") -> Buero:
    pfad = pfad or zugang_pfad()
    try:
        data = json.loads(pfad.read_text())
    except FileNotFoundError:
        raise AbholungFehlgeschlagen(
            f"Dieser Koffer ist nicht gekoppelt ({pfad} fehlt): bitte zuerst"
            " „manage.py koffer_koppeln --buero URL --code CODE“ ausführen."
        ) from None
    return Buero(url=(url or data["buero"]).rstrip("/"), token=str(data["token"]))


def opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def anfrage(
    buero: Buero,
    pfad: str,
    *,
    data: bytes | IO[bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> urllib.request.Request:
    url = buero.url + API + pfad
    if not url.startswith(("http://", "https://")):
        raise AbholungFehlgeschlagen(f"Die Adresse des Büros ist keine http(s)-Adresse: {url}")
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    if buero.token:
        request.add_header("Authorization", f"Bearer {buero.token}")
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    return request


def json_anfrage(
    buero: Buero, pfad: str, body: dict[str, Any] | None = None, *, timeout: float = 0.0
) -> Any:
    """GET (or POST with ``body``) ``pfad`` under /api/v1 and return the JSON answer.
    Raises :class:`KofferGesperrt` for a revoked Koffer, else AbholungFehlgeschlagen. The
    answer's ``Date`` header tells the Koffer the office's clock (``unterwegs.uhr``)."""
    data = json.dumps(body).encode() if body is not None else None
    try:
        with opener().open(anfrage(buero, pfad, data=data), timeout=timeout or TIMEOUT) as response:
            uhr.beobachten(response.headers.get("Date"))
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        uhr.beobachten(exc.headers.get("Date") if exc.headers else None)
        raise problem(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        raise netzfehler(buero, exc) from None


def netzfehler(buero: Buero, exc: OSError) -> AbholungFehlgeschlagen:
    """A network failure in German: the office not reachable (refused, no route, name
    unknown), not answering in time, or the connection broken off mid-transfer — never
    urllib's raw text alone."""
    grund: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(grund, TimeoutError):
        return AbholungFehlgeschlagen(
            f"Das Büro antwortet nicht rechtzeitig ({buero.url}); bitte später erneut versuchen."
        )
    if isinstance(grund, (ConnectionRefusedError, socket.gaierror)) or (
        isinstance(grund, OSError)
        and grund.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ECONNREFUSED)
    ):
        return AbholungFehlgeschlagen(
            f"Das Büro ist nicht erreichbar ({buero.url}). Ohne Netz arbeiten Sie im Koffer"
            " weiter; versuchen Sie es erneut, sobald eine Verbindung besteht."
        )
    return AbholungFehlgeschlagen(
        f"Die Verbindung zum Büro ist abgebrochen ({buero.url}): {grund}. Bitte erneut"
        " versuchen; Begonnenes wird fortgesetzt."
    )


def problem(exc: urllib.error.HTTPError) -> AbholungFehlgeschlagen:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or body.get("title") or exc.reason)
    if exc.code == 401 and body.get("code") == "koffer_gesperrt":
        return KofferGesperrt(detail, status=exc.code, problem=body)
    return AbholungFehlgeschlagen(
        f"Das Büro antwortet mit {exc.code}: {detail}", status=exc.code, problem=body
    )


@dataclass
class BlobErgebnis:
    """Blobs fetched now, already here, bytes moved, and blobs refused (German lines)."""

    geholt: int = 0
    vorhanden: int = 0
    bytes: int = 0
    abgelehnt: list[str] = field(default_factory=list)


Fortschritt = Callable[[str, int, int], None]


def blobs_holen(
    *,
    buero: Buero,
    blobs: Iterable[dict[str, Any]],
    store: BlobStore,
    teile: Path,
    fortschritt: Fortschritt | None = None,
    max_rate: float = 0.0,
) -> BlobErgebnis:
    """Fetch every blob of the package that is not in the local store. Each goes into a
    part file under ``teile`` first; a part file left by an interrupted run is continued
    with an HTTP Range request. Only bytes whose SHA-256 is the blob's name enter the
    store: a blob with other bytes is refused, its part file deleted, and reported.
    ``max_rate`` (bytes per second, 0: unbounded) leaves room on a shared mobile link."""
    teile.mkdir(parents=True, exist_ok=True, mode=0o700)
    ergebnis = BlobErgebnis()
    for blob in blobs:
        sha = check_name(str(blob["sha256"]))
        size = int(blob["size"])
        part = teile / f"{sha}.part"
        if store.exists(sha):
            # A run stopped between storing a blob and removing its part file leaves one.
            part.unlink(missing_ok=True)
            ergebnis.vorhanden += 1
            continue
        try:
            ergebnis.bytes += _download(buero, sha, size, part, max_rate)
        except KofferGesperrt:
            raise
        except AbholungFehlgeschlagen as exc:
            ergebnis.abgelehnt.append(f"Dokument {sha[:12]}…: {exc}")
            continue
        if _sha256(part) != sha:
            part.unlink(missing_ok=True)
            ergebnis.abgelehnt.append(
                f"Dokument {sha[:12]}…: die empfangenen Bytes passen nicht zu ihrem Hash;"
                " verworfen, beim nächsten Abholen neu geladen."
            )
            continue
        with part.open("rb") as data:
            stored = store.put(data)
        part.unlink(missing_ok=True)
        if stored.sha256 != sha:  # the part file changed under us: never keep it
            ergebnis.abgelehnt.append(f"Dokument {sha[:12]}…: beim Speichern verändert.")
            continue
        ergebnis.geholt += 1
        if fortschritt is not None:
            fortschritt(sha, ergebnis.geholt, ergebnis.bytes)
    return ergebnis


def _download(buero: Buero, sha: str, size: int, part: Path, max_rate: float) -> int:
    """Bring ``part`` to ``size`` bytes from the office; returns the bytes received now."""
    have = part.stat().st_size if part.exists() else 0
    if have > size:
        part.unlink()
        have = 0
    if have == size:
        return 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    request = anfrage(buero, f"/koffer/blobs/{sha}", headers=headers)
    try:
        with opener().open(request, timeout=TIMEOUT) as response:
            mode = "ab" if response.status == 206 else "wb"
            with part.open(mode) as out:
                return _copy(response, out, max_rate)
    except urllib.error.HTTPError as exc:
        raise problem(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        raise netzfehler(buero, exc) from None


def _copy(source: IO[bytes], out: IO[bytes], max_rate: float) -> int:
    moved = 0
    started = time.monotonic()
    piece = min(CHUNK_SIZE, max(16 * 1024, int(max_rate / 10))) if max_rate else CHUNK_SIZE
    while chunk := source.read(piece):
        out.write(chunk)
        moved += len(chunk)
        if max_rate:
            ahead = moved / max_rate - (time.monotonic() - started)
            if ahead > 0:
                out.flush()  # what arrived is on disk while the link rests
                time.sleep(ahead)
    out.flush()
    os.fsync(out.fileno())
    return moved


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Abholung:
    """One run of ``koffer_abholen``: what was imported and fetched."""

    akten: int
    dokumente: int
    blobs: BlobErgebnis
    blob_bytes_gesamt: int


# Progress of a long step for a page: (German text, done, total).
Schritt = Callable[[str, int, int], None]


def abholen(
    *,
    buero: Buero,
    melden: Callable[[str], None],
    max_rate: float = 0.0,
    schritt: Schritt | None = None,
    gesendet: dict[str, Any] | None = None,
) -> Abholung:
    """Pull this Koffer's package from the office and import it, then fetch its blobs.
    The office is asked for the Koffer's state first: a revoked Koffer raises
    :class:`KofferGesperrt` before anything is imported (the caller wipes). ``schritt``
    receives „Abholen 120 von 340 Dateien“ as the blobs arrive. Akten the office names as
    no longer carried are wiped; ``gesendet`` (the push the office just confirmed) is not
    saved again for them."""
    json_anfrage(buero, "/koffer/zustand")
    if schritt is not None:
        schritt("Paket abholen", 0, 0)
    ergebnis = _paket_einspielen(buero)
    gesamt = ergebnis.blob_bytes
    art = "Paket" if ergebnis.vollstaendig else "Änderungen seit dem letzten Abholen"
    melden(
        f"{art} eingespielt: {ergebnis.akten} Akten, {ergebnis.dokumente} Dokumente,"
        f" {len(ergebnis.blobs)} Dateien ({megabytes(gesamt)} MB)."
    )
    if ergebnis.im_buero_entfernt:
        melden(
            f"{ergebnis.im_buero_entfernt} Einträge sind im Büro entfernt worden: aus dem"
            " Koffer gelöscht."
        )
    if ergebnis.entfernt:
        # Imported here: the wipe builds on the sync back, which builds on this module.
        from koffer.field.unterwegs import verfall

        weg = verfall.beendete_abwischen(akte_ids=ergebnis.entfernt, gesendet=gesendet)
        if weg:
            melden(f"{len(weg)} Akten nicht mehr ausgeliehen: aus dem Koffer gelöscht.")
    teile = Path(settings.VAR_DIR) / "koffer" / "teile"
    store = get_store()
    fehlend = sum(1 for b in ergebnis.blobs if not store.exists(check_name(str(b["sha256"]))))
    if schritt is not None:
        schritt(f"Abholen 0 von {fehlend} Dateien", 0, fehlend)

    def fortschritt(_sha: str, geholt: int, moved: int) -> None:
        melden(
            f"{geholt} Dateien geladen, {megabytes(moved)} MB von höchstens {megabytes(gesamt)} MB …"
        )
        if schritt is not None:
            schritt(f"Abholen {geholt} von {fehlend} Dateien", geholt, fehlend)

    blobs = blobs_holen(
        buero=buero,
        blobs=ergebnis.blobs,
        store=store,
        teile=teile,
        fortschritt=fortschritt,
        max_rate=max_rate,
    )
    if not blobs.abgelehnt:
        services.dateien_geholt()
    return Abholung(
        akten=ergebnis.akten, dokumente=ergebnis.dokumente, blobs=blobs, blob_bytes_gesamt=gesamt
    )


def _paket_einspielen(buero: Buero) -> services.Ergebnis:
    """Ask for what changed since the last complete pull (the whole package the first
    time, after ``VOLL_NACH``, or when the office answers it whole) and import it. A
    partial package naming an Akte this Koffer does not hold without all its rows (its
    checkout extended after it was wiped here, access given back) is followed by the
    whole package."""
    seit = None if services.dateien_fehlen() else services.abholstand(hoechstens_alt=VOLL_NACH)
    pfad = "/koffer/paket" if seit is None else f"/koffer/paket?seit={seit}"
    paket = json_anfrage(buero, pfad, timeout=PAKET_TIMEOUT)
    if not paket.get("vollstaendig", True):
        bekannt = services.getragene_akten()
        ganz = {str(a) for a in paket.get("ganz") or []}
        neu = {
            str(o["pk"])
            for o in paket.get("objekte") or []
            if o.get("model") == "records.akte" and str(o["pk"]) not in bekannt | ganz
        }
        if neu:
            paket = json_anfrage(buero, "/koffer/paket", timeout=PAKET_TIMEOUT)
    return services.einspielen(paket)


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f}".replace(".", ",")


def abwischen(buero: Buero, zugang: Path | None = None) -> int:
    """Wipe every Mandant's imported data on this Koffer, tell the office it is done, and
    forget the pairing and any part files (the office revoked this Koffer). Returns the
    rows removed."""
    removed = sum(services.abwischen(mandant_id=m) for m in services.eingespielte_mandanten())
    # The office learns it on the next contact otherwise; the data is gone either way.
    with contextlib.suppress(AbholungFehlgeschlagen):
        json_anfrage(buero, "/koffer/geloescht", {})
    (zugang or zugang_pfad()).unlink(missing_ok=True)
    teile = Path(settings.VAR_DIR) / "koffer" / "teile"
    if teile.is_dir():
        for part in teile.glob("*.part"):
            part.unlink(missing_ok=True)
    return removed


def koppeln(*, url: str, code: str) -> Buero:
    """Pair with the office: the one-time code for this Koffer's token, and the key that
    seals this Koffer's audit segment (set up here, ``field.segment.koffer``)."""
    # Imported here: the segment's Koffer side builds on this module.
    from koffer.field.segment import koffer as segment

    answer = json_anfrage(
        Buero(url=url, token=""),
        "/koffer/kopplung",
        {"code": code.strip(), "geraetename": socket.gethostname()[:120]},
    )
    segment.einrichten(answer.get("segment"))
    return Buero(url=url, token=str(answer["token"]))
