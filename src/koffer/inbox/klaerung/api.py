"""API of triage (die Zuordnung) for the mail room and caseworkers: the waiting documents,
and the actions of the page (file into an Akte, not assignable, another team; split,
merge, turn a page). A document another person filed first answers 409 ``already_filed``
naming who and when; a change of pages while another person has the document open
(``claimed_by_other``) or while it is re-recognised (``being_recognised``) answers 409,
a page it does not have 422 ``invalid_page``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema

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
    wird_neu_erkannt: bool
    drehungen: dict[str, int]  # page in the file (from 1) -> degrees clockwise, by hand
    zusammengefuehrt_in: uuid.UUID | None


class WartendePage(Schema):
    items: list[WartendesDokument]
    next_cursor: str | None


class Ablegen(Schema):
    akte: uuid.UUID


class NichtZuordenbar(Schema):
    grund: str


class Weitergeben(Schema):
    team: uuid.UUID


class KlaerungTeilen(Schema):
    seite: int = Field(description="Die erste Seite des neuen Dokuments (ab 2, wie gelesen)")


class KlaerungZusammenfuehren(Schema):
    eingang_id: uuid.UUID = Field(description="Das andere wartende Dokument derselben Datei")


class KlaerungDrehen(Schema):
    seite: int = Field(description="Die Seite des Dokuments (ab 1)")
    grad: Literal[90, 180, 270] = Field(description="Im Uhrzeigersinn")


class KlaerungGeteilt(Schema):
    dokument: WartendesDokument  # the pages before
    abgetrennt: WartendesDokument  # the new document: the chosen page and the rest


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
        wird_neu_erkannt=d.rework_job_id is not None,
        drehungen={str(int(p) + 1): int(g) for p, g in d.turns.items()},
        zusammengefuehrt_in=d.merged_into_id,
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
    return _fresh(request, services.accept(actor=request.user, doc=doc, akte=akte))


@router.post(
    "/posteingang/dokumente/{eingang_id}/nicht-zuordenbar",
    response={200: WartendesDokument, 409: ProblemDocument, 422: ProblemDocument},
    summary="Ein wartendes Dokument als nicht zuzuordnen markieren (mit Grund)",
)
def mark_waiting(
    request: TenantRequest, eingang_id: uuid.UUID, body: NichtZuordenbar
) -> WartendesDokument:
    doc = _doc(request, eingang_id)
    return _fresh(
        request, services.mark_unassignable(actor=request.user, doc=doc, reason=body.grund)
    )


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
    # Handed to a team outside the actor's units, the document leaves its sight.
    return _fresh(request, services.hand_over(actor=request.user, doc=doc, unit=unit))


def _fresh(request: TenantRequest, doc: Eingangsdokument) -> WartendesDokument:
    """The document as the actor sees it now (as it was, once it left the actor's sight)."""
    return _out(selectors.dokument(request.access, request.tenant, doc.pk) or doc)


@router.post(
    "/posteingang/dokumente/{eingang_id}/teilen",
    response={200: KlaerungGeteilt, 409: ProblemDocument, 422: ProblemDocument},
    summary="Ein wartendes Dokument vor einer Seite teilen (beide Teile werden neu erkannt)",
)
def split_waiting(
    request: TenantRequest, eingang_id: uuid.UUID, body: KlaerungTeilen
) -> KlaerungGeteilt:
    doc = _doc(request, eingang_id)
    new = services.split(actor=request.user, doc=doc, page=body.seite)
    return KlaerungGeteilt(dokument=_fresh(request, doc), abgetrennt=_fresh(request, new))


@router.post(
    "/posteingang/dokumente/{eingang_id}/zusammenfuehren",
    response={200: WartendesDokument, 409: ProblemDocument, 422: ProblemDocument},
    summary="Ein anderes wartendes Dokument derselben Datei anfügen (wird neu erkannt)",
)
def merge_waiting(
    request: TenantRequest, eingang_id: uuid.UUID, body: KlaerungZusammenfuehren
) -> WartendesDokument:
    doc = _doc(request, eingang_id)
    other = selectors.dokument(request.access, request.tenant, body.eingang_id)
    if other is None:
        raise not_found("Das andere Dokument")
    return _fresh(request, services.merge(actor=request.user, doc=doc, other=other))


@router.post(
    "/posteingang/dokumente/{eingang_id}/drehen",
    response={200: WartendesDokument, 409: ProblemDocument, 422: ProblemDocument},
    summary="Eine Seite eines wartenden Dokuments drehen (wird neu erkannt)",
)
def turn_waiting(
    request: TenantRequest, eingang_id: uuid.UUID, body: KlaerungDrehen
) -> WartendesDokument:
    doc = _doc(request, eingang_id)
    done = services.turn(actor=request.user, doc=doc, page=body.seite, degrees=body.grad)
    return _fresh(request, done)
