"""The push of this Koffer's changes to the office (:func:`abgleichen`), resumable: the
payload is written once to the var folder before anything is sent, so a run after a
crash or a lost answer sends the same ``abgleich_id`` again and the office applies it
once. Blobs first (``PUT /koffer/blobs/{sha256}``, idempotent), then the payload
(``POST /koffer/abgleich``); afterwards the Koffer pulls again, so its base versions are
the office's merged state.

A push the office accepted is kept (``abgleich/angenommen/``) and named in every later
push (``angenommen``): an office restored from an older backup that lost some answers 409
``abgleich_nachholen``, and the Koffer sends those again, in their order (the office
applies each once), then the new one. Kept until the office confirms a backup that holds
it: every push answer and every pull's state name the newest push in the office's newest
confirmed backup (``gesichert``), and the Koffer drops the kept ones up to that one only
(:func:`gesicherte_verwerfen`), however many remain."""

from __future__ import annotations

import io
import json
import os
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from koffer.blobs.store import BlobNotFound, check_name, get_store
from koffer.field.paket import abholung
from koffer.field.paket.abholung import AbholungFehlgeschlagen, Buero
from koffer.field.rueckgabe.sammeln import leer, nummern_uebernommen, sammeln
from koffer.field.segment import koffer as segment
from koffer.tresor import schluessel
from koffer.tresor.dokumentenspeicher import MAGIC, EntschluesselnderLeser, verschluesseln


@dataclass
class Abgleich:
    """One run of ``koffer_abgleichen``: the office's answer (None: nothing to send),
    whether an interrupted push was resent, the local changes not sent, the pull after."""

    antwort: dict[str, Any] | None
    wiederholt: bool = False
    nicht_uebertragen: list[str] = field(default_factory=list)
    abholung: abholung.Abholung | None = None


def ordner() -> Path:
    """Where a push waits until the office confirmed it."""
    return Path(settings.VAR_DIR) / "koffer" / "abgleich"


def aufbewahrt_ordner() -> Path:
    """Where accepted pushes are kept (``<time_ns>-<abgleich_id>.json``, in order)."""
    return ordner() / "angenommen"


def aufbewahrte() -> list[Path]:
    """The kept accepted pushes, oldest first."""
    if not aufbewahrt_ordner().is_dir():
        return []
    return sorted(aufbewahrt_ordner().glob("*.json"), key=lambda p: p.name)


def _abgleich_id(datei: Path) -> str:
    return datei.stem.split("-", 1)[1]


def _angenommen_vor(datei: Path) -> list[str]:
    """The kept pushes accepted before ``datei`` (all of them for a push not yet sent)."""
    return [
        _abgleich_id(p)
        for p in aufbewahrte()
        if datei.parent != aufbewahrt_ordner() or p.name < datei.name
    ]


def _aufbewahren(datei: Path, payload: dict[str, Any]) -> None:
    """The office accepted the push in ``datei``: keep it (renamed, so the order stays)
    until a confirmed backup of the office holds it (:func:`gesicherte_verwerfen`)."""
    if datei.parent == aufbewahrt_ordner():
        return
    if not datei.exists():
        return
    aufbewahrt_ordner().mkdir(parents=True, exist_ok=True, mode=0o700)
    os.replace(datei, aufbewahrt_ordner() / f"{time.time_ns():020d}-{payload['abgleich_id']}.json")


def gesicherte_verwerfen(gesichert: object) -> int:
    """The office confirmed a backup holding the kept push ``gesichert`` (its
    ``abgleich_id``; the answer's ``gesichert``): drop it and every kept push accepted
    before it — an office restored from that backup or a later one has them. Later ones
    stay, however many. An id this Koffer does not keep (dropped already) drops nothing.
    Returns how many were dropped."""
    if not gesichert:
        return 0
    kept = aufbewahrte()
    ids = [_abgleich_id(p) for p in kept]
    if str(gesichert) not in ids:
        return 0
    bis = ids.index(str(gesichert))
    for alt in kept[: bis + 1]:
        alt.unlink(missing_ok=True)
    return bis + 1


def vorbereiten(
    *, zurueckgeben: bool = False, gesendet: dict[str, Any] | None = None
) -> tuple[dict[str, Any] | None, list[str]]:
    """A new collection written to ``abgleich/<abgleich_id>.json`` (fsync, then rename)
    before it is sent; None when there is nothing to send. ``gesendet``: a push the office
    just confirmed while the base versions are still older (a resend after a crash): what
    it carried is not sent twice, and a field changed again since goes with the sent value
    as its base. Returns the payload and the changes not sent (German)."""
    hinweise: list[str] = []
    payload = sammeln(hinweise=hinweise)
    if gesendet is not None:
        _ohne_gesendetes(payload, gesendet, hinweise)
    if leer(payload):
        return None, hinweise
    payload["zurueckgeben"] = zurueckgeben
    schreiben(ordner() / f"{payload['abgleich_id']}.json", payload)
    return payload, hinweise


def schreiben(pfad: Path, payload: dict[str, Any]) -> None:
    """Write a payload file atomically; with the tresor on (``KOFFER_TRESOR=1``) encrypted
    like the documents (AES-256-GCM segments, ``tresor.dokumentenspeicher``) under a key
    of its own derived from the device key: it holds personal data."""
    inhalt = json.dumps(payload).encode()
    if getattr(settings, "KOFFER_TRESOR", False):
        verschluesselt = io.BytesIO()
        verschluesseln(io.BytesIO(inhalt), verschluesselt, _schluessel())
        inhalt = verschluesselt.getvalue()
    _atomar(pfad, inhalt)


def lesen(pfad: Path) -> dict[str, Any]:
    """A payload file as written by :func:`schreiben` (encrypted or not)."""
    with pfad.open("rb") as roh:
        encrypted = roh.read(len(MAGIC)) == MAGIC
    if not encrypted:
        data: dict[str, Any] = json.loads(pfad.read_bytes())
        return data
    with EntschluesselnderLeser(pfad.open("rb"), _schluessel()) as klartext:
        data = json.loads(klartext.read())
    return data


def _schluessel() -> bytes:
    return schluessel.unterschluessel(schluessel.geraeteschluessel(), "abgleich")


def offene() -> list[Path]:
    """Pushes written and not yet confirmed by the office, oldest first."""
    if not ordner().is_dir():
        return []
    return sorted(ordner().glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name))


def abgleichen(
    *,
    buero: Buero,
    melden: Callable[[str], None],
    zurueckgeben: bool = False,
    schritt: abholung.Schritt | None = None,
) -> Abgleich:
    """Push this Koffer's changes and pull again. A push an interrupted run left is sent
    first, as it is (same ``abgleich_id``), then whatever changed since. Raises
    :class:`~koffer.field.paket.abholung.KofferGesperrt` for a revoked Koffer (the caller
    wipes, :func:`abwischen`) and ``AbholungFehlgeschlagen`` when the office cannot be
    reached or refuses; the payload file stays for the next run then. A revoked Koffer
    learns it from its first call (the push, or the pull's state)."""
    ergebnis = Abgleich(antwort=None)
    gesendet: dict[str, Any] | None = None
    for datei in offene():
        melden("Ein unterbrochener Abgleich wird wiederholt.")
        gesendet = lesen(datei)
        ergebnis.wiederholt = True
        ergebnis.antwort = _senden(buero, gesendet, datei, melden, schritt)
    payload, ergebnis.nicht_uebertragen = vorbereiten(zurueckgeben=zurueckgeben, gesendet=gesendet)
    if payload is not None:
        datei = ordner() / f"{payload['abgleich_id']}.json"
        ergebnis.antwort = _senden(buero, payload, datei, melden, schritt)
        gesendet = _zusammen(gesendet, payload)
    elif ergebnis.antwort is None:
        melden("Nichts abzugleichen.")
    for hinweis in ergebnis.nicht_uebertragen:
        melden(hinweis)
    ergebnis.abholung = abholung.abholen(
        buero=buero, melden=melden, schritt=schritt, gesendet=gesendet
    )
    gesicherte_verwerfen(ergebnis.abholung.gesichert)
    return ergebnis


def _zusammen(frueher: dict[str, Any] | None, spaeter: dict[str, Any]) -> dict[str, Any]:
    """What two confirmed pushes carried together (the later one's values win)."""
    if frueher is None:
        return spaeter
    return {
        key: [*frueher.get(key, []), *spaeter.get(key, [])] for key in ("geaendert", "neu", "blobs")
    }


def _senden(
    buero: Buero,
    payload: dict[str, Any],
    datei: Path,
    melden: Callable[[str], None],
    schritt: abholung.Schritt | None = None,
) -> dict[str, Any]:
    anzahl = len(payload["blobs"])
    for nummer, sha in enumerate(payload["blobs"], start=1):
        blob_senden(buero, sha)
        if schritt is not None:
            schritt(f"Dateien senden {nummer} von {anzahl}", nummer, anzahl)
    if schritt is not None:
        schritt("Änderungen senden", 0, 0)
    payload["angenommen"] = _angenommen_vor(datei)
    try:
        antwort = abholung.json_anfrage(buero, "/koffer/abgleich", payload)
    except abholung.KofferGesperrt:
        raise
    except AbholungFehlgeschlagen as exc:
        fehler = exc.problem.get("fehler")
        if isinstance(fehler, list) and fehler:
            raise AbholungFehlgeschlagen(
                f"{exc} " + " ".join(str(f) for f in fehler),
                status=exc.status,
                problem=exc.problem,
            ) from None
        code = exc.problem.get("code") if exc.status == 409 else None
        if code == "segment_nachholen":
            # The office is behind on this Koffer's audit (restored from a backup): the
            # waiting push goes again with the events from where the office stands.
            ab_seq = exc.problem.get("ab_seq")
            payload["segment"] = segment.nachholen(ab_seq if isinstance(ab_seq, int) else None)
            schreiben(datei, payload)
            melden(
                "Das Büro hat nicht das ganze Protokoll dieses Koffers (aus einer Sicherung"
                f" zurückgespielt?); es wird ab Ereignis {payload['segment']['von_seq']}"
                " erneut gesendet."
            )
        elif code == "segment_neu" and isinstance(exc.problem.get("segment"), dict):
            # The office began a new segment for this Koffer (its old one was refused for
            # good): begin again under the new key, the waiting push goes with it.
            segment.einrichten(exc.problem["segment"], neu=True)
            payload["segment"] = segment.sammeln([])
            schreiben(datei, payload)
            melden(
                "Das Büro hat das Protokoll dieses Koffers neu beginnen lassen; die"
                " wartenden Änderungen werden mit dem neuen Protokoll gesendet."
            )
        elif code == "abgleich_nachholen":
            # The office lost pushes it had accepted (restored from an older backup): the
            # kept ones go again, in their order, each applied once; then this one.
            fehlen = {str(f) for f in exc.problem.get("fehlen") or []}
            melden(
                f"Dem Büro fehlen {len(fehlen)} schon angenommene Abgleiche dieses Koffers"
                " (aus einer Sicherung zurückgespielt?); sie werden erneut gesendet."
            )
            for alt in aufbewahrte():
                if _abgleich_id(alt) in fehlen:
                    _senden(buero, lesen(alt), alt, melden, schritt)
        elif code == "blob_fehlt":
            for sha in _genannte_blobs(exc.problem, payload):
                blob_senden(buero, sha)
        else:
            raise
        antwort = abholung.json_anfrage(buero, "/koffer/abgleich", payload)
    melden(
        f"Abgeglichen: {antwort.get('uebernommen', 0)} Änderungen übernommen,"
        f" {antwort.get('konflikte', 0)} Konflikte, {antwort.get('neu', 0)} neue Einträge."
    )
    if antwort.get("konflikte"):
        melden("Konflikte entscheidet eine Person im Büro; bis dahin gilt der Stand des Büros.")
    for hinweis in antwort.get("hinweise", []):
        melden(f"Hinweis: {hinweis}")
    # task nummern: Akten the office opened from this Koffer's get their rows from the pull
    nummern_uebernommen(antwort.get("nummern") or {})
    segment.angenommen(antwort)
    _aufbewahren(datei, payload)
    gesicherte_verwerfen(antwort.get("gesichert"))
    return dict(antwort)


def blob_senden(buero: Buero, sha: str) -> int:
    """Upload one blob (the office answers 201 new, 200 already there); returns the
    status."""
    sha = check_name(sha)
    store = get_store()
    try:
        size = store.size(sha)
        data = store.open(sha)
    except BlobNotFound:
        raise AbholungFehlgeschlagen(
            f"Die Datei {sha[:12]}… fehlt in diesem Koffer; der Abgleich kann sie nicht senden."
        ) from None
    request = abholung.anfrage(buero, f"/koffer/blobs/{sha}", data=data)
    request.method = "PUT"
    request.add_header("Content-Type", "application/octet-stream")
    request.add_header("Content-Length", str(size))
    try:
        with data, abholung.opener().open(request, timeout=abholung.TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise abholung.problem(exc) from None
    except (urllib.error.URLError, OSError) as exc:
        raise abholung.netzfehler(buero, exc) from None


def abwischen(buero: Buero, zugang: Path | None = None) -> int:
    """The wipe after a revocation, the waiting push included (its data goes with the
    rest)."""
    removed = abholung.abwischen(buero, zugang)
    for datei in [*offene(), *aufbewahrte()]:
        datei.unlink(missing_ok=True)
    return removed


def _ohne_gesendetes(
    payload: dict[str, Any], gesendet: dict[str, Any], hinweise: list[str]
) -> None:
    werte = {
        (g["modell"], g["id"], name): feld["neu"]
        for g in gesendet["geaendert"]
        for name, feld in g["felder"].items()
    }
    geaendert = []
    for g in payload["geaendert"]:
        felder = {}
        for name, feld in g["felder"].items():
            schluessel = (g["modell"], g["id"], name)
            if schluessel not in werte:
                felder[name] = feld
            elif werte[schluessel] != feld["neu"]:
                felder[name] = {"basis": werte[schluessel], "neu": feld["neu"]}
        if felder:
            geaendert.append({**g, "felder": felder})
    payload["geaendert"] = geaendert
    neue = {(r["model"], str(r["pk"])): r["fields"] for r in gesendet["neu"]}
    behalten = []
    for row in payload["neu"]:
        frueher = neue.get((row["model"], str(row["pk"])))
        if frueher is None:
            behalten.append(row)
        elif frueher != row["fields"]:
            hinweise.append(
                f"{row['model']} {row['pk']}: nach dem unterbrochenen Abgleich erneut"
                " geändert – wird nicht übertragen."
            )
    payload["neu"] = behalten
    payload["blobs"] = [s for s in payload["blobs"] if s not in set(gesendet["blobs"])]


def _genannte_blobs(problem: dict[str, Any], payload: dict[str, Any]) -> list[str]:
    """The blobs a ``blob_fehlt`` answer names (in ``blobs``, ``blob`` or ``sha256``),
    else all of the payload's."""
    genannt = problem.get("blobs") or problem.get("blob") or problem.get("sha256")
    if isinstance(genannt, str):
        return [genannt]
    if isinstance(genannt, list) and genannt:
        return [str(s) for s in genannt]
    return list(payload["blobs"])


def _atomar(pfad: Path, inhalt: bytes) -> None:
    pfad.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = pfad.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(inhalt)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(pfad)
    verzeichnis = os.open(pfad.parent, os.O_RDONLY)
    try:
        os.fsync(verzeichnis)
    finally:
        os.close(verzeichnis)
