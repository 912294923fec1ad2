"""Web and background processes that share only the database and the blob store (issue 20,
item 3), as real processes: two ``manage.py serve`` (each one web server, its live-update
process and one worker), every one with its own empty var folder, against one PostgreSQL
(plain, or the Citus cluster in ``make test-distributed``) and one SeaweedFS.

- a document uploaded through web A is shown as a page image by web B;
- a serial letter's job runs on worker 1, which is killed (SIGKILL, with its whole
  machine: web A dies mid-upload too); worker 2 takes the job once its lease ran out and
  finishes it, every Akte with exactly one letter; a letter worker 1 wrote downloads
  through web B;
- the upload web A never finished is sent again to web B with the same Idempotency-Key:
  one document, whatever is retried;
- no document byte lies in either var folder.

koffer has no resumable uploads: a request is complete or refused (``CompleteBody``), and
a retry with its key finishes the upload on any machine.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import signal
import socket
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.blobs.store import get_store
from koffer.jobs.models import Job, JobStep
from koffer.outbox.models import Brief, Briefkopf, Serienbrief, SerienbriefFehler
from koffer.outbox.serienbriefe import services as serienbriefe
from koffer.records.models import Akte, Dokument, DokumentVersion
from koffer.tenancy.models import Mandant
from tests import factories
from tests.factories import PASSWORD
from tests.factories import records as rf
from tests.field.conftest import Dienst, Sitzung
from tests.outbox.briefe.conftest import vorlage
from tests.outbox.factories import pdf
from tests.seaweed import S3Server
from tests.subprocesses import koffer_env

pytestmark = [pytest.mark.long, pytest.mark.real_clock]

AKTEN = 60  # three chunks of the serial letter: worker 1 is killed after the first
LEASE_SECONDS = 8


def _wait(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    pytest.fail(f"Zeit abgelaufen: {what}")


@pytest.fixture
def postgres() -> str:
    """The test database as the machines reach it, with this run's engine: plain PostgreSQL
    (``python -m tests.pgserver``), or the Citus cluster when ``make test-distributed``
    started it (``citus://``: the machines shape their queries for Citus too)."""
    if connection.vendor != "postgresql":
        pytest.skip("braucht PostgreSQL (python -m tests.pgserver -- pytest …)")
    db = connection.settings_dict
    scheme = "citus" if db["ENGINE"] == "koffer.tenancy.citus" else "postgres"
    return f"{scheme}://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def maschinen(
    tmp_path: Path, postgres: str, s3_server: S3Server, s3_blob_url: str
) -> Iterator[tuple[Dienst, Dienst]]:
    """Two machines: their own var folders, nothing shared but the database, the store and
    the configured secrets (secret key, audit keys)."""
    shared = {
        **s3_server.env(),
        "KOFFER_BLOB_URL": s3_blob_url,
        "KOFFER_SECRET_KEY": secrets.token_urlsafe(50),
        # the keys every machine that writes audit events shares (the test process too)
        "KOFFER_AUDIT_KEY_DIR": str(django_settings.KOFFER_AUDIT_KEY_DIR),
        "KOFFER_WORKER_STALE_SECONDS": str(LEASE_SECONDS),
        "KOFFER_OUTBOX_SATZ_PROZESSE": "1",
        "KOFFER_FAST_HASHER": "1",
    }
    machines = []
    for name in ("a", "b"):
        var = tmp_path / f"var-{name}"
        var.mkdir()
        env = koffer_env(var, **shared)
        for name in ("KOFFER_TASK_BACKEND", "KOFFER_BLOB_DIR", "KOFFER_BLOB_BACKEND"):
            env.pop(name, None)  # the test run's own choices, not a machine's
        env["KOFFER_DATABASE_URL"] = postgres
        machines.append(Dienst(var=var, env=env))
    try:
        yield machines[0], machines[1]
    finally:
        for machine in machines:
            machine.stoppen()


def _welt(anzahl: int) -> tuple[Mandant, Any, list[Akte]]:
    tenant = factories.mandant("Jobcenter Zweistadt", kind=Mandant.Kind.JOBCENTER)
    team = factories.unit(tenant, "Leistungsteam 1")
    writer = factories.user(tenant, "sachbearbeitung", team, first_name="Sina")
    plan = rf.leistungsplan(tenant)
    akten = []
    for i in range(anzahl):
        akte = rf.akte(caseworker=writer, plan=plan, unit=team, family_name=f"Beispiel{i}")
        person = akte.subjekte.get().person
        person.street, person.postal_code, person.city = f"Weg {i + 1}", "12345", "Musterstadt"
        person.save()
        akten.append(akte)
    Briefkopf.objects.create(
        tenant=tenant,
        unit=None,
        behoerde="Jobcenter Zweistadt",
        anschrift="Marktplatz 1\n12345 Musterstadt",
        ruecksendeangabe="Jobcenter Zweistadt · Marktplatz 1 · 12345 Musterstadt",
        telefon="0123 4567-0",
        updated_at=timezone.now(),
    )
    return tenant, writer, akten


def _multipart(data: bytes, name: str) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="dateien"; filename="{name}"'
            "\r\nContent-Type: application/pdf\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def _hochladen(sitzung: Sitzung, url: str, akte: Akte, data: bytes, key: str) -> dict[str, Any]:
    content_type, body = _multipart(data, "antrag.pdf")
    request = urllib.request.Request(  # noqa: S310
        f"{url}/api/v1/akten/{akte.pk}/dokumente",
        data=body,
        headers={
            "Content-Type": content_type,
            "X-CSRFToken": sitzung._csrf(),
            "Referer": url + "/",
            "Idempotency-Key": key,
        },
    )
    with sitzung.opener.open(request, timeout=120) as response:
        assert response.status == 201
        return dict(json.loads(response.read()))


def _halb_hochladen(
    sitzung: Sitzung, port: int, akte: Akte, data: bytes, key: str
) -> socket.socket:
    """An upload of which web A receives the headers and half the body, then nothing."""
    content_type, body = _multipart(data, "antrag.pdf")
    cookies = "; ".join(f"{c.name}={c.value}" for c in sitzung.cookies)
    head = (
        f"POST /api/v1/akten/{akte.pk}/dokumente HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"Cookie: {cookies}\r\nX-CSRFToken: {sitzung._csrf()}\r\n"
        f"Referer: http://127.0.0.1:{port}/\r\nIdempotency-Key: {key}\r\n\r\n"
    ).encode()
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.sendall(head + body[: len(body) // 2])
    return conn


def _nachkommen(pid: int) -> list[int]:
    """``pid``'s descendants, deepest last (read from /proc: the parts of serve run in
    process groups of their own)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _maschine_abschiessen(dienst: Dienst) -> None:
    """SIGKILL to every process of a machine at once, its parts first: no handler runs, no
    job step is paused, nothing is sent back (serve's children would otherwise get a
    SIGTERM when serve dies and stop cleanly)."""
    assert dienst.proc is not None
    for pid in [*reversed(_nachkommen(dienst.proc.pid)), dienst.proc.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    dienst.proc.wait(timeout=10)
    dienst.proc = None


def _anmelden(sitzung: Sitzung, username: str) -> None:
    anmelden = reverse("accounts:login")
    sitzung.get(anmelden)
    antwort = sitzung.post(anmelden, {"username": username, "password": PASSWORD})
    assert antwort.status == 302, antwort.text[:2000]


def _binaer(sitzung: Sitzung, url: str) -> tuple[int, str, bytes]:
    try:
        with sitzung.opener.open(url, timeout=120) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()


def _lokale_dokumente(var: Path) -> list[Path]:
    """Files under a var folder that hold a document's bytes (the blob store's layout,
    or any PDF): there must be none."""
    found = []
    for path in var.rglob("*"):
        if not path.is_file() or path.suffix in {".log", ".json", ".key", ".lock"}:
            continue
        if "cache" in path.parts:  # page images: derived, per machine by design
            continue
        with path.open("rb") as handle:
            if handle.read(5) == b"%PDF-":
                found.append(path)
    return found


def test_two_machines_share_only_database_and_store(
    transactional_db: None,
    maschinen: tuple[Dienst, Dienst],
    settings: Any,
    request: pytest.FixtureRequest,
) -> None:
    # the job goes to the queue in the database, where only the machines' workers take it
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    a, b = maschinen
    tenant, writer, akten = _welt(AKTEN)
    v = vorlage(tenant)

    a.starten()  # machine A alone: worker 1 is the only one to take the job
    sitzung = Sitzung(a.url)
    _anmelden(sitzung, writer.username)

    # 1. a document through web A
    scan = pdf(3, "Antrag auf Leistungen")
    hochgeladen = _hochladen(sitzung, a.url, akten[0], scan, "upload-erster")
    dokument_id = hochgeladen["results"][0]["dokument_id"]

    # 2. the serial letter's job starts on worker 1; kill machine A after its first chunk,
    # while web A is in the middle of receiving an upload
    serie = serienbriefe.starten(
        actor=writer,
        access=Access.for_user(writer.pk, tenant.pk),
        tenant=tenant,
        vorlage=v,
        akten=akten,
        auswahl="Test",
        eingaben={"frist": "31.12.2026", "betrag": "10,00 €"},
    )
    zweiter = pdf(2, "Nachweis")
    key = f"upload-{uuid.uuid4().hex[:8]}"
    _wait(
        lambda: (
            JobStep.objects.for_tenant(tenant).filter(job_id=serie.job_id, key="akten-0").exists()
        ),
        240,
        "der erste Teil des Serienbriefs auf Worker 1",
    )
    halb = _halb_hochladen(sitzung, a.port, akten[1], zweiter, key)
    time.sleep(0.3)  # web A is inside the request, reading the body
    _maschine_abschiessen(a)
    halb.close()
    job = Job.objects.for_tenant(tenant).get(pk=serie.job_id)
    assert job.status == Job.Status.RUNNING, "Worker 1 war schon fertig: mehr Akten nehmen"
    vorher = Brief.objects.for_tenant(tenant).filter(serienbrief=serie).count()
    assert 0 < vorher < AKTEN
    assert "unterbrochen" not in a.log()  # killed, not paused: the lease must run out
    # the half upload left nothing
    assert not DokumentVersion.objects.for_tenant(tenant).filter(upload_key=key).exists()

    # 3. machine B: the same session, the upload finished, the page image, the job taken over
    b.starten()
    sitzung.url = b.url
    assert sitzung.get(reverse("shell:start")).status == 200  # signed in on A, known to B
    fertig = _hochladen(sitzung, b.url, akten[1], zweiter, key)
    nochmal = _hochladen(sitzung, b.url, akten[1], zweiter, key)
    assert nochmal["results"][0]["dokument_id"] == fertig["results"][0]["dokument_id"]
    assert DokumentVersion.objects.for_tenant(tenant).filter(upload_key=key).count() == 1

    seite = reverse("records:dokument_page", args=[dokument_id, 1, 1, 1000])
    status, typ, bild = _binaer(sitzung, b.url + seite)
    assert status == 200 and typ.startswith("image/"), bild[:300]
    assert list((b.var / "cache").rglob("*-p1-w1000.*"))  # rendered on B, from the store

    _wait(
        lambda: (
            Job.objects.for_tenant(tenant).filter(pk=serie.job_id, status=Job.Status.DONE).exists()
        ),
        240,
        "Worker 2 beendet den Serienbrief",
    )
    # one run on worker 1, killed; one on worker 2 after the lease, from the second chunk
    assert Job.objects.for_tenant(tenant).get(pk=serie.job_id).attempts == 2
    assert "wieder eingereiht" in b.log()
    serie = Serienbrief.objects.for_tenant(tenant).get(pk=serie.pk)
    briefe = list(Brief.objects.for_tenant(tenant).filter(serienbrief=serie))
    assert serie.erstellt == AKTEN and len(briefe) == AKTEN
    assert sorted(str(b_.akte_id) for b_ in briefe) == sorted(str(x.pk) for x in akten)
    assert not SerienbriefFehler.objects.for_tenant(tenant).filter(serienbrief=serie).exists()
    letter_docs = Dokument.objects.for_tenant(tenant).filter(
        akte__in=akten, direction=Dokument.Direction.OUTGOING
    )
    assert letter_docs.count() == AKTEN  # filed once each: nothing lost, nothing doubled

    # 4. a letter worker 1 wrote downloads through web B, byte for byte from the store
    erster = Brief.objects.for_tenant(tenant).get(serienbrief=serie, akte=akten[0])
    assert erster.dokument_id is not None
    version = (
        DokumentVersion.objects.for_tenant(tenant).filter(dokument_id=erster.dokument_id).get()
    )
    status, typ, inhalt = _binaer(
        sitzung, b.url + reverse("records:dokument_download", args=[erster.dokument_id])
    )
    assert status == 200 and inhalt.startswith(b"%PDF-")
    assert hashlib.sha256(inhalt).hexdigest() == version.sha256
    assert get_store().exists(version.sha256)

    # 5. nothing of a document in either machine's own folder
    assert _lokale_dokumente(a.var) == [] and _lokale_dokumente(b.var) == []
    assert not (a.var / "blobs").exists() or not any((a.var / "blobs").rglob("*"))
