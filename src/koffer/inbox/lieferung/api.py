"""API of deliveries: a scan provider (machine account, ``inbox.upload``) delivers a batch
and asks for its status; the mail room (``inbox.process``) lists the batches arriving in
its units. Errors are problem+json; unknown and invisible batches both answer 404."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from ninja import File, Router, Schema, Status, UploadedFile

from koffer.accounts.http import TenantRequest
from koffer.api.pagination import paginate
from koffer.api.problems import Problem as ProblemDocument
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.inbox import access
from koffer.inbox.lieferung import manifest, selectors, services
from koffer.inbox.models import Problem, Stapel, Stapeldatei

router = Router(tags=["Posteingang"])

# Literals, not the models' TextChoices: ninja names an enum schema after its class.
StapelState = Literal["angenommen", "in_pruefung", "verarbeitet", "mit_problemen", "quarantaene"]
StapeldateiState = Literal["angenommen", "geprueft", "fehlt", "quarantaene"]
StapelSource = Literal["api", "ordner", "fitconnect"]
StapelArt = Literal["post", "rueckscan", "rueckpost"]

LIEFERSCHEIN_HELP = """
Der Lieferschein (Feld `lieferschein`, eine JSON-Datei in UTF-8, höchstens 1 MB) wird
unverändert mit seinem SHA-256 aufbewahrt (BSI TR-RESISCAN). Felder:

| Feld | Inhalt |
|---|---|
| `version` | 1 (optional) |
| `art` | optional: `post` (Vorgabe), `rueckscan` (Papierakten, jede mit ihrem Deckblatt) oder `rueckpost` (nur Rückläufer: Briefe von koffer, die die Post als unzustellbar zurückgebracht hat) |
| `stapel_id` | Stapelnummer des Dienstleisters, 1–100 Zeichen `A-Z a-z 0-9 . _ -`; je Dienstleister eindeutig |
| `scan_datum` | Tag des Scannens, `JJJJ-MM-TT` |
| `operator` | wer gescannt hat (1–200 Zeichen) |
| `scanner` | Gerät (1–200 Zeichen) |
| `qualitaetspruefung` | Objekt, `ergebnis`: `bestanden` oder `nicht_bestanden`; weitere Felder werden unverändert aufbewahrt |
| `dateien` | 1–2000 Einträge `{"name": "0001.pdf", "seiten": 3, "sha256": "<64 Hex-Zeichen>"}`; optional `"rueckpost": true`: die Datei enthält Rückläufer |

Die Dateien (Feld `dateien`, PDF oder TIFF) tragen die Namen aus dem Lieferschein.
Dieselbe Lieferung noch einmal (gleiche Stapelnummer, gleicher Lieferschein, gleiche
Dateien) wird mit dem gespeicherten Stapel beantwortet (200), nichts wird doppelt
gespeichert; dieselbe Stapelnummer mit anderem Inhalt ergibt 409 `batch_conflict`. Die
Prüfung (Prüfsummen, fehlende und zusätzliche Dateien, Seitenzahlen, beschädigte und
verschlüsselte Dateien) läuft danach im Hintergrund; ihr Ergebnis zeigt der Status.
"""


class ProblemOut(Schema):
    code: str
    message: str
    datei: str | None
    created_at: datetime


class StapeldateiOut(Schema):
    name: str
    position: int
    declared: bool
    declared_pages: int | None
    declared_sha256: str
    sha256: str
    size: int
    kind: str
    pages: int | None
    state: StapeldateiState
    rueckpost: bool


class StapelListItem(Schema):
    id: uuid.UUID
    batch_id: str
    provider: str
    scan_date: date
    state: StapelState
    source: StapelSource
    file_count: int
    problem_count: int
    created_at: datetime
    checked_at: datetime | None


class StapelPage(Schema):
    items: list[StapelListItem]
    next_cursor: str | None


class StapelOut(Schema):
    id: uuid.UUID
    batch_id: str
    provider: str
    scan_date: date
    operator: str
    scanner: str
    quality: dict[str, Any]
    quality_passed: bool
    manifest_sha256: str
    delivery_sha256: str
    state: StapelState
    source: StapelSource
    art: StapelArt
    created_at: datetime
    checked_at: datetime | None
    dateien: list[StapeldateiOut]
    probleme: list[ProblemOut]


def _problem_out(p: Problem) -> ProblemOut:
    return ProblemOut(
        code=p.code,
        message=p.message,
        datei=p.datei.name if p.datei is not None else None,
        created_at=p.created_at,
    )


def _datei_out(d: Stapeldatei) -> StapeldateiOut:
    return StapeldateiOut(
        name=d.name,
        position=d.position,
        declared=d.declared,
        declared_pages=d.declared_pages,
        declared_sha256=d.declared_sha256,
        sha256=d.sha256,
        size=d.size,
        kind=d.kind,
        pages=d.pages,
        state=d.state,  # type: ignore[arg-type]
        rueckpost=d.rueckpost,
    )


def _stapel_out(s: Stapel) -> StapelOut:
    return StapelOut(
        id=s.pk,
        batch_id=s.batch_id,
        provider=s.provider.username,
        scan_date=s.scan_date,
        operator=s.operator,
        scanner=s.scanner,
        quality=s.quality,
        quality_passed=s.quality_passed,
        manifest_sha256=s.manifest_sha256,
        delivery_sha256=s.delivery_sha256,
        state=s.state,  # type: ignore[arg-type]
        source=s.source,  # type: ignore[arg-type]
        art=s.art,  # type: ignore[arg-type]
        created_at=s.created_at,
        checked_at=s.checked_at,
        dateien=[_datei_out(d) for d in selectors.dateien(s)],
        probleme=[_problem_out(p) for p in selectors.probleme(s)],
    )


def _sees(request: TenantRequest) -> None:
    if request.tenant is None or not access.sees_batches(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für Scan-Dienstleister und die Poststelle.")


@router.post(
    "/posteingang/stapel",
    response={200: StapelOut, 201: StapelOut, 409: ProblemDocument, 422: ProblemDocument},
    summary="Scan-Stapel einliefern (Lieferschein und Dateien, multipart)",
    description=LIEFERSCHEIN_HELP,
)
def deliver_stapel(
    request: TenantRequest,
    lieferschein: File[UploadedFile],
    dateien: File[list[UploadedFile]],
) -> Status:
    if lieferschein.size and lieferschein.size > manifest.MAX_MANIFEST_BYTES:
        raise manifest.refused("Er ist größer als 1 MB.")
    delivery = services.deliver(
        actor=request.user,
        access=request.access,
        tenant=request.tenant,
        manifest_bytes=lieferschein.read(),
        files=[services.IncomingFile(name=f.name or "", stream=f) for f in dateien],
    )
    stapel = selectors.stapel(request.access, request.user.pk, request.tenant, delivery.stapel.pk)
    if stapel is None:  # delivered, but the account lost the right to see it meanwhile
        raise not_found("Dieser Stapel")
    return Status(201 if delivery.created else 200, _stapel_out(stapel))


@router.get(
    "/posteingang/stapel",
    response=StapelPage,
    summary="Scan-Stapel: die eigenen (Dienstleister) oder alle der Poststelle",
)
def list_stapel(request: TenantRequest, cursor: str | None = None, limit: int = 50) -> StapelPage:
    _sees(request)
    qs = selectors.visible_stapel(request.access, request.user.pk, request.tenant)
    rows, next_cursor = paginate(qs, cursor=cursor, limit=limit)
    return StapelPage(
        items=[
            StapelListItem(
                id=s.pk,
                batch_id=s.batch_id,
                provider=s.provider.username,
                scan_date=s.scan_date,
                state=s.state,
                source=s.source,
                file_count=s.file_count,
                problem_count=s.problem_count,
                created_at=s.created_at,
                checked_at=s.checked_at,
            )
            for s in rows
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/posteingang/stapel/{stapel_id}",
    response=StapelOut,
    summary="Status eines Scan-Stapels mit seinen Dateien und allen Problemen",
)
def get_stapel(request: TenantRequest, stapel_id: uuid.UUID) -> StapelOut:
    _sees(request)
    stapel = selectors.stapel(request.access, request.user.pk, request.tenant, stapel_id)
    if stapel is None:
        raise not_found("Dieser Stapel")
    return _stapel_out(stapel)
