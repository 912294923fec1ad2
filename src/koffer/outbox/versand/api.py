"""API of the dispatch. Print providers (machine accounts with ``outbox.fetch``) list the
batches waiting for them, fetch a batch's ZIP, confirm it and report per letter;
caseworkers and the mail room read a letter's status and timeline. Unknown and
invisible both answer 404."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from django.http import FileResponse
from ninja import Field, Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.api.files import file_download
from koffer.api.problems import Problem as ProblemDocument
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.outbox import access
from koffer.outbox.models import Brief, Druckdienst, Versandstapel
from koffer.outbox.versand import selectors, services
from koffer.tenancy.models import Mandant

router = Router(tags=["Postausgang"])

# Literals, not the models' TextChoices: ninja names an enum schema after its class.
VersandstapelStatus = Literal["offen", "bereit", "abgeholt", "bestaetigt", "uebernommen"]
VersandMeldeStatus = Literal["empfangen", "gedruckt", "versendet", "unzustellbar"]

DRUCK_HELP = """
Für Druckdienste (Maschinenkonto mit `outbox.fetch`). Zu jedem Annahmeschluss entsteht
ein Versandstapel: eine ZIP-Datei mit den PDFs der Briefe und `manifest.json` (je Brief
`id`, `datei`, `seiten`, `blaetter`, `druck` simplex/duplex, `farbe`, `anlagen`,
`gewicht_g`, `portoklasse`, `einschreiben`). Wer einen Stapel nicht rechtzeitig
bestätigt, verliert ihn an den nächsten Druckdienst: danach antwortet jeder Aufruf zu
diesem Stapel und seinen Briefen mit 409 `uebernommen` — diese Briefe nicht drucken.
Statt über die API kann ein Druckdienst über einen Ablageordner arbeiten (ZIP-Dateien in
`ausgang/`, Quittungen und Meldungen als JSON-Dateien in `eingang/`): siehe
`docs/druckdienst-ablage.md`.
"""


class VersandstapelOut(Schema):
    id: uuid.UUID
    nummer: str
    status: VersandstapelStatus
    annahmeschluss: datetime
    briefe: int
    zip_sha256: str
    zip_groesse: int
    erstellt: datetime
    bestaetigt: datetime | None


class VersandstapelListe(Schema):
    items: list[VersandstapelOut]


class VersandMeldung(Schema):
    ereignis_id: str = Field(description="Eindeutige Kennung dieser Meldung beim Druckdienst")
    status: VersandMeldeStatus
    zeitpunkt: datetime | None = Field(None, description="Wann es geschah (sonst: jetzt)")
    versanddatum: date | None = Field(None, description="Bei `versendet`: Tag der Einlieferung")
    grund: str = Field("", description="Bei `unzustellbar`: warum")


class VersandEreignisOut(Schema):
    status: str
    status_text: str
    zeitpunkt: datetime
    erfasst: datetime
    detail: str


class VersandBriefStatus(Schema):
    id: uuid.UUID
    status: str
    status_text: str
    kanal: str
    versendet_am: date | None
    bekanntgabe_am: date | None
    unzustellbar_grund: str
    versandstapel: str | None
    ereignisse: list[VersandEreignisOut]


def _stapel_out(s: Versandstapel) -> VersandstapelOut:
    return VersandstapelOut(
        id=s.pk,
        nummer=s.nummer,
        status=s.status,  # type: ignore[arg-type]
        annahmeschluss=s.schluss,
        briefe=s.briefe_anzahl,
        zip_sha256=s.zip_sha256,
        zip_groesse=s.zip_size,
        erstellt=s.created_at,
        bestaetigt=s.bestaetigt_at,
    )


def _dienst(request: TenantRequest) -> Druckdienst:
    if request.tenant is None or not access.fetches(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für Druckdienste.")
    dienst = services.druckdienst_of(request.tenant.pk, request.user)
    if dienst is None:
        raise Forbidden("forbidden", "Dieses Konto ist als Druckdienst nicht eingerichtet.")
    return dienst


def _mandant(request: TenantRequest) -> Mandant:
    if request.tenant is None:
        raise not_found("Dieser Versandstapel oder Brief")
    return request.tenant


def brief_status(brief: Brief) -> VersandBriefStatus:
    zustellung = selectors.zustellung(brief)
    row = selectors.current_batch(brief)
    return VersandBriefStatus(
        id=brief.pk,
        status=brief.status,
        status_text=brief.get_status_display(),
        kanal=brief.kanal,
        versendet_am=brief.versendet_am,
        bekanntgabe_am=brief.bekanntgabe_am,
        unzustellbar_grund=zustellung.unzustellbar_grund if zustellung else "",
        versandstapel=row.stapel.nummer if row else None,
        ereignisse=[
            VersandEreignisOut(
                status=e.status,
                status_text=e.get_status_display(),
                zeitpunkt=e.at,
                erfasst=e.recorded_at,
                detail=e.detail,
            )
            for e in selectors.timeline(brief)
        ],
    )


@router.get(
    "/postausgang/druck/stapel",
    response=VersandstapelListe,
    summary="Versandstapel, die auf den Druckdienst warten (noch nicht bestätigt)",
    description=DRUCK_HELP,
)
def list_versandstapel(request: TenantRequest) -> VersandstapelListe:
    dienst = _dienst(request)
    return VersandstapelListe(items=[_stapel_out(s) for s in selectors.waiting_batches(dienst)])


@router.get(
    "/postausgang/druck/stapel/{versandstapel_id}/zip",
    summary="Die ZIP-Datei eines Versandstapels (PDFs und manifest.json)",
    description="Der erste Abruf markiert Stapel und Briefe als abgeholt; jeder weitere "
    "liefert dieselben Bytes.",
    response={200: None, 409: ProblemDocument},
    openapi_extra=file_download("Die ZIP-Datei des Versandstapels", "application/zip"),
)
def versandstapel_zip(request: TenantRequest, versandstapel_id: uuid.UUID) -> FileResponse:
    stapel = services.abholen(
        actor=request.user,
        access=request.access,
        tenant=_mandant(request),
        versandstapel_id=versandstapel_id,
    )
    response = FileResponse(
        services.zip_stream(stapel),
        content_type="application/zip",
        as_attachment=True,
        filename=f"versandstapel-{stapel.nummer}.zip",
    )
    response["ETag"] = f'"{stapel.zip_sha256}"'
    return response


@router.post(
    "/postausgang/druck/stapel/{versandstapel_id}/bestaetigung",
    response={200: VersandstapelOut, 409: ProblemDocument},
    summary="Den Empfang eines Versandstapels bestätigen (wiederholbar)",
    description=DRUCK_HELP,
)
def confirm_versandstapel(request: TenantRequest, versandstapel_id: uuid.UUID) -> VersandstapelOut:
    stapel = services.bestaetigen(
        actor=request.user,
        access=request.access,
        tenant=_mandant(request),
        versandstapel_id=versandstapel_id,
    )
    return _stapel_out(stapel)


@router.post(
    "/postausgang/druck/briefe/{brief_id}/status",
    response={200: VersandBriefStatus, 409: ProblemDocument, 422: ProblemDocument},
    summary="Den Status eines Briefs melden: empfangen, gedruckt, versendet, unzustellbar",
    description="Dieselbe Meldung (gleiche `ereignis_id`) noch einmal ergibt dieselbe "
    "Antwort; eine andere unter derselben `ereignis_id` 409. Meldungen dürfen in "
    "beliebiger Reihenfolge kommen, ein Brief geht nie zurück. `versendet` braucht das "
    "`versanddatum` (daraus die Bekanntgabe, § 37 Abs. 2 SGB X); ein späteres anderes "
    "Versanddatum berichtigt sie. `unzustellbar` braucht den `grund`.",
)
def report_brief_status(
    request: TenantRequest, brief_id: uuid.UUID, body: VersandMeldung
) -> VersandBriefStatus:
    brief = services.melden(
        actor=request.user,
        access=request.access,
        tenant=_mandant(request),
        brief_id=brief_id,
        meldung=services.Meldung(
            ereignis_id=body.ereignis_id,
            status=body.status,
            at=body.zeitpunkt,
            versanddatum=body.versanddatum,
            grund=body.grund,
        ),
    )
    return _provider_view(brief)


def _provider_view(brief: Brief) -> VersandBriefStatus:
    """What a provider learns back: the letter's status, never the Akte's content."""
    full = brief_status(brief)
    return full.model_copy(update={"ereignisse": [], "versandstapel": None})


@router.get(
    "/postausgang/briefe/{brief_id}/status",
    response=VersandBriefStatus,
    summary="Versandstatus eines Briefs mit seinem Verlauf (Sachbearbeitung, Poststelle)",
)
def get_brief_status(request: TenantRequest, brief_id: uuid.UUID) -> VersandBriefStatus:
    if request.tenant is None:
        raise not_found("Dieser Brief")
    brief = selectors.letter(request.access, request.user.pk, request.tenant, brief_id)
    if brief is None:
        raise not_found("Dieser Brief")
    return brief_status(brief)
