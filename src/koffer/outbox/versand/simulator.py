"""A print provider played by a program, for the demo and the tests
(``manage.py printprovider_sim``): it talks to koffer only over the HTTP API with its
token, like a real provider. Each round it lists the batches waiting for it, downloads
each ZIP, checks every PDF (pypdfium2: it opens, and has the manifest's page count),
confirms the batch and reports per letter ``empfangen``, ``gedruckt`` and ``versendet``
with short delays, a few (a seeded share) afterwards ``unzustellbar``.

Reports carry ``ereignis_id`` ``<letter>:<status>``, so a simulator restarted halfway
repeats them harmlessly. A batch whose check fails is not confirmed (the next provider
takes it over) and the reason is logged."""

from __future__ import annotations

import io
import json
import logging
import random
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
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
class Druckdienst:
    base_url: str
    token: str
    delay: float = 2.0  # seconds between two statuses of a batch
    return_rate: float = 0.05
    rng: random.Random = field(default_factory=lambda: random.Random(16))
    sleep: Callable[[float], None] = time.sleep
    today: Callable[[], date] = date.today

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
        briefe = [entry["id"] for entry in manifest["briefe"]]
        for status in ("empfangen", "gedruckt", "versendet"):
            self.sleep(self.delay)
            for brief in briefe:
                self._melden(brief, status, result)
        for brief in briefe:
            if self.rng.random() < self.return_rate:
                self._melden(brief, "unzustellbar", result, grund=self.rng.choice(RETURN_REASONS))
                result.unzustellbar.append(brief)

    def _melden(self, brief: str, status: str, result: Runde, grund: str = "") -> None:
        body: dict[str, Any] = {"ereignis_id": f"{brief}:{status}", "status": status}
        if status == "versendet":
            body["versanddatum"] = self.today().isoformat()
        if grund:
            body["grund"] = grund
        try:
            self._json("POST", f"/briefe/{brief}/status", body)
        except SimulatorError as exc:
            # A batch taken over meanwhile (409) or a letter gone (404): logged, not fatal.
            logger.warning("Meldung %s für Brief %s abgelehnt: %s", status, brief, exc)
            return
        result.meldungen += 1

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
