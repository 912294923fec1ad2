"""API of the templates (read only): the active templates with their current version, and
one template with every version, for whoever writes letters or manages templates. Unknown
and invisible both answer 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.outbox import access
from koffer.outbox.models import Vorlage, VorlagenVersion
from koffer.outbox.vorlagen import selectors, services

router = Router(tags=["Postausgang"])

# Literals, not the models' TextChoices: ninja names an enum schema after its class.
VorlageArt = Literal["brief", "bescheid"]
VorlageForm = Literal["A", "B"]
VorlageVierAugen = Literal["nie", "immer", "ab_betrag"]
VorlageFeldTyp = Literal["text", "betrag", "datum"]


class VorlageItem(Schema):
    id: uuid.UUID
    code: str
    titel: str
    art: VorlageArt
    fachbereich: str = Field(description="Fachbereich (records.Module), leer: alle")
    form: VorlageForm = Field(description="DIN 5008 Form A oder B")
    vier_augen: VorlageVierAugen
    vier_augen_ab: Decimal | None = Field(description="Betrag (EUR) bei „ab_betrag“")
    aktuelle_version: int | None = Field(description="Nummer der Version für neue Briefe")


class VorlageFeld(Schema):
    key: str = Field(description="Im Text {{ eingabe.<key> }}")
    label: str
    typ: VorlageFeldTyp


class VorlagenVersionOut(Schema):
    nummer: int
    betreff: str
    text: str = Field(description="Der Text, wie die Administration ihn schrieb")
    felder: list[VorlageFeld]
    anlagen: list[str]
    bausteine: list[str] = Field(description="Kürzel der eingefügten Textbausteine")
    created_at: datetime


class VorlageDetail(VorlageItem):
    is_active: bool
    versionen: list[VorlagenVersionOut] = Field(description="Neueste zuerst")


def _item(row: Vorlage) -> dict[str, object]:
    return {
        "id": row.pk,
        "code": row.code,
        "titel": row.titel,
        "art": row.art,
        "fachbereich": row.module,
        "form": row.form,
        "vier_augen": services.vier_augen_modus(row),
        "vier_augen_ab": row.vier_augen_ab,
        "aktuelle_version": row.aktuelle_version.nummer if row.aktuelle_version else None,
    }


def _version(v: VorlagenVersion) -> VorlagenVersionOut:
    return VorlagenVersionOut(
        nummer=v.nummer,
        betreff=v.betreff,
        text=v.text,
        felder=[VorlageFeld(**f) for f in v.felder],
        anlagen=list(v.anlagen),
        bausteine=list(v.bausteine),
        created_at=v.created_at,
    )


def _reads(request: TenantRequest) -> None:
    if request.tenant is None or not access.reads_templates(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Sachbearbeitung und die Administration.")


@router.get(
    "/postausgang/vorlagen",
    response=list[VorlageItem],
    summary="Die aktiven Briefvorlagen mit der Nummer ihrer aktuellen Version",
)
def list_vorlagen(request: TenantRequest) -> list[VorlageItem]:
    _reads(request)
    return [
        VorlageItem(**_item(row))  # type: ignore[arg-type]
        for row in selectors.vorlagen(request.tenant, nur_aktive=True)
    ]


@router.get(
    "/postausgang/vorlagen/{vorlage_id}",
    response=VorlageDetail,
    summary="Eine Briefvorlage mit allen Versionen (neueste zuerst)",
)
def get_vorlage(request: TenantRequest, vorlage_id: uuid.UUID) -> VorlageDetail:
    _reads(request)
    row = selectors.vorlage(request.tenant, vorlage_id)
    if row is None:
        raise not_found("Diese Vorlage")
    return VorlageDetail(
        **_item(row),  # type: ignore[arg-type]
        is_active=row.is_active,
        versionen=[_version(v) for v in selectors.versionen(row)],
    )
