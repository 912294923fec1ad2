"""API of triage (die Zuordnung) for the mail room and caseworkers: the waiting documents,
and the actions of the page (file into an Akte, not assignable, another team). A document
another person filed first answers 409 ``already_filed`` naming who and when."""

from __future__ import annotations

import uuid
from datetime import datetime

from ninja import Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.api.pagination import paginate
from koffer.api.problems import Problem as ProblemDocument
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.inbox import access
from koffer.inbox.klaerung import selectors, services
from koffer.inbox.models import Eingangsdokument
from koffer.inbox.verarbeitung.api import DokumentState

router = Router(tags=["Posteingang"])


class AkteVorschlag(Schema):
    akte_id: uuid.UUID
    vorgang_id: uuid.UUID | None
    confidence: float
    reasons: list[str]


class WartendesDokument(Schema):
    id: uuid.UUID
    stapel: uuid.UUID
    stapel_id: str
    datei: str
    seiten: list[int]
    state: DokumentState
    kind: str
    reason: str
    team: uuid.UUID
    vorschlaege: list[AkteVorschlag]
    created_at: datetime
    claimed_by: str | None
    akte: uuid.UUID | None
    dokument: uuid.UUID | None


class WartendePage(Schema):
    items: list[WartendesDokument]
    next_cursor: str | None


class Ablegen(Schema):
    akte: uuid.UUID


class NichtZuordenbar(Schema):
    grund: str


class Weitergeben(Schema):
    team: uuid.UUID


def _out(d: Eingangsdokument) -> WartendesDokument:
    return WartendesDokument(
        id=d.pk,
        stapel=d.stapel_id,
        stapel_id=d.stapel.batch_id,
        datei=d.datei.name,
        seiten=[p + 1 for p in d.pages],
        state=d.state,  # type: ignore[arg-type]
        kind=d.kind,
        reason=d.reason,
        team=d.unit_id,
        vorschlaege=[AkteVorschlag(**v) for v in d.vorschlaege],
        created_at=d.created_at,
        claimed_by=d.claimed_by.username if d.claimed_by else None,
        akte=d.akte_id,
        dokument=d.dokument_id,
    )


def _sorts(request: TenantRequest) -> None:
    if request.tenant is None or not access.sorts_post(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Poststelle und die Sachbearbeitung.")


def _doc(request: TenantRequest, eingang_id: uuid.UUID) -> Eingangsdokument:
    _sorts(request)
    doc = selectors.dokument(request.access, request.tenant, eingang_id)
    if doc is None:
        raise not_found("Dieses Dokument")
    return doc


@router.get(
    "/posteingang/zuordnung",
    response=WartendePage,
    summary="Dokumente, die auf eine Zuordnung warten (die eigenen Teams)",
)
def list_waiting(
    request: TenantRequest, cursor: str | None = None, limit: int = 50
) -> WartendePage:
    _sorts(request)
    rows, next_cursor = paginate(
        selectors.waiting(request.access, request.tenant), cursor=cursor, limit=limit
    )
    return WartendePage(items=[_out(d) for d in rows], next_cursor=next_cursor)


@router.post(
    "/posteingang/dokumente/{eingang_id}/ablegen",
    response={200: WartendesDokument, 409: ProblemDocument, 422: ProblemDocument},
    summary="Ein wartendes Dokument in eine Akte ablegen",
)
def file_waiting(request: TenantRequest, eingang_id: uuid.UUID, body: Ablegen) -> WartendesDokument:
    doc = _doc(request, eingang_id)
    akte = selectors.akte(request.tenant, body.akte)
    if akte is None:
        raise not_found("Diese Akte")
    filed = services.accept(actor=request.user, doc=doc, akte=akte)
    return _out(selectors.dokument(request.access, request.tenant, filed.pk) or filed)


@router.post(
    "/posteingang/dokumente/{eingang_id}/nicht-zuordenbar",
    response={200: WartendesDokument, 409: ProblemDocument, 422: ProblemDocument},
    summary="Ein wartendes Dokument als nicht zuzuordnen markieren (mit Grund)",
)
def mark_waiting(
    request: TenantRequest, eingang_id: uuid.UUID, body: NichtZuordenbar
) -> WartendesDokument:
    doc = _doc(request, eingang_id)
    done = services.mark_unassignable(actor=request.user, doc=doc, reason=body.grund)
    return _out(selectors.dokument(request.access, request.tenant, done.pk) or done)


@router.post(
    "/posteingang/dokumente/{eingang_id}/weitergeben",
    response={200: WartendesDokument, 409: ProblemDocument, 422: ProblemDocument},
    summary="Ein wartendes Dokument an ein anderes Team geben",
)
def hand_waiting(
    request: TenantRequest, eingang_id: uuid.UUID, body: Weitergeben
) -> WartendesDokument:
    doc = _doc(request, eingang_id)
    unit = next((t for t in selectors.teams(request.tenant) if t.pk == body.team), None)
    if unit is None:
        raise not_found("Dieses Team")
    done = services.hand_over(actor=request.user, doc=doc, unit=unit)
    # Handed to a team outside the actor's units, the document leaves its sight.
    return _out(selectors.dokument(request.access, request.tenant, done.pk) or done)
