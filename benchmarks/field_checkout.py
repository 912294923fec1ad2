"""Checkout of a day's visits onto a Koffer over loopback: 20 Akten with 2,000 documents
(about 1 GB) pulled from a real office process by ``manage.py koffer_abholen`` in Koffer
mode, with a database and blob store of its own.

Data: one Mandant, a field worker with a paired Koffer, 20 Akten checked out to it, each
with 100 text documents of 500 kB (different bytes each), the first through the document
services, the others copies of its rows with their own bytes (bulk). Measured:
``koffer_abholen`` from start to end (the package built, audited and
sent, imported with base versions, every blob fetched and verified). Baseline in the same
run: copying the same blobs from the office's store into a fresh folder (plain file copy),
the floor any transfer on this disk has. ``ratio`` = checkout / baseline.

``paket_seconds``: until the package is imported (built by the office as it is sent, read
and imported by the Koffer); ``blobs_seconds``: the files after it.

Target: the checkout in at most 60 s (issue 18).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from uuid6 import uuid7

from benchmarks import _field, served
from benchmarks.report import emit, note
from benchmarks.scale import sized
from koffer.accounts import services as accounts
from koffer.blobs.store import get_store
from koffer.field.geraete import services as geraete
from koffer.records import defaults, services
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Dokument, DokumentVersion
from koffer.shell.server import free_port
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Organisationseinheit

NAME = "field_checkout"
DATABASES = ("sqlite",)
AKTEN = sized(20, 2)
DOKUMENTE_JE_AKTE = sized(100, 2)
GROESSE = sized(500_000, 20_000)
TARGET_SECONDS = 60.0
PASSWORD = "Koffer-Messung-42"

_Row = TypeVar("_Row", bound=models.Model)


def _text(size: int, seed: str) -> bytes:
    line = f"{seed}: Nachweis der Kosten der Unterkunft, Kontoauszug, Mietvertrag.\n".encode()
    data = (line * (size // len(line) + 1))[:size]
    return data


def _daten() -> tuple[str, list[str]]:
    """The office's data; returns the Koffer's pairing code and the blobs it will fetch.

    The first document of each Akte goes through the document service (``ingest_file``:
    inspection, text, index, audit); the others are copies of its rows with their own bytes
    (the blob through the store, the rows in bulk): 2,000 service calls took 569 s of a
    loaded machine before the checkout could even start, and the checkout reads rows and
    blobs, not how they came."""
    tenant = tenancy.create_mandant(
        actor=None, slug="koffertal", name="Stadt Koffertal", kind="gemeinde"
    )
    defaults.install(actor=None, tenant=tenant)
    root = Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    plan = services.create_aktenplaneinheit(
        actor=None, tenant=tenant, parent=None, kennzeichen="50", title="Soziales", module="sgb2"
    )
    worker = accounts.create_user(
        actor=None,
        tenant=tenant,
        username="aussendienst",
        first_name="Ada",
        last_name="Außendienst",
        email="aussendienst@example.org",
        password=PASSWORD,
        unit=root,
        role="aussendienst",
    )
    store = get_store()
    akten = []
    for n in range(AKTEN):
        akte = services.open_akte_for_person(
            actor=worker,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=root,
            title=f"Akte {n}",
            family_name=f"Besucht{n}",
            given_names="Berta",
            bg_nummer="neu",
            caseworker=worker,
        )
        result = documents.ingest_file(
            actor=worker,
            akte=akte,
            file=naming.IncomingFile.from_bytes("Nachweis 0.txt", _text(GROESSE, f"{n}-0")),
        )
        assert result.ok, result.message
        muster = Dokument.objects.for_tenant(tenant).get(akte=akte)
        version = DokumentVersion.objects.for_tenant(tenant).get(dokument=muster)
        dokumente, versionen = [], []
        for d in range(1, DOKUMENTE_JE_AKTE):
            data = _text(GROESSE, f"{n}-{d}")
            ref = store.put(data)
            dokument_id, version_id = uuid7(), uuid7()
            dokumente.append(
                _kopie(muster, pk=dokument_id, title=f"Nachweis {d}", current_version_id=version_id)
            )
            versionen.append(
                _kopie(
                    version,
                    pk=version_id,
                    dokument_id=dokument_id,
                    filename=f"Nachweis {d}.txt",
                    size=ref.size,
                    sha256=ref.sha256,
                    text=data.decode(),
                )
            )
        with transaction.atomic():
            # The document names its version before the version exists: the foreign key
            # is checked at commit (Django's are DEFERRABLE INITIALLY DEFERRED).
            Dokument.objects.bulk_create(dokumente, batch_size=500)
            DokumentVersion.objects.bulk_create(versionen, batch_size=500)
        akten.append(akte)
    geraet, code = geraete.geraet_anlegen(actor=worker, tenant_id=tenant.pk, name="Messkoffer")
    geraete.ausleihen(actor=worker, geraet=geraet, akten=akten)
    shas = list(
        DokumentVersion.objects.for_tenant(tenant).values_list("sha256", flat=True).distinct()
    )
    return code, shas


def _kopie(row: _Row, **changes: object) -> _Row:
    """A new row with ``row``'s fields and ``changes`` (by attribute name)."""
    values = {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}
    values.update(changes)
    values.pop("id", None)
    return type(row)(**values)


def _abholen(env: dict[str, str]) -> float:
    """``manage.py koffer_abholen``; returns the seconds until the package was imported
    (its line „… eingespielt“; the blobs come after)."""
    proc = subprocess.Popen(
        [sys.executable, str(_field.ROOT / "manage.py"), "koffer_abholen"],
        cwd=_field.ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    begin = time.perf_counter()
    paket = 0.0
    assert proc.stdout is not None and proc.stderr is not None
    for line in proc.stdout:
        if not paket and "eingespielt" in line:
            paket = time.perf_counter() - begin
    error = proc.stderr.read()
    if proc.wait() != 0:
        raise SystemExit(f"koffer_abholen:\n{error}")
    return paket


def _baseline(shas: list[str]) -> float:
    store = get_store()
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR) as folder:
        started = time.perf_counter()
        for sha in shas:
            with store.open(sha) as source, open(Path(folder) / sha, "wb") as out:
                shutil.copyfileobj(source, out)
        return time.perf_counter() - started


def run() -> None:
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR) as folder:
        _messen(Path(folder))


def _messen(folder: Path) -> None:
    # The Koffer's database: this one's, migrated and still empty (a smoke run would
    # otherwise spend most of its time migrating a second database).
    vorlage = _field.leere_vorlage(folder)
    started = time.perf_counter()
    code, shas = _daten()
    total = sum(get_store().size(sha) for sha in shas)
    note(
        f"Daten in {time.perf_counter() - started:.1f} s: {len(shas)} Dateien, {total / 1e6:.0f} MB"
    )
    port = free_port()
    office = served.start_web(port)
    try:
        base = f"http://127.0.0.1:{port}"
        served.wait_until_up(base)
        env = _field.koffer_anlegen(folder / "koffer", vorlage)
        _field.manage(env, "koffer_koppeln", "--buero", base, "--code", code)
        begin = time.perf_counter()
        paket_seconds = _abholen(env)
        seconds = time.perf_counter() - begin
    finally:
        served.stop(office)
    baseline = _baseline(shas)
    emit(
        NAME,
        akten=AKTEN,
        dokumente=AKTEN * DOKUMENTE_JE_AKTE,
        mb=round(total / 1e6, 1),
        seconds=round(seconds, 2),
        paket_seconds=round(paket_seconds, 2),
        blobs_seconds=round(seconds - paket_seconds, 2),
        mb_s=round(total / 1e6 / seconds, 1),
        baseline_seconds=round(baseline, 2),
        ratio=round(seconds / baseline, 1) if baseline else 0,
        target_seconds=TARGET_SECONDS,
        met=seconds <= TARGET_SECONDS,
    )
