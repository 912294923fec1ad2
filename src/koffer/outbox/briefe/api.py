"""API of letters: write a draft from a template, change it, release it (alone, or as the
second person where four eyes are needed), send it back, read it with its timeline.
Unknown and invisible both answer 404; a letter whose check finds problems answers 422
with every finding."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from ninja import Router, Schema, Status

from koffer.accounts.http import TenantRequest
from koffer.api.problems import Problem as ProblemDocument
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.outbox import access
from koffer.outbox.briefe import selectors, services
from koffer.outbox.models import Brief, Vorlage
from koffer.records import selectors as records

router = Router(tags=["Postausgang"])

BriefStatus = Literal[
    "entwurf",
    "zur_freigabe",
    "freigegeben",
    "bereitgestellt",
    "im_stapel",
    "abgeholt",
    "empfangen",
    "gedruckt",
    "versendet",
    "ausgehaendigt",
    "abgerufen",
    "unzustellbar",
    "verworfen",
]
BriefKanal = Literal["hybrid", "lokal", "persoenlich", "portal"]
BriefEinschreiben = Literal["", "einwurf", "rueckschein", "eigenhaendig"]


class BriefAnschrift(Schema):
    namen: list[str] = []
    strasse: str = ""
    ort: str = ""
    land: str = ""


class BriefBefund(Schema):
    code: str
    message: str
    feld: str = ""


class BriefEreignisOut(Schema):
    status: BriefStatus
    at: datetime
    detail: str


class BriefOut(Schema):
    id: uuid.UUID
    akte: uuid.UUID
    vorgang: uuid.UUID | None
    vorlage: str
    vorlagen_version: int
    status: BriefStatus
    betreff: str
    anschrift: BriefAnschrift
    eingaben: dict[str, str]
    kanal: BriefKanal
    einschreiben: BriefEinschreiben
    vier_augen: bool
    seiten: int
    portoklasse: str
    befunde: list[BriefBefund]
    dokument: uuid.UUID | None
    briefdatum: date | None
    versendet_am: date | None
    bekanntgabe_am: date | None
    verlauf: list[BriefEreignisOut]


class BriefNeu(Schema):
    akte: uuid.UUID
    vorlage: str  # the template's code
    vorgang: uuid.UUID | None = None
    empfaenger: uuid.UUID | None = None
    kanal: BriefKanal = "hybrid"
    eingaben: dict[str, str] = {}


class BriefAenderung(Schema):
    eingaben: dict[str, str] | None = None
    anschrift: BriefAnschrift | None = None
    kanal: BriefKanal | None = None
    einschreiben: BriefEinschreiben | None = None


class BriefZurueck(Schema):
    grund: str


class BriefUebergabe(Schema):
    am: date


# What a change of a letter can answer: the letter, or why not.
ANSWERS = {
    200: BriefOut,
    403: ProblemDocument,
    404: ProblemDocument,
    409: ProblemDocument,
    422: ProblemDocument,
}


def out(brief: Brief) -> BriefOut:
    a: dict[str, Any] = brief.anschrift or {}
    return BriefOut(
        id=brief.pk,
        akte=brief.akte_id,
        vorgang=brief.vorgang_id,
        vorlage=brief.version.vorlage.code,
        vorlagen_version=brief.version.nummer,
        status=brief.status,  # type: ignore[arg-type]
        betreff=brief.betreff,
        anschrift=BriefAnschrift(**a),
        eingaben=brief.eingaben,
        kanal=brief.kanal,  # type: ignore[arg-type]
        einschreiben=brief.einschreiben,  # type: ignore[arg-type]
        vier_augen=services.needs_second_person(brief),
        seiten=brief.seiten,
        portoklasse=brief.portoklasse,
        befunde=[BriefBefund(**b) for b in brief.befunde],
        dokument=brief.dokument_id,
        briefdatum=brief.briefdatum,
        versendet_am=brief.versendet_am,
        bekanntgabe_am=brief.bekanntgabe_am,
        verlauf=[
            BriefEreignisOut(status=e.status, at=e.at, detail=e.detail)  # type: ignore[arg-type]
            for e in selectors.verlauf(brief)
        ],
    )


def writer(request: TenantRequest) -> None:
    if request.tenant is None or not access.writes(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Sachbearbeitung.")


def brief_of(request: TenantRequest, brief_id: uuid.UUID) -> Brief:
    writer(request)
    brief = selectors.brief(request.access, request.user.pk, brief_id)
    if brief is None:
        raise not_found("Dieser Brief")
    return brief


@router.post(
    "/postausgang/briefe",
    response={201: BriefOut, 403: ProblemDocument, 404: ProblemDocument, 422: ProblemDocument},
    summary="Einen Brief aus einer Vorlage entwerfen",
)
def create_brief(request: TenantRequest, body: BriefNeu) -> Status:
    writer(request)
    akte = records.akte(records.Viewer.of(request), body.akte)
    if akte is None:
        raise not_found("Diese Akte")
    vorlage = Vorlage.objects.for_tenant(akte.tenant_id).filter(code=body.vorlage).first()
    if vorlage is None:
        raise not_found("Diese Vorlage")
    vorgang = records.akte_vorgaenge(akte).filter(pk=body.vorgang).first() if body.vorgang else None
    if body.vorgang and vorgang is None:
        raise not_found("Dieser Vorgang")
    person = next(
        (s.person for s in records.akte_subjekte(akte) if s.person_id == body.empfaenger), None
    )
    if body.empfaenger and person is None:
        raise not_found("Diese Person in der Akte")
    brief = services.entwerfen(
        actor=request.user,
        access=request.access,
        akte=akte,
        vorlage=vorlage,
        vorgang=vorgang,
        empfaenger=person,
        kanal=body.kanal,
    )
    if body.eingaben:
        brief = services.aendern(
            actor=request.user, access=request.access, brief=brief, eingaben=body.eingaben
        )
    return Status(201, out(brief_of(request, brief.pk)))


@router.get(
    "/postausgang/briefe/{brief_id}",
    response={200: BriefOut, 404: ProblemDocument},
    summary="Ein Brief mit Status und Verlauf",
)
def get_brief(request: TenantRequest, brief_id: uuid.UUID) -> BriefOut:
    brief = brief_of(request, brief_id)
    services.record_read(actor=request.user, brief=brief, purpose="Brief über die API gelesen")
    return out(brief)


@router.patch(
    "/postausgang/briefe/{brief_id}",
    response=ANSWERS,
    summary="Einen Briefentwurf ändern (Eingaben, Anschrift, Versandweg, Einschreiben)",
)
def change_brief(request: TenantRequest, brief_id: uuid.UUID, body: BriefAenderung) -> BriefOut:
    brief = brief_of(request, brief_id)
    services.aendern(
        actor=request.user,
        access=request.access,
        brief=brief,
        eingaben=body.eingaben,
        anschrift=body.anschrift.dict() if body.anschrift is not None else None,
        kanal=body.kanal,
        einschreiben=body.einschreiben,
    )
    return out(brief_of(request, brief_id))


@router.post(
    "/postausgang/briefe/{brief_id}/freigeben",
    response=ANSWERS,
    summary="Einen Brief freigeben: geprüft, in der Akte abgelegt und zum Versand bereit — "
    "oder, wo die Vorlage vier Augen verlangt, einer zweiten Person vorgelegt",
)
def release_brief(request: TenantRequest, brief_id: uuid.UUID) -> BriefOut:
    brief = brief_of(request, brief_id)
    if brief.status == Brief.Status.ZUR_FREIGABE:
        services.zweitfreigabe(actor=request.user, access=request.access, brief=brief)
    else:
        services.freigeben(actor=request.user, access=request.access, brief=brief)
    return out(brief_of(request, brief_id))


@router.post(
    "/postausgang/briefe/{brief_id}/zurueckgeben",
    response=ANSWERS,
    summary="Einen vorgelegten Brief mit Grund an die Verfasserin oder den Verfasser zurückgeben",
)
def send_back_brief(request: TenantRequest, brief_id: uuid.UUID, body: BriefZurueck) -> BriefOut:
    brief = brief_of(request, brief_id)
    services.zurueckgeben(actor=request.user, access=request.access, brief=brief, grund=body.grund)
    return out(brief_of(request, brief_id))


@router.post(
    "/postausgang/briefe/{brief_id}/uebergeben",
    response=ANSWERS,
    summary="Vermerken, dass ein freigegebener Brief persönlich übergeben oder selbst "
    "gedruckt und zur Post gegeben wurde",
)
def hand_over_brief(request: TenantRequest, brief_id: uuid.UUID, body: BriefUebergabe) -> BriefOut:
    brief = brief_of(request, brief_id)
    services.aushaendigen(actor=request.user, access=request.access, brief=brief, am=body.am)
    return out(brief_of(request, brief_id))
