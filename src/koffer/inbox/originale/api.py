"""API of the paper originals: a batch's register (provider and mail room), marking an
original „aufbewahren“ or under a legal hold (mail room and caseworkers), destruction
lists (the provider its own, the mail room its units'; the mail room makes them), the
provider's confirmation and the PDF protocol. Unknown and invisible both answer 404."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from koffer.accounts.http import TenantRequest
from koffer.api.files import file_download
from koffer.api.pagination import paginate
from koffer.api.problems import Problem as ProblemDocument
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.inbox import access
from koffer.inbox.klaerung import selectors as klaerung
from koffer.inbox.lieferung import selectors as lieferung
from koffer.inbox.models import Eingangsdokument, Stapel, Vernichtungseintrag, Vernichtungsliste
from koffer.inbox.originale import download, selectors, services

router = Router(tags=["Posteingang"])

# Literals, not the models' TextChoices: ninja names an enum schema after its class.
VernichtungslisteState = Literal["offen", "bestaetigt"]
VernichtungseintragState = Literal["offen", "vernichtet", "zurueckgezogen", "nicht_vernichtet"]

LISTE_HELP = """
Eine Vernichtungsliste nennt die Papieroriginale aus Stapeln eines Dienstleisters, die
vernichtet werden dürfen: acht Wochen (oder die Wochen ihrer Dokumentart) nach der
bestandenen Prüfung des Stapels. Die Liste bleibt, wie sie erstellt wurde; der Zustand
jedes Eintrags kann sich ändern: `zurueckgezogen` heißt, das Original wurde danach als
„Original aufbewahren“ markiert oder gesperrt und darf **nicht** vernichtet werden.
"""


class OriginalZeile(Schema):
    datei: str
    dokument: uuid.UUID | None
    seiten: list[int]
    vernichtbar_ab: date | None
    status: str
    aufbewahren: bool
    rechtliche_sperre: bool
    vernichtungsliste: uuid.UUID | None


class OriginaleOut(Schema):
    stapel: uuid.UUID
    stapel_id: str
    originale: list[OriginalZeile]


class OriginalAufbewahren(Schema):
    grund: str
    rechtliche_sperre: bool = False


class VernichtungseintragOut(Schema):
    id: uuid.UUID
    position: int
    stapel: uuid.UUID
    stapel_id: str
    datei: str
    seiten: list[int]
    scan_datum: date
    vernichtbar_ab: date
    state: VernichtungseintragState
    grund: str


class VernichtungslisteItem(Schema):
    id: uuid.UUID
    nummer: str
    provider: str
    state: VernichtungslisteState
    eintraege: int
    created_at: datetime
    destroyed_at: datetime | None


class VernichtungslistePage(Schema):
    items: list[VernichtungslisteItem]
    next_cursor: str | None


class VernichtungslisteOut(Schema):
    id: uuid.UUID
    nummer: str
    provider: str
    state: VernichtungslisteState
    created_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None
    destroyed_by: str
    destroyed_at: datetime | None
    protokoll: bool
    eintraege: list[VernichtungseintragOut]


class NichtVernichtet(Schema):
    eintrag: uuid.UUID
    grund: str


class Vernichtungsbestaetigung(Schema):
    vernichtet_von: str = Field(description="Wer die Originale vernichtet hat")
    vernichtet_am: datetime = Field(description="Wann (nicht in der Zukunft)")
    nicht_vernichtet: list[NichtVernichtet] = Field(
        default_factory=list,
        description="Einträge, die nicht vernichtet werden konnten, mit Grund",
    )


def _liste_out(liste: Vernichtungsliste) -> VernichtungslisteOut:
    return VernichtungslisteOut(
        id=liste.pk,
        nummer=liste.label,
        provider=liste.provider.username,
        state=liste.state,  # type: ignore[arg-type]
        created_at=liste.created_at,
        confirmed_at=liste.confirmed_at,
        confirmed_by=liste.confirmed_by.username if liste.confirmed_by else None,
        destroyed_by=liste.destroyed_by,
        destroyed_at=liste.destroyed_at,
        protokoll=bool(liste.protocol_sha256),
        eintraege=[_eintrag_out(e) for e in selectors.eintraege(liste)],
    )


def _originale_out(stapel: Stapel, rows: list[selectors.Zeile]) -> OriginaleOut:
    return OriginaleOut(
        stapel=stapel.pk,
        stapel_id=stapel.batch_id,
        originale=[
            OriginalZeile(
                datei=z.datei.name,
                dokument=z.dokument.pk if z.dokument else None,
                seiten=[p + 1 for p in z.dokument.pages] if z.dokument else [],
                vernichtbar_ab=z.due,
                status=z.status,
                aufbewahren=bool(z.original and z.original.aufbewahren),
                rechtliche_sperre=bool(z.original and z.original.sperre),
                vernichtungsliste=z.eintrag.liste_id if z.eintrag else None,
            )
            for z in rows
        ],
    )


def _eintrag_out(e: Vernichtungseintrag) -> VernichtungseintragOut:
    return VernichtungseintragOut(
        id=e.pk,
        position=e.position,
        stapel=e.stapel_id,
        stapel_id=e.stapel.batch_id,
        datei=e.dokument.datei.name,
        seiten=[p + 1 for p in e.dokument.pages],
        scan_datum=e.stapel.scan_date,
        vernichtbar_ab=e.due,
        state=e.state,  # type: ignore[arg-type]
        grund=e.reason,
    )


def _sees(request: TenantRequest) -> None:
    if request.tenant is None or not access.sees_batches(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für Scan-Dienstleister und die Poststelle.")


def _liste(request: TenantRequest, liste_id: uuid.UUID) -> Vernichtungsliste:
    _sees(request)
    liste = selectors.liste(request.access, request.user.pk, request.tenant, liste_id)
    if liste is None:
        raise not_found("Diese Vernichtungsliste")
    return liste


@router.get(
    "/posteingang/stapel/{stapel_id}/originale",
    response=OriginaleOut,
    summary="Papieroriginale eines Scan-Stapels mit dem Tag, ab dem sie vernichtet werden dürfen",
)
def list_originale(request: TenantRequest, stapel_id: uuid.UUID) -> OriginaleOut:
    _sees(request)
    stapel = lieferung.stapel(request.access, request.user.pk, request.tenant, stapel_id)
    if stapel is None:
        raise not_found("Dieser Stapel")
    return _originale_out(stapel, selectors.register(stapel))


@router.post(
    "/posteingang/dokumente/{eingang_id}/original-aufbewahren",
    response={200: OriginaleOut, 409: ProblemDocument, 422: ProblemDocument},
    summary="Das Papieroriginal eines Dokuments aufbewahren oder rechtlich sperren (mit Grund)",
)
def keep_original(
    request: TenantRequest, eingang_id: uuid.UUID, body: OriginalAufbewahren
) -> OriginaleOut:
    doc = _kept_document(request, eingang_id)
    services.keep_original(
        actor=request.user, doc=doc, reason=body.grund, sperre=body.rechtliche_sperre
    )
    return _originale_out(doc.stapel, [selectors.zeile(doc)])


@router.post(
    "/posteingang/dokumente/{eingang_id}/original-aufbewahrung-beenden",
    response={200: OriginaleOut, 409: ProblemDocument, 422: ProblemDocument},
    summary="„Original aufbewahren“ oder (rechtliche_sperre) die rechtliche Sperre eines "
    "Papieroriginals aufheben (mit Grund); danach kommt es wieder auf eine Vernichtungsliste",
)
def lift_keep(
    request: TenantRequest, eingang_id: uuid.UUID, body: OriginalAufbewahren
) -> OriginaleOut:
    doc = _kept_document(request, eingang_id)
    services.lift_keep(
        actor=request.user, doc=doc, reason=body.grund, sperre=body.rechtliche_sperre
    )
    return _originale_out(doc.stapel, [selectors.zeile(doc)])


def _kept_document(request: TenantRequest, eingang_id: uuid.UUID) -> Eingangsdokument:
    if request.tenant is None or not access.sorts_post(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Poststelle und die Sachbearbeitung.")
    doc = klaerung.dokument(request.access, request.tenant, eingang_id)
    if doc is None:
        raise not_found("Dieses Dokument")
    return doc


@router.get(
    "/posteingang/vernichtungslisten",
    response=VernichtungslistePage,
    summary="Vernichtungslisten: die eigenen (Dienstleister) oder die der Poststelle",
    description=LISTE_HELP,
)
def list_vernichtungslisten(
    request: TenantRequest, cursor: str | None = None, limit: int = 50
) -> VernichtungslistePage:
    _sees(request)
    rows, next_cursor = paginate(
        selectors.listen(request.access, request.user.pk, request.tenant),
        cursor=cursor,
        limit=limit,
    )
    return VernichtungslistePage(
        items=[
            VernichtungslisteItem(
                id=v.pk,
                nummer=v.label,
                provider=v.provider.username,
                state=v.state,
                eintraege=v.entry_count,
                created_at=v.created_at,
                destroyed_at=v.destroyed_at,
            )
            for v in rows
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/posteingang/vernichtungslisten",
    response={201: list[VernichtungslisteOut], 409: ProblemDocument},
    summary="Vernichtungslisten der fälligen Papieroriginale erstellen (Poststelle)",
    description="Je Dienstleister eine Liste; ist nichts fällig, eine leere Antwort.",
)
def create_vernichtungslisten(request: TenantRequest) -> Status:
    if request.tenant is None or not access.processes(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Poststelle.")
    made = services.create_lists(
        actor=request.user,
        tenant=request.tenant,
        due=selectors.due_for_mail_room(request.access, request.tenant),
    )
    return Status(
        201,
        [
            _liste_out(selectors.liste(request.access, request.user.pk, request.tenant, v.pk) or v)
            for v in made
        ],
    )


@router.get(
    "/posteingang/vernichtungslisten/{liste_id}",
    response=VernichtungslisteOut,
    summary="Eine Vernichtungsliste mit ihren Einträgen",
    description=LISTE_HELP,
)
def get_vernichtungsliste(request: TenantRequest, liste_id: uuid.UUID) -> VernichtungslisteOut:
    return _liste_out(_liste(request, liste_id))


@router.post(
    "/posteingang/vernichtungslisten/{liste_id}/bestaetigung",
    response={200: VernichtungslisteOut, 409: ProblemDocument, 422: ProblemDocument},
    summary="Die Vernichtung bestätigen (Dienstleister): wer, wann, was nicht",
    description="Dieselbe Bestätigung noch einmal ergibt dieselbe Antwort; eine andere "
    "ergibt 409 `already_confirmed`. Zurückgezogene Einträge gelten nie als vernichtet.",
)
def confirm_vernichtungsliste(
    request: TenantRequest, liste_id: uuid.UUID, body: Vernichtungsbestaetigung
) -> VernichtungslisteOut:
    liste = _liste(request, liste_id)
    if liste.provider_id != request.user.pk or not access.delivers(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur der Dienstleister der Liste bestätigt die Vernichtung.")
    done = services.confirm(
        actor=request.user,
        liste=liste,
        destroyed_by=body.vernichtet_von,
        destroyed_at=body.vernichtet_am,
        not_destroyed={n.eintrag: n.grund for n in body.nicht_vernichtet},
    )
    return _liste_out(
        selectors.liste(request.access, request.user.pk, request.tenant, done.pk) or done
    )


@router.get(
    "/posteingang/vernichtungslisten/{liste_id}/protokoll",
    summary="Das Vernichtungsprotokoll (PDF) einer bestätigten Liste",
    response={200: None, 409: ProblemDocument},
    openapi_extra=file_download("Das Vernichtungsprotokoll", "application/pdf"),
)
def vernichtungsprotokoll(request: TenantRequest, liste_id: uuid.UUID) -> HttpResponse:
    liste = _liste(request, liste_id)
    if liste.state != Vernichtungsliste.State.BESTAETIGT:
        raise services.not_confirmed(liste)
    return download.protocol_response(liste)
