"""API of the pipeline for the mail room (``inbox.process``): the protocol of a batch —
every document with its pages, what was recognised and where it went, and every step —
as ``manage.py inbox_report --json`` gives it. Unknown and invisible batches answer 404;
a scan provider sees the batch's status, not its documents' texts (403). And for the
Mandant's administration (as on the rules page): the pipeline's rules, read and set."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from ninja import Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.api.problems import Problem as ProblemDocument
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.inbox import access
from koffer.inbox.lieferung import selectors
from koffer.inbox.verarbeitung import protokoll, regeln, services
from koffer.inbox.verarbeitung.dokumentart import KINDS

router = Router(tags=["Posteingang"])

DokumentState = Literal[
    "neu", "zu_pruefen", "abgelegt", "nicht_zuordenbar", "quarantaene", "zusammengefuehrt"
]


class EingangAkte(Schema):
    id: uuid.UUID
    aktenzeichen: str


class EingangVorgang(Schema):
    id: uuid.UUID
    title: str


class EingangsdokumentOut(Schema):
    id: uuid.UUID
    datei: str
    teil: int
    seiten: list[int]
    state: DokumentState
    kind: str
    kind_confidence: float | None
    ocr: bool
    pdfa: bool
    rotated: list[int]
    turned: dict[str, int] = {}  # page in the file (from 1) -> degrees, turned in triage
    merged_into: uuid.UUID | None = None  # state zusammengefuehrt: where its pages are now
    codes: list[dict[str, Any]]
    antwortcode: dict[str, Any] | None
    # Returned mail (Rückläufer): {"grund", "quelle": lieferschein | vermerk | poststelle}
    rueckpost: dict[str, str] | None = None
    merkmale: dict[str, Any]
    vorschlaege: list[dict[str, Any]]
    confidence: float | None
    akte: EingangAkte | None
    vorgang: EingangVorgang | None
    dokument: uuid.UUID | None
    filed_by: str | None
    rule: str | None
    filed_at: str | None
    reason: str | None
    original_sha256: str | None
    searchable_sha256: str | None
    text: str | None = None


class ProtokollZeile(Schema):
    at: str
    action: str
    message: str
    datei: str | None
    dokument: uuid.UUID | None
    actor: str | None
    rule: str | None
    data: dict[str, Any]


class ProtokollOut(Schema):
    version: int
    stapel: dict[str, Any]
    dateien: list[dict[str, Any]]
    dokumente: list[EingangsdokumentOut]
    probleme: list[dict[str, Any]]
    protokoll: list[ProtokollZeile]


@router.get(
    "/posteingang/stapel/{stapel_id}/protokoll",
    response=ProtokollOut,
    summary="Protokoll eines Scan-Stapels: jedes Dokument, jeder Schritt (Poststelle)",
)
def get_protokoll(
    request: TenantRequest, stapel_id: uuid.UUID, text: bool = True
) -> dict[str, Any]:
    if request.tenant is None or not access.sees_batches(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für Scan-Dienstleister und die Poststelle.")
    stapel = selectors.stapel(request.access, request.user.pk, request.tenant, stapel_id)
    if stapel is None:
        raise not_found("Dieser Stapel")
    if not access.processes(request.access, request.tenant):
        raise Forbidden(
            "forbidden",
            "Das Protokoll mit den erkannten Texten sieht nur die Poststelle; den Status "
            "zeigt GET /api/v1/posteingang/stapel/{id}.",
        )
    services.record_protocol_read(actor=request.user, stapel=stapel)
    return protokoll.report(stapel, with_text=text)


class PosteingangArtregelOut(Schema):
    kind: str
    label: str
    vorgang_typ: uuid.UUID | None  # the Mandant's Vorgangstyp; None for the default
    vorgang_typ_code: str | None  # what filing opens; None: only the Wiedervorlage
    frist_label: str
    frist_months: int
    frist_days: int
    standard: bool  # the default rule, not set by the Mandant
    aufbewahrung_wochen: int | None  # paper original kept; None: the Mandant's default


class PosteingangRegelnOut(Schema):
    auto_threshold: float  # a share: 0.9 files from 90 % confidence
    separator_pattern: str
    wiedervorlage_days: int
    aufbewahrung_wochen: int  # weeks after the passed check until originals may go
    artregeln: list[PosteingangArtregelOut]


class PosteingangArtregelIn(Schema):
    kind: str
    vorgang_typ: uuid.UUID | None = None
    frist_label: str = ""
    frist_months: int = 0
    frist_days: int = 0
    aufbewahrung_wochen: int | None = None


class PosteingangRegelnIn(Schema):
    auto_threshold: float
    separator_pattern: str
    wiedervorlage_days: int
    aufbewahrung_wochen: int | None = None  # None: unchanged
    artregeln: list[PosteingangArtregelIn] = []


def _configures(request: TenantRequest) -> None:
    if request.tenant is None or not access.configures(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Verwaltung des Mandanten.")


def _regeln_out(request: TenantRequest) -> PosteingangRegelnOut:
    current = regeln.regeln(request.tenant.pk)
    return PosteingangRegelnOut(
        auto_threshold=current.auto_threshold,
        separator_pattern=current.separator_pattern,
        wiedervorlage_days=current.wiedervorlage_days,
        aufbewahrung_wochen=current.aufbewahrung_wochen,
        artregeln=[
            PosteingangArtregelOut(
                kind=held.kind,
                label=KINDS[held.kind],
                vorgang_typ=held.vorgang_typ_id,
                vorgang_typ_code=held.folge.vorgang_typ_code if held.folge else None,
                frist_label=held.folge.frist_label if held.folge else "",
                frist_months=held.folge.frist_months if held.folge else 0,
                frist_days=held.folge.frist_days if held.folge else 0,
                standard=not held.own,
                aufbewahrung_wochen=held.aufbewahrung_wochen,
            )
            for held in regeln.stand(request.tenant.pk, sorted(KINDS))
        ],
    )


@router.get(
    "/posteingang/regeln",
    response=PosteingangRegelnOut,
    summary="Regeln der Posteingangsverarbeitung: Schwelle, Trennblatt, Wiedervorlage, je Dokumentart",
)
def get_regeln(request: TenantRequest) -> PosteingangRegelnOut:
    _configures(request)
    return _regeln_out(request)


@router.put(
    "/posteingang/regeln",
    response={200: PosteingangRegelnOut, 422: ProblemDocument},
    summary="Regeln der Posteingangsverarbeitung setzen (die genannten Dokumentarten; "
    "die übrigen bleiben)",
)
def put_regeln(request: TenantRequest, body: PosteingangRegelnIn) -> PosteingangRegelnOut:
    _configures(request)
    services.save_all_regeln(
        actor=request.user,
        tenant_id=request.tenant.pk,
        auto_threshold=body.auto_threshold,
        separator_pattern=body.separator_pattern,
        wiedervorlage_days=body.wiedervorlage_days,
        aufbewahrung_wochen=body.aufbewahrung_wochen,
        artregeln=[
            services.ArtregelWunsch(
                kind=a.kind,
                vorgang_typ_id=a.vorgang_typ,
                frist_label=a.frist_label,
                frist_months=a.frist_months,
                frist_days=a.frist_days,
                aufbewahrung_wochen=a.aufbewahrung_wochen,
            )
            for a in body.artregeln
        ],
    )
    return _regeln_out(request)
