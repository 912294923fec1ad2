"""API for search: documents by full text with filters (``/suche``) and the Akte finder
(``/akten/finden``). Both are limited inside the query to what the caller may see."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from ninja import Field, Query, Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.api.problems import VALIDATION_DETAIL, ApiProblem
from koffer.records import access
from koffer.records.selectors import Viewer
from koffer.records.suche import services as search

# The published operationIds (clients generate code from them) predate the move.
OPERATION_ID_MODULE = "koffer.records.api_search"

router = Router(tags=["Suche"])

MAX_LIMIT = 100


class SearchQuery(Schema):
    q: str = Field(
        "",
        max_length=300,
        description=(
            "Suchbegriffe; alle müssen vorkommen (deutsche Grundformen: „Bescheid“ findet "
            "„Bescheide“; Schreibweisen: „Yilmaz“ findet „Yılmaz“, „Strasse“ „Straße“; ein "
            "Wort ab vier Buchstaben auch in Zusammensetzungen: „Heizkosten“ findet "
            '„Heizkostenabrechnung“). `"Wortgruppe"` oder `"Wort"`: genau so; Wortanfang '
            "`Widerspr*`, Ausschluss `-Klage`. Andere Zeichen trennen nur Wörter. Leer: nur "
            "die Filter. Text in gescannten Bildern ist noch nicht durchsuchbar."
        ),
    )
    aktenzeichen: str = Field("", max_length=80, description="Anfang des Aktenzeichens")
    person: str = Field(
        "", max_length=200, description="Familienname (Anfang), auch „Familienname, Vorname“"
    )
    geburtsdatum: date | None = Field(None, description="Geburtsdatum einer Person der Akte")
    bg: str = Field("", max_length=30, description="Anfang der BG-Nummer")
    art: str = Field("", max_length=60, description="Dokumentart, genau")
    vorgang: str = Field("", max_length=40, description="Code der Vorgangsart, z. B. `widerspruch`")
    eingang_von: date | None = None
    eingang_bis: date | None = None
    angelegt_von: date | None = None
    angelegt_bis: date | None = None
    status: Literal["", "active", "cancelled"] = Field("", description="Dokumentstatus")
    akte_status: Literal["", "open", "closed", "handed_over"] = ""
    limit: int = Field(25, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=search.COUNT_CAP)


class AkteRef(Schema):
    id: uuid.UUID
    aktenzeichen: str
    title: str


class SearchHitOut(Schema):
    dokument_id: uuid.UUID
    title: str
    kind: str
    status: Literal["active", "cancelled"]
    received_on: date | None
    created_at: datetime
    akte: AkteRef
    vorgang: str = Field(description="Vorgangsart, leer wenn direkt in der Akte")
    snippet_html: str = Field(
        description="Textausschnitt als HTML: Text escaped, Treffer in <mark>…</mark>"
    )
    score: float | None = Field(description="Relevanz (größer ist besser), null bei „neueste“")


class SearchOut(Schema):
    items: list[SearchHitOut]
    total: int = Field(description=f"Anzahl der Treffer (höchstens {search.COUNT_CAP}, siehe more)")
    more: bool = Field(description="es gibt mehr Treffer als total")
    order: Literal["relevanz", "neueste"]
    message: str | None = Field(description="Hinweis zur Eingabe, z. B. ignorierte Wörter")


class FinderOut(Schema):
    id: uuid.UUID
    aktenzeichen: str
    title: str
    status: str
    matched: str = Field(description="Aktenzeichen, BG-Nummer oder Name")
    detail: str


class FinderPage(Schema):
    items: list[FinderOut]


def _viewer(request: TenantRequest) -> Viewer:
    access.require(
        request.access, Perm.RECORDS_VIEW, "Für die Suche fehlt die Berechtigung „Akten lesen“."
    )
    return Viewer.of(request)


def _filters(p: SearchQuery) -> search.SearchFilters:
    for start, end, name in (
        (p.eingang_von, p.eingang_bis, "eingang_bis"),
        (p.angelegt_von, p.angelegt_bis, "angelegt_bis"),
    ):
        if start and end and start > end:
            raise ApiProblem(
                422,
                "validation_failed",
                "Eingaben ungültig",
                VALIDATION_DETAIL,
                [
                    {
                        "loc": ["query", name],
                        "msg": "Das Ende des Zeitraums liegt vor seinem Anfang.",
                        "type": "value_error",
                    }
                ],
            )
    return search.SearchFilters(
        aktenzeichen=p.aktenzeichen,
        person=p.person,
        birth_date=p.geburtsdatum,
        bg_nummer=p.bg,
        kind=p.art,
        vorgang_typ=p.vorgang,
        received_from=p.eingang_von,
        received_to=p.eingang_bis,
        created_from=p.angelegt_von,
        created_to=p.angelegt_bis,
        status=p.status,
        akte_status=p.akte_status,
    )


@router.get(
    "/suche",
    response=SearchOut,
    summary="Dokumente durchsuchen (Volltext und Filter)",
    description=(
        "Sucht in den Dokumenten der Akten, die der Aufrufer sehen darf. Bis zu einigen "
        "tausend Treffern nach Relevanz sortiert, sonst die neuesten zuerst "
        f"(dann höchstens {search.COUNT_CAP}, `more` zeigt, dass es mehr gibt). Eine Eingabe "
        "ohne verwertbares Wort und ohne Filter ergibt 400 `query_invalid`."
    ),
)
def search_documents(request: TenantRequest, params: Query[SearchQuery]) -> SearchOut:
    viewer = _viewer(request)
    filters = _filters(params)
    result = search.search(viewer, params.q, filters, limit=params.limit, offset=params.offset)
    if not result.searched:
        raise ApiProblem(
            400,
            "query_invalid",
            "Suche nicht möglich",
            result.message or "Bitte geben Sie einen Suchbegriff oder einen Filter an.",
        )
    return SearchOut(
        items=[
            SearchHitOut(
                dokument_id=h.dokument_id,
                title=h.title,
                kind=h.kind,
                status="cancelled" if h.cancelled else "active",
                received_on=h.received_on,
                created_at=h.created_at,
                akte=AkteRef(id=h.akte_id, aktenzeichen=h.aktenzeichen, title=h.akte_title),
                vorgang=h.vorgang,
                snippet_html=str(h.snippet),
                score=h.score,
            )
            for h in result.hits
        ],
        total=result.total,
        more=result.more,
        order=result.order,
        message=result.message,
    )


@router.get(
    "/akten/finden",
    response=FinderPage,
    summary="Akte finden: Aktenzeichen, BG-Nummer oder Name (Anfang)",
    description="Höchstens zehn sichtbare Akten; Groß- und Kleinschreibung egal.",
)
def find_akten(
    request: TenantRequest, q: str = Query(..., min_length=2, max_length=100)
) -> FinderPage:
    viewer = _viewer(request)
    return FinderPage(
        items=[
            FinderOut(
                id=h.akte_id,
                aktenzeichen=h.aktenzeichen,
                title=h.title,
                status=h.status_label,
                matched=h.matched,
                detail=h.detail,
            )
            for h in search.find_akten(viewer, q)
        ]
    )
