"""API of FIT-Connect in the Posteingang: the Mandant's administration sets up a
destination (answered with the public keys to register at the Zustelldienst; the private
keys never leave the key folder) and lists them; the administration and the mail room
list the submissions fetched, with the decision and, for a rejection, the reason."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Router, Schema, Status

from koffer.accounts.http import TenantRequest
from koffer.api.pagination import paginate
from koffer.api.problems import Problem as ProblemDocument
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.inbox import access
from koffer.inbox.fitconnect import selectors, services
from koffer.inbox.models import FitConnectEinreichung, FitConnectZiel
from koffer.tenancy.models import Organisationseinheit

router = Router(tags=["Posteingang"])

FitConnectState = Literal["angenommen", "abgelehnt"]


class FitConnectZielOut(Schema):
    id: uuid.UUID
    destination_id: uuid.UUID
    name: str
    unit: uuid.UUID
    base_url: str
    token_url: str
    client_id: str
    encryption_kid: str
    signing_kid: str
    aktiv: bool
    polled_at: datetime | None
    poll_error: str


class FitConnectZielIn(Schema):
    destination_id: uuid.UUID
    name: str
    unit: uuid.UUID  # the Organisationseinheit whose Posteingang receives the submissions
    base_url: str  # the Zustelldienst's Submission API, without /v1
    token_url: str = ""
    client_id: str = ""
    client_secret: str = ""  # kept in the key folder, never in the database


class FitConnectSchluessel(Schema):
    verschluesselung: dict[str, Any]  # public JWK (RSA-OAEP-256) for the senders
    signaturpruefung: dict[str, Any]  # public JWK (PS512) to check koffer's events


class FitConnectZielAngelegt(Schema):
    ziel: FitConnectZielOut
    schluessel: FitConnectSchluessel


class FitConnectEinreichungOut(Schema):
    id: uuid.UUID
    ziel: uuid.UUID
    submission_id: uuid.UUID
    case_id: uuid.UUID
    state: FitConnectState
    problem: str | None  # FIT-Connect's problem type (rejected), e.g. hash-mismatch
    grund: str | None  # German
    stapel: uuid.UUID | None  # accepted: the Posteingang's batch
    created_at: datetime
    ereignis_gesendet_at: datetime | None


class FitConnectEinreichungPage(Schema):
    items: list[FitConnectEinreichungOut]
    next_cursor: str | None


def _configures(request: TenantRequest) -> None:
    if request.tenant is None or not access.configures(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Verwaltung des Mandanten.")


def _ziel_out(z: FitConnectZiel) -> FitConnectZielOut:
    return FitConnectZielOut(
        id=z.pk,
        destination_id=z.destination_id,
        name=z.name,
        unit=z.unit_id,
        base_url=z.base_url,
        token_url=z.token_url,
        client_id=z.client_id,
        encryption_kid=z.encryption_kid,
        signing_kid=z.signing_kid,
        aktiv=z.aktiv,
        polled_at=z.polled_at,
        poll_error=z.poll_error,
    )


def _einreichung_out(e: FitConnectEinreichung) -> FitConnectEinreichungOut:
    return FitConnectEinreichungOut(
        id=e.pk,
        ziel=e.ziel_id,
        submission_id=e.submission_id,
        case_id=e.case_id,
        state=e.state,  # type: ignore[arg-type]
        problem=e.problem or None,
        grund=e.grund or None,
        stapel=e.stapel_id,
        created_at=e.created_at,
        ereignis_gesendet_at=e.ereignis_gesendet_at,
    )


@router.get(
    "/posteingang/fitconnect/ziele",
    response=list[FitConnectZielOut],
    summary="FIT-Connect-Zustellpunkte des Mandanten",
)
def list_fitconnect_ziele(request: TenantRequest) -> list[FitConnectZielOut]:
    _configures(request)
    return [_ziel_out(z) for z in selectors.ziele(request.tenant)]


@router.post(
    "/posteingang/fitconnect/ziele",
    response={201: FitConnectZielAngelegt, 404: ProblemDocument, 409: ProblemDocument},
    summary="FIT-Connect-Zustellpunkt einrichten (neue Schlüssel; Antwort: die öffentlichen "
    "Schlüssel für den Zustelldienst)",
)
def create_fitconnect_ziel(request: TenantRequest, body: FitConnectZielIn) -> Status:
    _configures(request)
    unit = Organisationseinheit.objects.for_tenant(request.tenant).filter(pk=body.unit).first()
    if unit is None:
        raise not_found("Diese Organisationseinheit")
    angelegt = services.ziel_einrichten(
        actor=request.user,
        access=request.access,
        tenant=request.tenant,
        destination_id=body.destination_id,
        name=body.name,
        unit=unit,
        base_url=body.base_url,
        token_url=body.token_url,
        client_id=body.client_id,
        client_secret=body.client_secret,
    )
    return Status(
        201,
        FitConnectZielAngelegt(
            ziel=_ziel_out(angelegt.ziel),
            schluessel=FitConnectSchluessel(**angelegt.oeffentlich),
        ),
    )


@router.get(
    "/posteingang/fitconnect/einreichungen",
    response=FitConnectEinreichungPage,
    summary="Über FIT-Connect eingegangene Einreichungen: angenommen (mit Stapel) oder "
    "abgelehnt (mit Grund)",
)
def list_fitconnect_einreichungen(
    request: TenantRequest, cursor: str | None = None, limit: int = 50
) -> FitConnectEinreichungPage:
    if request.tenant is None or not (
        access.configures(request.access, request.tenant)
        or access.processes(request.access, request.tenant)
    ):
        raise Forbidden("forbidden", "Nur für die Poststelle und die Verwaltung des Mandanten.")
    rows, next_cursor = paginate(
        selectors.einreichungen(request.access, request.tenant), cursor=cursor, limit=limit
    )
    return FitConnectEinreichungPage(
        items=[_einreichung_out(e) for e in rows], next_cursor=next_cursor
    )
