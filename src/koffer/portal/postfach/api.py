"""API of the citizen's mailbox (tag „Portal“): the letters of the account and of the
persons it represents (title, date, opened or not, Bekanntgabe) and a letter's PDF. The
first retrieval of a letter is its receipt (§ 37 Abs. 2a SGB X) — by the same service as
the page (``services.oeffnen``), so a letter opened by app and by page counts once."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.http import FileResponse
from ninja import Field, Router, Schema

from koffer.api.files import file_download
from koffer.api.problems import Problem, not_found
from koffer.portal import dateien
from koffer.portal.auth import BUERGER_AUTH, BuergerRequest
from koffer.portal.postfach import selectors, services

router = Router(tags=["Portal"], auth=BUERGER_AUTH)


class PortalBrief(Schema):
    id: uuid.UUID
    titel: str = Field(description="Der Betreff des Briefs")
    datum: datetime = Field(description="Im Postfach bereitgestellt am")
    empfaenger: str = Field(description="An wen (Sie oder eine vertretene Person)")
    geoeffnet: bool = Field(description="Schon einmal geöffnet (abgerufen)")
    geoeffnet_am: datetime | None
    bekanntgabe_am: date | None = Field(
        description="Tag der Bekanntgabe: der Tag nach dem ersten Öffnen"
    )
    abrufbar: bool = Field(
        description="Kann geöffnet werden; sonst kommt der Brief per Post (nach zehn Tagen "
        "ohne Öffnen)"
    )
    abruf_bis: date | None = Field(description="Bis wann er im Postfach geöffnet werden kann")
    pdf: str | None = Field(description="Adresse des PDF; das erste Öffnen ist der Abruf")


def _pdf_url(brief_id: uuid.UUID) -> str:
    return f"/api/v1/portal/postfach/{brief_id}/brief.pdf"


@router.get(
    "/portal/postfach",
    response={200: list[PortalBrief]},
    summary="Die Briefe im Postfach (an Sie und an Personen, die Sie vertreten), neueste zuerst",
)
def list_briefe(request: BuergerRequest) -> list[PortalBrief]:
    eintraege = selectors.briefe_lesen(request.buerger, "Postfach abrufen (API)")
    return [
        PortalBrief(
            id=e.brief.pk,
            titel=e.brief.betreff,
            datum=e.brief.bereitgestellt_am,  # type: ignore[arg-type]  # filtered: set
            empfaenger=(
                f"{e.brief.empfaenger.given_names} {e.brief.empfaenger.family_name}".strip()
                if e.brief.empfaenger is not None
                else ""
            ),
            geoeffnet=not e.neu,
            geoeffnet_am=e.brief.abgerufen_am,
            bekanntgabe_am=e.brief.bekanntgabe_am if e.brief.abgerufen_am else None,
            abrufbar=e.abrufbar,
            abruf_bis=e.abruf_bis,
            pdf=_pdf_url(e.brief.pk) if e.abrufbar else None,
        )
        for e in eintraege
    ]


@router.get(
    "/portal/postfach/{brief_id}/brief.pdf",
    response={200: None, 404: Problem, 409: Problem, 422: Problem},
    summary="Einen Brief öffnen (PDF, wie abgelegt); das erste Öffnen ist der Abruf, ab dem "
    "die Bekanntgabe zählt",
    openapi_extra=file_download("Der Brief als PDF", "application/pdf"),
)
def get_brief_pdf(request: BuergerRequest, brief_id: uuid.UUID) -> FileResponse:
    brief = selectors.brief(request.buerger, brief_id)
    if brief is None or brief.dokument is None or brief.dokument.current_version is None:
        raise not_found("Dieser Brief")
    services.oeffnen(actor=request.buerger, brief=brief)
    return dateien.antwort(
        brief.dokument.current_version.sha256,
        name=f"brief-{brief.pk}.pdf",
        typ="application/pdf",
        anhang=False,
    )
