"""API of the migration from the previous specialist software, for the Mandant's
administration (``tenancy.manage``): the export's files checked in a dry run, the import
started as a job, the run's state and counts, its rejected rows. Unknown runs answer 404;
the format of the files is ``docs/migration-csv.md``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from ninja import File, Form, Router, Schema, Status, UploadedFile

from koffer.accounts.http import TenantRequest
from koffer.api.pagination import paginate
from koffer.api.problems import Problem as ProblemDocument
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.inbox import access
from koffer.inbox.migration import selectors, services
from koffer.inbox.models import Importlauf
from koffer.tenancy.models import Organisationseinheit

router = Router(tags=["Posteingang"])

# A Literal, not the model's TextChoices: ninja names an enum schema after its class.
ImportlaufState = Literal["geprueft", "wartet", "laeuft", "fertig"]

FORMAT_HELP = """
Bis zu drei CSV-Dateien (Felder `personen`, `bedarfsgemeinschaften`, `akten`), erkannt an
ihrer Kopfzeile; Trennzeichen `;`, UTF-8 (mit oder ohne BOM) oder Windows-1252, Datum
`TT.MM.JJJJ`. Die Spalten beschreibt `docs/migration-csv.md`. Der Probelauf ändert nichts
außer dem Importlauf selbst; sein Ergebnis und die abgelehnten Zeilen stehen im Importlauf,
den `…/start` dann importiert. `einheit`: die Organisationseinheit für Akten, deren Zeile
keine nennt.
"""


class ImportZahlen(Schema):
    neu: int
    geaendert: int
    unveraendert: int
    abgelehnt: int


class ImportlaufOut(Schema):
    id: uuid.UUID
    state: ImportlaufState
    created_at: datetime
    finished_at: datetime | None
    dateien: list[str]
    einheit: uuid.UUID | None
    zeilen: int
    probelauf: ImportZahlen
    ergebnis: ImportZahlen | None  # None until the import was started
    zeilen_erledigt: int
    job: uuid.UUID | None


class ImportAblehnung(Schema):
    datei: str
    zeile: int
    spalte: str
    wert: str
    grund: str


class ImportAblehnungPage(Schema):
    items: list[ImportAblehnung]
    next_cursor: str | None


def _zahlen(counts: dict[str, object]) -> ImportZahlen:
    def n(key: str) -> int:
        value = counts.get(key, 0)
        return value if isinstance(value, int) else 0

    return ImportZahlen(
        neu=n("neu"),
        geaendert=n("geaendert"),
        unveraendert=n("unveraendert"),
        abgelehnt=n("abgelehnt"),
    )


def _out(lauf: Importlauf) -> ImportlaufOut:
    started = lauf.state != Importlauf.State.GEPRUEFT
    return ImportlaufOut(
        id=lauf.pk,
        state=lauf.state,  # type: ignore[arg-type]
        created_at=lauf.created_at,
        finished_at=lauf.finished_at,
        dateien=[name for name, _, _ in selectors.file_names(lauf)],
        einheit=lauf.default_unit_id,
        zeilen=lauf.rows_total,
        probelauf=_zahlen(lauf.probelauf),
        ergebnis=ImportZahlen(
            neu=lauf.created,
            geaendert=lauf.updated,
            unveraendert=lauf.unchanged,
            abgelehnt=lauf.rejected,
        )
        if started
        else None,
        zeilen_erledigt=lauf.rows_done,
        job=lauf.job_id,
    )


def _migrates(request: TenantRequest) -> None:
    if request.tenant is None or not access.migrates(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Verwaltung des Mandanten.")


def _lauf(request: TenantRequest, lauf_id: uuid.UUID) -> Importlauf:
    _migrates(request)
    found = selectors.lauf(request.tenant, lauf_id)
    if found is None:
        raise not_found("Dieser Importlauf")
    return found


@router.post(
    "/posteingang/migration",
    response={201: ImportlaufOut, 422: ProblemDocument},
    summary="Migrationsdateien im Probelauf prüfen (multipart)",
    description=FORMAT_HELP,
)
def check_migration(
    request: TenantRequest,
    personen: File[UploadedFile | None] = None,
    bedarfsgemeinschaften: File[UploadedFile | None] = None,
    akten: File[UploadedFile | None] = None,
    einheit: Form[uuid.UUID | None] = None,
) -> Status:
    _migrates(request)
    unit = None
    if einheit is not None:
        unit = Organisationseinheit.objects.for_tenant(request.tenant).filter(pk=einheit).first()
        if unit is None:
            raise not_found("Diese Organisationseinheit")
    uploads = [
        services.Upload(f.name or name, f.read())
        for name, f in (
            ("personen.csv", personen),
            ("bedarfsgemeinschaften.csv", bedarfsgemeinschaften),
            ("akten.csv", akten),
        )
        if f is not None
    ]
    lauf = services.check_import(
        actor=request.user,
        access=request.access,
        tenant=request.tenant,
        uploads=uploads,
        default_unit=unit,
    )
    return Status(201, _out(_lauf(request, lauf.pk)))


@router.get(
    "/posteingang/migration/{lauf_id}",
    response=ImportlaufOut,
    summary="Ein Importlauf: Stand, Ergebnis des Probelaufs und des Imports",
)
def get_migration(request: TenantRequest, lauf_id: uuid.UUID) -> ImportlaufOut:
    return _out(_lauf(request, lauf_id))


@router.post(
    "/posteingang/migration/{lauf_id}/start",
    response={200: ImportlaufOut, 409: ProblemDocument},
    summary="Den Import eines geprüften Importlaufs starten (Hintergrundauftrag)",
)
def start_migration(request: TenantRequest, lauf_id: uuid.UUID) -> ImportlaufOut:
    lauf = _lauf(request, lauf_id)
    services.start_import(actor=request.user, access=request.access, lauf=lauf)
    return _out(_lauf(request, lauf_id))


@router.get(
    "/posteingang/migration/{lauf_id}/abgelehnt",
    response=ImportAblehnungPage,
    summary="Abgelehnte Zeilen eines Importlaufs (des Probelaufs mit probelauf=true)",
)
def migration_rejections(
    request: TenantRequest,
    lauf_id: uuid.UUID,
    probelauf: bool = False,
    cursor: str | None = None,
    limit: int = 100,
) -> ImportAblehnungPage:
    lauf = _lauf(request, lauf_id)
    services.record_rejections_read(
        actor=request.user, lauf=lauf, probelauf=probelauf, purpose="API"
    )
    rows, next_cursor = paginate(
        selectors.ablehnungen(lauf, probelauf=probelauf), cursor=cursor, limit=limit
    )
    return ImportAblehnungPage(
        items=[
            ImportAblehnung(
                datei=a.datei, zeile=a.zeile, spalte=a.spalte, wert=a.wert, grund=a.grund
            )
            for a in rows
        ],
        next_cursor=next_cursor,
    )
