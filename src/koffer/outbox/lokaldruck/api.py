"""API of local printing: the printers a writer may print on, printing a released local
letter (a job; its reference comes back at once), and „zur Post gegeben am“ for a letter
the office printed. Unknown and invisible both answer 404; errors are problem+json."""

from __future__ import annotations

import uuid
from datetime import date

from ninja import Router, Schema, Status

from koffer.accounts.http import TenantRequest
from koffer.api.problems import Problem as ProblemDocument
from koffer.api.problems import not_found
from koffer.outbox.briefe import api as briefe_api
from koffer.outbox.briefe import services as brief_services
from koffer.outbox.errors import Conflict
from koffer.outbox.lokaldruck import selectors, services
from koffer.outbox.models import Brief

router = Router(tags=["Postausgang"])


class DruckerOut(Schema):
    id: uuid.UUID
    name: str
    uri: str
    duplex: bool
    unit: uuid.UUID | None


class DruckenIn(Schema):
    drucker: uuid.UUID
    nochmals: bool = False
    grund: str = ""


class DruckauftragOut(Schema):
    id: uuid.UUID
    brief: uuid.UUID
    drucker: uuid.UUID
    status: str
    job: uuid.UUID | None
    nochmals: bool
    meldung: str


class VersendetIn(Schema):
    versendet_am: date


@router.get(
    "/postausgang/drucker",
    response={200: list[DruckerOut], 403: ProblemDocument},
    summary="Die aktiven Drucker, auf denen man Briefe drucken darf",
)
def list_drucker(request: TenantRequest) -> list[DruckerOut]:
    briefe_api.writer(request)
    return [
        DruckerOut(id=d.pk, name=d.name, uri=d.uri, duplex=d.duplex, unit=d.unit_id)
        for d in selectors.nutzbare_drucker(request.access)
    ]


@router.post(
    "/postausgang/briefe/{brief_id}/drucken",
    response={
        202: DruckauftragOut,
        403: ProblemDocument,
        404: ProblemDocument,
        409: ProblemDocument,
        422: ProblemDocument,
    },
    summary="Einen freigegebenen Brief (selbst drucken) auf einem Drucker drucken: ein "
    "Auftrag im Hintergrund; ein schon gedruckter Brief nur mit nochmals und Grund",
)
def print_brief(request: TenantRequest, brief_id: uuid.UUID, body: DruckenIn) -> Status:
    brief = briefe_api.brief_of(request, brief_id)
    drucker = selectors.drucker_of(brief.tenant_id, body.drucker)
    if drucker is None:
        raise not_found("Dieser Drucker")
    auftrag = services.drucken(
        actor=request.user,
        access=request.access,
        ziel=brief,
        drucker=drucker,
        nochmals=body.nochmals,
        grund=body.grund,
    )
    return Status(
        202,
        DruckauftragOut(
            id=auftrag.pk,
            brief=brief.pk,
            drucker=drucker.pk,
            status=auftrag.status,
            job=auftrag.job_id,
            nochmals=auftrag.nochmals,
            meldung=auftrag.meldung,
        ),
    )


@router.post(
    "/postausgang/briefe/{brief_id}/versendet",
    response=briefe_api.ANSWERS,
    summary="Vermerken, dass ein selbst gedruckter Brief zur Post gegeben wurde: setzt "
    "Bekanntgabe und bei Bescheiden die Widerspruchsfrist",
)
def post_brief(request: TenantRequest, brief_id: uuid.UUID, body: VersendetIn) -> object:
    brief = briefe_api.brief_of(request, brief_id)
    if brief.kanal != Brief.Kanal.LOKAL:
        raise Conflict("brief_not_local", "Nur ein selbst gedruckter Brief wird so vermerkt.")
    brief_services.aushaendigen(
        actor=request.user, access=request.access, brief=brief, am=body.versendet_am
    )
    return briefe_api.out(briefe_api.brief_of(request, brief_id))
