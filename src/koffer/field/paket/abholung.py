"""The Koffer's side of the wire: calls to the office's API with the Koffer's token, and the
resumable download of the package's blobs (:func:`blobs_holen`).

The standard library's ``urllib.request`` for the API's JSON calls and ``http.client`` for
the blobs (a few keep-alive connections at once, :class:`Verbindung`): no HTTP client is a
pinned dependency, and GETs with a Range header need none. Every call has a timeout (of
silence: a large answer may take longer in total, it just must not stall); proxies are
never used (the office is named by the field worker, not by the environment)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import json
import os
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from koffer.blobs.store import CHUNK_SIZE, BlobCorrupt, BlobStore, check_name, get_store
from koffer.field.paket import services, suchindex
from koffer.field.unterwegs import uhr

# Seconds a connection may take to open or stay silent; a large blob or package may take
# longer in total, it just must not stall (the office sends the package as it builds it,
# with a blank now and then while a step takes long: ``selectors.paket_strom``).
TIMEOUT = 30.0
# Blobs fetched at once, each over its own keep-alive connection: while one is hashed and
# stored, others are on the wire and in the office's workers (more only queue there).
PARALLEL = 4
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
    answer's ``Date`` header tells the Koffer the office's clock (``unterwegs.uhr``).
    ``timeout`` counts silence, not the whole answer: an office that keeps sending (the
    package as it is built) is waited for; an answer that breaks off is refused whole."""
    data = json.dumps(body).encode() if body is not None else None
    try:
        with opener().open(anfrage(buero, pfad, data=data), timeout=timeout or TIMEOUT) as response:
            uhr.beobachten(response.headers.get("Date"))
            roh = response.read()
    except urllib.error.HTTPError as exc:
        uhr.beobachten(exc.headers.get("Date") if exc.headers else None)
        raise problem(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        raise netzfehler(buero, exc) from None
    except http.client.HTTPException as exc:  # e.g. the answer ended before its length
        raise netzfehler(buero, ConnectionError(str(exc) or type(exc).__name__)) from None
    try:
        return json.loads(roh)
    except ValueError:
        raise AbholungFehlgeschlagen(
            f"Die Antwort des Büros ist unvollständig ({buero.url}{API}{pfad}); es wurde"
            " nichts übernommen. Bitte erneut versuchen."
        ) from None


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
    return _problem(exc.code, str(exc.reason), exc.read())


def _problem(status: int, reason: str, raw: bytes) -> AbholungFehlgeschlagen:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.get("detail") or body.get("title") or reason)
    if status == 401 and body.get("code") == "koffer_gesperrt":
        return KofferGesperrt(detail, status=status, problem=body)
    return AbholungFehlgeschlagen(
        f"Das Büro antwortet mit {status}: {detail}", status=status, problem=body
    )


class Verbindung:
    """One keep-alive HTTP/1.1 connection to the office, used for blob after blob (a new
    TCP connection, and TLS handshake, per blob cost more than a small blob's bytes). A
    connection the office closed between two requests is opened again once. One thread
    uses one Verbindung."""

    def __init__(self, buero: Buero) -> None:
        teile = urllib.parse.urlsplit(buero.url)
        if teile.scheme not in ("http", "https") or not teile.hostname:
            raise AbholungFehlgeschlagen(
                f"Die Adresse des Büros ist keine http(s)-Adresse: {buero.url}"
            )
        self.buero = buero
        self._teile = teile
        self._conn: http.client.HTTPConnection | None = None

    def _oeffnen(self) -> http.client.HTTPConnection:
        host, port = self._teile.hostname or "", self._teile.port
        if self._teile.scheme == "https":
            return http.client.HTTPSConnection(
                host, port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(host, port, timeout=TIMEOUT)

    def schliessen(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextlib.contextmanager
    def get(self, pfad: str, headers: dict[str, str]) -> Iterator[http.client.HTTPResponse]:
        """GET ``pfad`` under /api/v1 with the Koffer's token; the answer is read by the
        caller inside the ``with`` (then the connection serves the next request). Network
        failures raise :class:`AbholungFehlgeschlagen` in German."""
        ziel = self._teile.path.rstrip("/") + API + pfad
        kopf = {"Accept": "application/octet-stream", **headers}
        if self.buero.token:
            kopf["Authorization"] = f"Bearer {self.buero.token}"
        try:
            response = self._anfrage(ziel, kopf)
            yield response
            if response.will_close or not response.isclosed():
                self.schliessen()  # not read to its end, or the office ends the connection
        except AbholungFehlgeschlagen:
            self.schliessen()
            raise
        except (OSError, http.client.HTTPException) as exc:
            self.schliessen()
            grund = exc if isinstance(exc, OSError) else ConnectionError(str(exc) or repr(exc))
            raise netzfehler(self.buero, grund) from None

    def _anfrage(self, ziel: str, kopf: dict[str, str]) -> http.client.HTTPResponse:
        for versuch in (1, 2):
            frisch = self._conn is None
            if self._conn is None:
                self._conn = self._oeffnen()
            try:
                self._conn.request("GET", ziel, headers=kopf)
                return self._conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.schliessen()
                if frisch or versuch == 2:
                    raise  # not an idle connection closed by the office: a real failure
        raise AssertionError("unreachable")


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
    """Fetch every blob of the package that is not in the local store, ``PARALLEL`` at
    once over keep-alive connections (one at a time with ``max_rate``: bytes per second
    that leave room on a shared mobile link). Each goes into a part file under ``teile``
    first, hashed as it arrives; a part file left by an interrupted run is hashed and
    continued with an HTTP Range request. Only bytes whose SHA-256 is the blob's name
    enter the store (which makes them durable): a blob with other bytes is refused, its
    part file deleted, and reported. A part file is not synced to disk: after a crash its
    bytes are checked by the same hash, and a torn one is fetched again. ``fortschritt``
    is called in the caller's thread as each blob is stored."""
    teile.mkdir(parents=True, exist_ok=True, mode=0o700)
    ergebnis = BlobErgebnis()
    offen: list[tuple[str, int]] = []
    for blob in blobs:
        sha = check_name(str(blob["sha256"]))
        if store.exists(sha):
            # A run stopped between storing a blob and removing its part file leaves one.
            (teile / f"{sha}.part").unlink(missing_ok=True)
            ergebnis.vorhanden += 1
            continue
        offen.append((sha, int(blob["size"])))
    if not offen:
        return ergebnis
    lokal = threading.local()
    verbindungen: list[Verbindung] = []
    sperre = threading.Lock()

    def holen(sha: str, size: int) -> tuple[str, int, str]:
        verbindung: Verbindung | None = getattr(lokal, "verbindung", None)
        if verbindung is None:
            verbindung = lokal.verbindung = Verbindung(buero)
            with sperre:
                verbindungen.append(verbindung)
        return _holen(verbindung, store, sha, size, teile / f"{sha}.part", max_rate)

    gleichzeitig = 1 if max_rate else min(PARALLEL, len(offen))
    try:
        with ThreadPoolExecutor(gleichzeitig, thread_name_prefix="koffer-blobs") as pool:
            laufend: list[Future[tuple[str, int, str]]] = [
                pool.submit(holen, sha, size) for sha, size in offen
            ]
            try:
                for erledigt in as_completed(laufend):
                    sha, moved, fehler = erledigt.result()
                    ergebnis.bytes += moved
                    if fehler:
                        ergebnis.abgelehnt.append(fehler)
                        continue
                    ergebnis.geholt += 1
                    if fortschritt is not None:
                        fortschritt(sha, ergebnis.geholt, ergebnis.bytes)
            except BaseException:
                for future in laufend:
                    future.cancel()  # a revoked Koffer fetches nothing more
                raise
    finally:
        for verbindung in verbindungen:
            verbindung.schliessen()
    return ergebnis


def _holen(
    verbindung: Verbindung, store: BlobStore, sha: str, size: int, part: Path, max_rate: float
) -> tuple[str, int, str]:
    """One blob into the store: ``(sha, bytes received now, German refusal or "")``.
    Raises :class:`KofferGesperrt`; every other failure is a refusal of this blob."""
    try:
        moved, digest = _download(verbindung, sha, size, part, max_rate)
    except KofferGesperrt:
        raise
    except AbholungFehlgeschlagen as exc:
        return sha, 0, f"Dokument {sha[:12]}…: {exc}"
    if digest != sha:
        part.unlink(missing_ok=True)
        return (
            sha,
            moved,
            f"Dokument {sha[:12]}…: die empfangenen Bytes passen nicht zu ihrem Hash;"
            " verworfen, beim nächsten Abholen neu geladen.",
        )
    # Verified as it arrived: the store takes the part file over (a rename on the local
    # store) instead of reading and writing its bytes again.
    try:
        store.put_verified_file(part, sha)
    except BlobCorrupt:  # the part file changed under us: never kept under its name
        part.unlink(missing_ok=True)
        return sha, moved, f"Dokument {sha[:12]}…: beim Speichern verändert."
    return sha, moved, ""


def _download(
    verbindung: Verbindung, sha: str, size: int, part: Path, max_rate: float
) -> tuple[int, str]:
    """Bring ``part`` to ``size`` bytes from the office; returns the bytes received now
    and the SHA-256 of the whole part file."""
    have = part.stat().st_size if part.exists() else 0
    if have > size:
        part.unlink()
        have = 0
    digest = hashlib.sha256()
    if have:
        _hash_into(part, digest)
    if have == size:
        return 0, digest.hexdigest()
    headers = {"Range": f"bytes={have}-"} if have else {}
    with verbindung.get(f"/koffer/blobs/{sha}", headers) as response:
        if response.status >= 400:
            if response.status == 416:
                part.unlink(missing_ok=True)  # the office's file is shorter: start anew
            raise _problem(response.status, response.reason, response.read())
        if response.status != 206:
            digest = hashlib.sha256()  # the whole file: what was here is replaced
        with part.open("ab" if response.status == 206 else "wb") as out:
            return _copy(response, out, digest, max_rate), digest.hexdigest()


def _copy(source: IO[bytes], out: IO[bytes], digest: Any, max_rate: float) -> int:
    moved = 0
    started = time.monotonic()
    piece = min(CHUNK_SIZE, max(16 * 1024, int(max_rate / 10))) if max_rate else CHUNK_SIZE
    while chunk := source.read(piece):
        out.write(chunk)
        digest.update(chunk)
        moved += len(chunk)
        if max_rate:
            ahead = moved / max_rate - (time.monotonic() - started)
            if ahead > 0:
                out.flush()  # what arrived is in the part file while the link rests
                time.sleep(ahead)
    return moved


def _hash_into(path: Path, digest: Any) -> None:
    with path.open("rb") as data:
        while chunk := data.read(CHUNK_SIZE):
            digest.update(chunk)


@dataclass
class Abholung:
    """One run of ``koffer_abholen``: what was imported and fetched."""

    akten: int
    dokumente: int
    blobs: BlobErgebnis
    blob_bytes_gesamt: int
    # the office's newest push of this Koffer in a confirmed backup (``/koffer/zustand``)
    gesichert: str | None = None


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
    zustand = json_anfrage(buero, "/koffer/zustand")
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
    # The files are here: their texts for the search, in the background (the worker).
    suchindex.texte.enqueue()
    return Abholung(
        akten=ergebnis.akten,
        dokumente=ergebnis.dokumente,
        blobs=blobs,
        blob_bytes_gesamt=gesamt,
        gesichert=str(zustand["gesichert"]) if zustand.get("gesichert") else None,
    )


def _paket_einspielen(buero: Buero) -> services.Ergebnis:
    """Ask for what changed since the last complete pull (the whole package the first
    time, after ``VOLL_NACH``, or when the office answers it whole) and import it. A
    partial package naming an Akte this Koffer does not hold without all its rows (its
    checkout extended after it was wiped here, access given back) is followed by the
    whole package."""
    seit = None if services.dateien_fehlen() else services.abholstand(hoechstens_alt=VOLL_NACH)
    pfad = "/koffer/paket" if seit is None else f"/koffer/paket?seit={seit}"
    paket = json_anfrage(buero, pfad)
    if not paket.get("vollstaendig", True):
        bekannt = services.getragene_akten()
        ganz = {str(a) for a in paket.get("ganz") or []}
        neu = {
            str(o["pk"])
            for o in paket.get("objekte") or []
            if o.get("model") == "records.akte" and str(o["pk"]) not in bekannt | ganz
        }
        if neu:
            paket = json_anfrage(buero, "/koffer/paket")
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
