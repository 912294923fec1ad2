"""The drop folder (Ablageordner) of a print provider: the other way than the API to
hand over batches and take in reports, in practice an SFTP directory the provider's
machine mounts. The protocol is described for providers in ``docs/druckdienst-ablage.md``.

Layout of a provider's folder (``Druckdienst.ordner`` under ``KOFFER_ABLAGE_ROOT``)::

    ausgang/      <Stapelnummer>.zip and <Stapelnummer>.zip.sha256, written by koffer
    eingang/      the provider's files: <Stapelnummer>.quittung.json (the receipt) and
                  report files *.json (each a list of reports, as the API's)
    verarbeitet/  files read without a problem
    fehler/       files that could not be read or whose reports failed, each with
                  <name>.fehler.txt; shown on „Postausgang: Versand“ until read again

What holds, and why:

- A ZIP is visible under its final name only whole: it is written to a hidden temporary
  name in the same folder, fsynced and renamed (``atomar_schreiben``); a process killed
  while writing leaves a hidden temporary file, removed later, never a partial ZIP.
  Writing it again gives the same bytes (``paket``), so a crash between the rename and
  the row's ``abgelegt_at`` is harmless.
- A batch counts as fetched when the receipt with the ZIP's sha256 arrives (through the
  API's own service, ``services.abholen``); a missing file says nothing, so a provider
  that deletes instead of acknowledging loses nothing either. The receipted ZIP is then
  removed from ``ausgang/``. A batch taken over by the next provider is removed from the
  first provider's ``ausgang/`` (the removal is audited), so it is not printed twice.
- Reports go through the API's own service (``services.melden``): idempotent, out of
  order, never backwards. Only ``*.json`` names are read, so a provider writes
  ``*.tmp`` first and renames; a file is claimed by moving it into ``eingang/.in-arbeit``
  (a pass killed there reads it again next time, which the idempotence makes harmless).
- A file refused is recorded (``Ablagefehler``) before it is moved to ``fehler/``: it is
  never only in a folder and a log.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.blobs.store import get_store
from koffer.errors import DomainError
from koffer.outbox import access as outbox_access
from koffer.outbox.errors import Forbidden, Invalid, NotFound
from koffer.outbox.models import Ablagefehler, Druckdienst, Versandstapel
from koffer.outbox.versand import services
from koffer.outbox.versand.ordner import (
    AUSGANG,
    EINGANG,
    FEHLER,
    IN_ARBEIT,
    TEMP_PREFIX,
    VERARBEITET,
    atomar_schreiben,
    verzeichnis,
)
from koffer.tenancy.models import Mandant

logger = logging.getLogger("koffer.outbox")

QUITTUNG = ".quittung.json"
FEHLER_TXT = ".fehler.txt"
TEMP_STALE_SECONDS = 3600
MAX_DATEI = 5 * 1024 * 1024
MAX_MELDUNGEN = 10_000


def zip_name(stapel: Versandstapel) -> str:
    return f"{stapel.nummer}.zip"


def ablegen(*, stapel: Versandstapel, now: datetime | None = None) -> bool:
    """Put a packed batch of a provider with a drop folder into its ``ausgang/``: the ZIP
    (the same bytes the API hands out), then its ``.sha256``. True when written; a batch
    of an API provider, or not waiting, is left alone. Writing again is harmless."""
    dienst = stapel.druckdienst
    if dienst.kanal != Druckdienst.Kanal.ABLAGE or stapel.status != Versandstapel.Status.BEREIT:
        return False
    ausgang = verzeichnis(dienst) / AUSGANG
    name = zip_name(stapel)
    with get_store().open(stapel.zip_sha256) as src:
        atomar_schreiben(ausgang / name, src)
    atomar_schreiben(
        ausgang / f"{name}.sha256", io.BytesIO(f"{stapel.zip_sha256}  {name}\n".encode())
    )
    with transaction.atomic():
        first = (
            Versandstapel.objects.for_tenant(stapel.tenant_id)
            .filter(pk=stapel.pk, abgelegt_at__isnull=True)
            .update(abgelegt_at=now or timezone.now())
        )
        if first:
            audit.record(
                actor=None,
                tenant_id=stapel.tenant_id,
                action="outbox.versandstapel.ablage",
                obj=stapel,
                changes={"datei": f"{AUSGANG}/{name}", "zip_sha256": stapel.zip_sha256},
            )
    return True


def _entfernen(ausgang: Path, stapel: Versandstapel) -> bool:
    """Remove the batch's ZIP (first: what a provider picks up) and its checksum."""
    name = zip_name(stapel)
    removed = (ausgang / name).exists()
    (ausgang / name).unlink(missing_ok=True)
    (ausgang / f"{name}.sha256").unlink(missing_ok=True)
    return removed


def zurueckziehen(dienst: Druckdienst, folder: Path) -> list[str]:
    """Remove from ``ausgang/`` the batches another provider took over, so that nobody
    prints them twice; each removal is audited. Returns the batch numbers removed."""
    ausgang = folder / AUSGANG
    waiting = {p.name.removesuffix(".zip") for p in ausgang.glob("*.zip") if p.is_file()}
    if not waiting:
        return []
    gone = Versandstapel.objects.for_tenant(dienst.tenant_id).filter(
        druckdienst=dienst, nummer__in=waiting, status=Versandstapel.Status.UEBERNOMMEN
    )
    removed = []
    for stapel in gone:
        if _entfernen(ausgang, stapel):
            audit.record(
                actor=None,
                tenant_id=dienst.tenant_id,
                action="outbox.versandstapel.ablage_entfernt",
                obj=stapel,
                changes={"datei": f"{AUSGANG}/{zip_name(stapel)}", "grund": "übernommen"},
            )
            logger.info(
                "Versandstapel %s aus dem Ablageordner entfernt (übernommen)", stapel.nummer
            )
            removed.append(stapel.nummer)
    return removed


def _aufraeumen(ausgang: Path) -> None:
    """Temporary files a killed process left behind (an hour old: none still written)."""
    limit = time.time() - TEMP_STALE_SECONDS
    for path in ausgang.glob(f"{TEMP_PREFIX}*.tmp"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


def ausgang(tenant_id: uuid.UUID, now: datetime) -> None:
    """The Mandant's outgoing side: every packed batch not yet in its provider's folder
    is written, taken-over batches are removed. A folder that cannot be written is
    logged and tried again next round (the batch waits; the takeover still works)."""
    waiting = (
        Versandstapel.objects.for_tenant(tenant_id)
        .filter(
            status=Versandstapel.Status.BEREIT,
            abgelegt_at__isnull=True,
            druckdienst__kanal=Druckdienst.Kanal.ABLAGE,
        )
        .select_related("druckdienst")
        .order_by("created_at")
    )
    for stapel in waiting:
        try:
            ablegen(stapel=stapel, now=now)
        except (OSError, DomainError):
            logger.exception("Versandstapel %s: Ablageordner nicht beschreibbar", stapel.nummer)
    for dienst in _dienste(tenant_id):
        try:
            folder = verzeichnis(dienst)
            zurueckziehen(dienst, folder)
            _aufraeumen(folder / AUSGANG)
        except (OSError, DomainError):
            logger.exception("Ablageordner von %s nicht erreichbar", dienst.name)


def _dienste(tenant_id: uuid.UUID | None = None) -> list[Druckdienst]:
    """Providers with a drop folder, inactive ones too: their reports still count."""
    rows = (
        Druckdienst.objects.unscoped()
        if tenant_id is None
        else Druckdienst.objects.for_tenant(tenant_id)
    )
    return list(rows.filter(kanal=Druckdienst.Kanal.ABLAGE).select_related("konto"))


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ergebnis:
    """What reading one file gave: no problems (``verarbeitet/``), or the reasons."""

    datei: str
    fehler: list[str] = field(default_factory=list)


def _lesbar(path: Path) -> bool:
    """A file the provider finished: ``*.json``, not hidden, no link (it could point
    anywhere on this machine)."""
    return (
        path.name.endswith(".json")
        and not path.name.startswith(".")
        and not path.is_symlink()
        and path.is_file()
    )


def eingang(dienst: Druckdienst, folder: Path | None = None) -> list[Ergebnis]:
    """Read the provider's ``eingang/``: claim each finished file, receipts first, then
    reports, each by name."""
    folder = folder or verzeichnis(dienst)
    incoming = folder / EINGANG
    working = incoming / IN_ARBEIT
    for path in sorted(incoming.iterdir()):
        if _lesbar(path):
            try:
                os.replace(path, working / path.name)
            except FileNotFoundError:
                logger.info("Datei %s liest schon ein anderer Durchgang", path.name)
    results = []
    claimed = sorted(
        (p for p in working.iterdir() if _lesbar(p)),
        key=lambda p: (not p.name.endswith(QUITTUNG), p.name),
    )
    for path in claimed:
        try:
            results.append(_einlesen(dienst, folder, path))
        except FileNotFoundError:
            logger.info("Datei %s liest schon ein anderer Durchgang", path.name)
    return results


def _akteur(dienst: Druckdienst) -> tuple[User, Access, Mandant]:
    tenant = Mandant.objects.get(pk=dienst.tenant_id)
    return dienst.konto, Access.for_user(dienst.konto_id, tenant.pk), tenant


def _einlesen(dienst: Druckdienst, folder: Path, path: Path) -> Ergebnis:
    if path.stat().st_size > MAX_DATEI:
        fehler = [f"Die Datei ist größer als {MAX_DATEI // (1024 * 1024)} MB."]
    else:
        try:
            data = json.loads(path.read_bytes())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            data, fehler = None, [f"Die Datei ist kein gültiges JSON ({exc})."]
        else:
            if path.name.endswith(QUITTUNG):
                fehler = _quittung(dienst, folder, path.name.removesuffix(QUITTUNG), data)
            else:
                fehler = _meldungen(dienst, data)
    if fehler:
        _quarantaene(dienst, folder, path, fehler)
    else:
        os.replace(path, folder / VERARBEITET / _frei(folder / VERARBEITET, path.name))
    return Ergebnis(path.name, fehler)


def _quittung(dienst: Druckdienst, folder: Path, nummer: str, data: Any) -> list[str]:
    sha = data.get("sha256") if isinstance(data, dict) else None
    if not isinstance(sha, str):
        return ["Die Quittung braucht ein Objekt mit „sha256“ (die Prüfsumme der ZIP-Datei)."]
    stapel = (
        Versandstapel.objects.for_tenant(dienst.tenant_id)
        .filter(druckdienst=dienst, nummer=nummer)
        .exclude(status=Versandstapel.Status.OFFEN)
        .first()
    )
    if stapel is None:
        return [f"Einen Versandstapel {nummer} gibt es für diesen Druckdienst nicht."]
    if sha.strip().lower() != stapel.zip_sha256:
        return [
            f"Die Prüfsumme der Quittung passt nicht zu Versandstapel {nummer} "
            f"(erwartet {stapel.zip_sha256}): die ZIP-Datei bitte erneut abholen."
        ]
    konto, access, tenant = _akteur(dienst)
    try:
        services.abholen(actor=konto, access=access, tenant=tenant, versandstapel_id=stapel.pk)
    except DomainError as exc:
        return [exc.message]
    _entfernen(folder / AUSGANG, stapel)
    return []


def _meldungen(dienst: Druckdienst, data: Any) -> list[str]:
    """Apply every report of a file; the reasons of those that failed (the others are
    applied, and applying them again changes nothing)."""
    if not isinstance(data, list):
        return ["Die Datei muss eine Liste von Meldungen enthalten ([{…}, {…}])."]
    if len(data) > MAX_MELDUNGEN:
        return [f"Höchstens {MAX_MELDUNGEN} Meldungen je Datei."]
    konto, access, tenant = _akteur(dienst)
    fehler = []
    for n, item in enumerate(data, start=1):
        try:
            brief_id, meldung = meldung_aus(item)
            services.melden(
                actor=konto, access=access, tenant=tenant, brief_id=brief_id, meldung=meldung
            )
        except DomainError as exc:
            wer = item.get("brief_id", "?") if isinstance(item, dict) else "?"
            fehler.append(f"Meldung {n} (Brief {wer}): {exc.message}")
    return fehler


def _wert(item: dict[str, Any], key: str, parse: Any, what: str) -> Any:
    raw = item.get(key)
    if raw in (None, ""):
        return None
    try:
        return parse(raw)
    except (TypeError, ValueError):
        raise Invalid(f"{key}_invalid", f"„{key}“ ist {what} ({raw!r}).") from None


def _zeitpunkt(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def meldung_aus(item: Any) -> tuple[uuid.UUID, services.Meldung]:
    """One report of a file: the API's fields (``zeitpunkt`` may also be called ``at``)."""
    if not isinstance(item, dict):
        raise Invalid("meldung_invalid", "Eine Meldung ist ein Objekt mit brief_id, status, …")
    brief_id = _wert(item, "brief_id", lambda v: uuid.UUID(str(v)), "keine gültige Brief-ID")
    if brief_id is None:
        raise Invalid("brief_id_missing", "„brief_id“ fehlt.")
    at = _wert(item, "zeitpunkt", _zeitpunkt, "kein Zeitpunkt wie 2026-12-06T10:00:00+01:00")
    if at is None:
        at = _wert(item, "at", _zeitpunkt, "kein Zeitpunkt wie 2026-12-06T10:00:00+01:00")
    versanddatum = _wert(item, "versanddatum", date.fromisoformat, "kein Datum wie 2026-12-06")
    for key in ("ereignis_id", "status", "grund"):
        if not isinstance(item.get(key, ""), str):
            raise Invalid(f"{key}_invalid", f"„{key}“ ist kein Text.")
    return brief_id, services.Meldung(
        ereignis_id=item.get("ereignis_id", ""),
        status=item.get("status", ""),
        at=at,
        versanddatum=versanddatum,
        grund=item.get("grund", ""),
    )


def _frei(folder: Path, name: str) -> str:
    """``name``, or ``name`` with a number before its suffix when taken already: a file
    of the same name read earlier is kept too."""
    if not (folder / name).exists():
        return name
    stem, dot, suffix = name.partition(".")
    n = 2
    while (folder / f"{stem}-{n}{dot}{suffix}").exists():
        n += 1
    return f"{stem}-{n}{dot}{suffix}"


def _quarantaene(dienst: Druckdienst, folder: Path, path: Path, fehler: list[str]) -> None:
    """Record the refusal first (the page shows it), then move the file to ``fehler/``
    with its reasons beside it; a pass killed in between records the same entry again."""
    kept = _frei(folder / FEHLER, path.name)
    grund = "\n".join(fehler)
    with transaction.atomic():
        row, created = Ablagefehler.objects.for_tenant(dienst.tenant_id).get_or_create(
            tenant_id=dienst.tenant_id,
            druckdienst=dienst,
            datei=kept,
            erledigt_at=None,
            defaults={"name": path.name, "grund": grund, "created_at": timezone.now()},
        )
        if created:
            audit.record(
                actor=None,
                tenant_id=dienst.tenant_id,
                action="outbox.ablage.fehler",
                obj=row,
                changes={"druckdienst": dienst.name, "datei": kept, "fehler": len(fehler)},
            )
    (folder / FEHLER / f"{kept}{FEHLER_TXT}").write_text(grund + "\n", encoding="utf-8")
    os.replace(path, folder / FEHLER / kept)
    logger.warning("Ablageordner %s: %s nach fehler/ (%s)", dienst.name, kept, fehler[0])


def runde() -> list[Ergebnis]:
    """Every provider's ``eingang/`` (the worker's periodic pass)."""
    results: list[Ergebnis] = []
    for dienst in _dienste():
        try:
            results += eingang(dienst)
        except (OSError, DomainError):
            logger.exception("Ablageordner von %s nicht lesbar", dienst.name)
    return results


def erneut_einlesen(
    *, actor: User, access: Access, tenant: Mandant, ablagefehler_id: uuid.UUID
) -> list[Ergebnis]:
    """Read a refused file again (the provider fixed it, or the letter became known):
    the entry is done, the file goes back to ``eingang/`` and is read at once; when it
    fails again it is a new entry with the new reasons."""
    if not outbox_access.handles_drop_folders(access, tenant):
        raise Forbidden("forbidden", "Dateien aus Ablageordnern liest die Poststelle erneut ein.")
    row = (
        Ablagefehler.objects.for_tenant(tenant)
        .select_related("druckdienst__konto")
        .filter(pk=ablagefehler_id, erledigt_at__isnull=True)
        .first()
    )
    if row is None:
        raise NotFound("not_found", "Diesen Eintrag gibt es nicht (mehr).")
    folder = verzeichnis(row.druckdienst)
    kept = folder / FEHLER / row.datei
    # The file first, then the entry: a pass killed in between leaves the entry open and
    # the file read by the next pass; asked again, the entry is only closed.
    if kept.is_file():
        os.replace(kept, folder / EINGANG / IN_ARBEIT / row.name)
    (folder / FEHLER / f"{row.datei}{FEHLER_TXT}").unlink(missing_ok=True)
    with transaction.atomic():
        row.erledigt_at = timezone.now()
        row.save(update_fields=["erledigt_at"])
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.ablage.erneut",
            obj=row,
            changes={"druckdienst": row.druckdienst.name, "datei": row.datei},
        )
    return eingang(row.druckdienst, folder)
