"""API of the Rückscan for the mail room and the administration: Deckblätter as one PDF
(for named Akten, or every open Akte of a unit, which plans them for the Rückscan), and
the rollout per Standort. An Akte the caller may not read answers 404, like one that does
not exist."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from ninja import Router, Schema
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.api.files import file_download
from koffer.api.problems import Problem
from koffer.errors import Forbidden
from koffer.inbox import access
from koffer.inbox.rueckscan import files, selectors, services

router = Router(tags=["Posteingang"])


class RueckscanDeckblaetterIn(Schema):
    akten: list[uuid.UUID] = Field(default_factory=list, max_length=selectors.MAX_SHEETS)
    einheit: uuid.UUID | None = Field(
        None, description="Dazu jede offene, lesbare Akte dieser Einheit und darunter"
    )


class RueckscanStandort(Schema):
    standort: uuid.UUID | None
    name: str
    geplant: int
    gescannt: int
    offen: int
    probleme: int
    importiert: int | None


def _plans(request: TenantRequest) -> None:
    if request.tenant is None or not access.plans_rueckscan(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Poststelle und die Administration.")


@router.post(
    "/posteingang/rueckscan/deckblaetter",
    summary="Rückscan-Deckblätter als ein PDF drucken (plant die Akten für den Rückscan)",
    response={200: None, 403: Problem, 404: Problem, 422: Problem},
    openapi_extra=file_download("Die Deckblätter als PDF, ein Blatt je Akte", "application/pdf"),
)
def print_deckblaetter(request: TenantRequest, body: RueckscanDeckblaetterIn) -> HttpResponse:
    _plans(request)
    data = services.print_deckblaetter(
        actor=request.user,
        access=request.access,
        tenant=request.tenant,
        akte_ids=body.akten,
        unit_id=body.einheit,
    )
    return files.pdf_response(data)


@router.get(
    "/posteingang/rueckscan/stand",
    response={200: list[RueckscanStandort], 403: Problem},
    summary="Stand des Rückscans je Standort",
)
def get_stand(request: TenantRequest) -> list[RueckscanStandort]:
    _plans(request)
    return [
        RueckscanStandort(
            standort=s.standort_id,
            name=s.name,
            geplant=s.geplant,
            gescannt=s.gescannt,
            offen=s.offen,
            probleme=s.probleme,
            importiert=s.importiert,
        )
        for s in selectors.rollout(request.tenant)
    ]
