"""A print provider played by a program, for the demo and the tests
(``manage.py printprovider_sim``): it talks to koffer only over the HTTP API with its
token, like a real provider, or (``--ordner``) only through its drop folder. Each round it
lists the batches waiting for it, downloads each ZIP, checks every PDF (pypdfium2: it
opens, and has the manifest's page count), confirms the batch (over the folder: writes
the receipt) and reports per letter ``empfangen``, ``gedruckt`` and ``versendet`` with
short delays, a few (a seeded share) afterwards ``unzustellbar``.

Reports carry ``ereignis_id`` ``<letter>:<status>``, so a simulator restarted halfway
repeats them harmlessly. A batch whose check fails is not confirmed (the next provider
takes it over) and the reason is logged."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import random
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

logger = logging.getLogger("koffer.outbox.simulator")

PREFIX = "/api/v1/postausgang/druck"
TIMEOUT = 30  # seconds per request
MAX_ZIP = 512 * 1024 * 1024
MAX_ENTRIES = 20_000
RETURN_REASONS = (
    "Empfänger unter der angegebenen Anschrift nicht zu ermitteln",
    "Annahme verweigert",
    "Empfänger verzogen, keine Nachsendeanschrift",
)


class SimulatorError(Exception):
    """The server answered something a provider cannot work with."""


@dataclass
class Runde:
    """What one round did, for the log and the tests."""

    stapel: list[str] = field(default_factory=list)
    abgelehnt: dict[str, str] = field(default_factory=dict)
    meldungen: int = 0
    unzustellbar: list[str] = field(default_factory=list)


@dataclass
class Ablauf:
    """What a provider does with a batch it accepted, whichever way it talks to koffer:
    ``empfangen``, ``gedruckt``, ``versendet`` for every letter, a short delay between,
    afterwards a seeded share ``unzustellbar``. Each report carries ``ereignis_id``
    ``<letter>:<status>``, so a simulator restarted halfway repeats them harmlessly."""

    delay: float = 2.0  # seconds between two statuses of a batch
    return_rate: float = 0.05
    rng: random.Random = field(default_factory=lambda: random.Random(16))
    sleep: Callable[[float], None] = time.sleep
    today: Callable[[], date] = date.today

    def runde(self) -> Runde:
        raise NotImplementedError

    def _senden(self, stapel: str, status: str, meldungen: list[dict[str, Any]]) -> int:
        """Hand over one status of a batch's letters; how many were taken."""
        raise NotImplementedError

    def _meldung(self, brief: str, status: str, grund: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {"brief_id": brief, "ereignis_id": f"{brief}:{status}"}
        body["status"] = status
        if status == "versendet":
            body["versanddatum"] = self.today().isoformat()
        if grund:
            body["grund"] = grund
        return body

    def _melden(self, stapel: str, briefe: list[str], result: Runde) -> None:
        for status in ("empfangen", "gedruckt", "versendet"):
            self.sleep(self.delay)
            meldungen = [self._meldung(b, status) for b in briefe]
            result.meldungen += self._senden(stapel, status, meldungen)
        zurueck = [b for b in briefe if self.rng.random() < self.return_rate]
        if zurueck:
            meldungen = [
                self._meldung(b, "unzustellbar", self.rng.choice(RETURN_REASONS)) for b in zurueck
            ]
            result.meldungen += self._senden(stapel, "unzustellbar", meldungen)
            result.unzustellbar += zurueck

    def laufen(self, *, pause: float, once: bool) -> None:
        while True:
            try:
                result = self.runde()
                if result.stapel or result.abgelehnt:
                    logger.info(
                        "Druckdienst-Simulator: %d Stapel, %d Meldungen, %d unzustellbar",
                        len(result.stapel),
                        result.meldungen,
                        len(result.unzustellbar),
                    )
            except (SimulatorError, OSError) as exc:
                if once:
                    raise
                logger.warning("Druckdienst-Simulator: koffer nicht erreichbar (%s)", exc)
            if once:
                return
            self.sleep(pause)


@dataclass
class Druckdienst(Ablauf):
    """The provider over the HTTP API with its token."""

    base_url: str = ""
    token: str = ""

    # --- HTTP ----------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None) -> bytes:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's koffer)
            self.base_url.rstrip("/") + PREFIX + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                **({"Content-Type": "application/json"} if data else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                return bytes(response.read(MAX_ZIP + 1))
        except urllib.error.HTTPError as exc:
            detail = exc.read(4000).decode(errors="replace")
            raise SimulatorError(f"{method} {path}: {exc.code} {detail}") from exc

    def _json(self, method: str, path: str, body: Any = None) -> Any:
        return json.loads(self._request(method, path, body))

    # --- one round -----------------------------------------------------------------------

    def runde(self) -> Runde:
        """Work through every batch waiting now."""
        result = Runde()
        for item in self._json("GET", "/stapel")["items"]:
            self._stapel(item, result)
        return result

    def _stapel(self, item: dict[str, Any], result: Runde) -> None:
        stapel_id = item["id"]
        data = self._request("GET", f"/stapel/{stapel_id}/zip")
        try:
            manifest = pruefen(data)
        except SimulatorError as exc:
            logger.error("Versandstapel %s nicht angenommen: %s", item["nummer"], exc)
            result.abgelehnt[stapel_id] = str(exc)
            return
        self._json("POST", f"/stapel/{stapel_id}/bestaetigung")
        result.stapel.append(stapel_id)
        self._melden(stapel_id, [entry["id"] for entry in manifest["briefe"]], result)

    def _senden(self, stapel: str, status: str, meldungen: list[dict[str, Any]]) -> int:
        taken = 0
        for meldung in meldungen:
            body = {k: v for k, v in meldung.items() if k != "brief_id"}
            try:
                self._json("POST", f"/briefe/{meldung['brief_id']}/status", body)
            except SimulatorError as exc:
                # A batch taken over meanwhile (409) or a letter gone (404): logged, not fatal.
                logger.warning(
                    "Meldung %s für Brief %s abgelehnt: %s", status, meldung["brief_id"], exc
                )
                continue
            taken += 1
        return taken


@dataclass
class Ablage(Ablauf):
    """The provider working through its drop folder (``docs/druckdienst-ablage.md``):
    takes each ``ausgang/<Stapelnummer>.zip`` whose ``.sha256`` is there and matches,
    checks it like the API provider, writes the receipt and one report file per status
    into ``eingang/`` (each written as ``.tmp`` and renamed, as the protocol asks). A
    batch it receipted (or refused) is not taken again."""

    ordner: Path = field(default_factory=Path)
    erledigt: set[str] = field(default_factory=set, init=False)

    def runde(self) -> Runde:
        result = Runde()
        ausgang, eingang = self.ordner / "ausgang", self.ordner / "eingang"
        if not ausgang.is_dir() or not eingang.is_dir():
            raise SimulatorError(f"{self.ordner}: kein Ablageordner (ausgang/, eingang/ fehlen)")
        for path in sorted(ausgang.glob("*.zip")):
            nummer = path.name.removesuffix(".zip")
            summe = path.with_name(f"{path.name}.sha256")
            if nummer in self.erledigt or path.name.startswith(".") or not summe.is_file():
                continue
            self.erledigt.add(nummer)
            self._stapel(path, nummer, (summe.read_text().split() or [""])[0], result)
        return result

    def _stapel(self, path: Path, nummer: str, summe: str, result: Runde) -> None:
        if path.stat().st_size > MAX_ZIP:
            result.abgelehnt[nummer] = "ZIP zu groß"
            return
        data = path.read_bytes()
        try:
            if hashlib.sha256(data).hexdigest() != summe:
                raise SimulatorError("Prüfsumme stimmt nicht")
            manifest = pruefen(data)
        except SimulatorError as exc:
            logger.error("Versandstapel %s nicht angenommen: %s", nummer, exc)
            result.abgelehnt[nummer] = str(exc)
            return
        self._schreiben(f"{nummer}.quittung.json", {"sha256": summe, "stapel": manifest["stapel"]})
        result.stapel.append(nummer)
        self._melden(nummer, [entry["id"] for entry in manifest["briefe"]], result)

    def _senden(self, stapel: str, status: str, meldungen: list[dict[str, Any]]) -> int:
        self._schreiben(f"{stapel}-{status}.json", meldungen)
        return len(meldungen)

    def _schreiben(self, name: str, data: Any) -> None:
        target = self.ordner / "eingang" / name
        temp = target.with_name(f"{name}.tmp")
        temp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temp, target)


def pruefen(data: bytes) -> dict[str, Any]:
    """The batch's manifest, once every PDF in it opens and has its declared pages."""
    if len(data) > MAX_ZIP:
        raise SimulatorError("ZIP zu groß")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SimulatorError("keine ZIP-Datei") from exc
    names = archive.namelist()
    if len(names) > MAX_ENTRIES or "manifest.json" not in names:
        raise SimulatorError("manifest.json fehlt")
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["briefe"]:
        try:
            pdf = pdfium.PdfDocument(archive.read(entry["datei"]))
        except (KeyError, pdfium.PdfiumError) as exc:
            raise SimulatorError(f"{entry['datei']}: fehlt oder ist kein PDF") from exc
        try:
            pages = len(pdf)
            # Render the first page small: a PDF that opens but cannot be drawn is refused.
            pdf[0].render(scale=0.2).close()
        finally:
            pdf.close()
        if pages != entry["seiten"]:
            raise SimulatorError(
                f"{entry['datei']}: {pages} Seiten, laut Manifest {entry['seiten']}"
            )
    return manifest
