"""``/api/v1/platzboerse/statistik``: the tables of the statistics page as JSON, with the
same suppression (a suppressed cell is ``null`` with ``unterdrueckt: true``)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.api.problems import ApiProblem
from koffer.placements.models import Fachbereich
from koffer.placements.statistik import builders
from koffer.placements.statistik.scopes import scope_for, scopes_for
from koffer.placements.statistik.tables import SIGN_NOTES, Cell, Statistik, Table

router = Router(tags=["Platzbörse"])


class ZeileOut(Schema):
    merkmale: list[str] = Field(description="Zeilenbeschriftungen, eine je Vorspalte")
    summe: bool = Field(description="Summenzeile (Insgesamt, zusammen)")
    werte: list[int | float | None] = Field(
        description="Ein Wert je Spalte; null, wenn unterdrückt oder nicht sinnvoll"
    )
    unterdrueckt: list[bool] = Field(description="true: Wert unter 3 oder Summe, die ihn verriete")
    zeichen: list[str] = Field(
        description="Amtliches Zeichen statt einer Zahl: „•“ unterdrückt, „…“ fällt später an, "
        "„x“ nicht sinnvoll; sonst leer"
    )


class TabelleOut(Schema):
    schluessel: str
    titel: str
    abschnitt: str
    einheit: Literal["count", "percent", "euro", "days"]
    vorspalten: list[str]
    spalten: list[str]
    zeilen: list[ZeileOut]
    hinweis: str


class StatistikOut(Schema):
    jahr: int
    fachbereich: str | None
    sicht: Literal["provider", "requester", "aggregate"]
    mandant_id: uuid.UUID
    nur_zusammengefasst: bool = Field(description="true: Landesjugendamt/Ministerium")
    stand: date
    unterdrueckt: bool = Field(description="mindestens ein Wert ist unterdrückt")
    zeichenerklaerung: dict[str, str]
    tabellen: list[TabelleOut]


def _number(cell: Cell) -> int | float | None:
    if cell.value is None:
        return None
    if isinstance(cell.value, Decimal):
        # Two places at most: the float's shortest text is the exact decimal.
        return float(cell.value)
    return cell.value


def _table(table: Table) -> TabelleOut:
    return TabelleOut(
        schluessel=table.key,
        titel=table.title,
        abschnitt=table.section,
        einheit=table.unit,
        vorspalten=list(table.stub),
        spalten=list(table.columns),
        zeilen=[
            ZeileOut(
                merkmale=list(row.labels),
                summe=row.total,
                werte=[_number(c) for c in row.cells],
                unterdrueckt=[c.suppressed for c in row.cells],
                zeichen=[c.sign for c in row.cells],
            )
            for row in table.rows
        ],
        hinweis=table.note,
    )


def _out(stat: Statistik) -> StatistikOut:
    return StatistikOut(
        jahr=stat.year,
        fachbereich=stat.fachbereich.code if stat.fachbereich else None,
        sicht=stat.scope.kind,
        mandant_id=stat.scope.tenant_id,
        nur_zusammengefasst=stat.scope.aggregated,
        stand=stat.stand,
        unterdrueckt=stat.has_suppressed,
        zeichenerklaerung=dict(SIGN_NOTES),
        tabellen=[_table(t) for t in stat.tables],
    )


@router.get(
    "/platzboerse/statistik",
    operation_id="koffer_placements_api_statistik_get_statistik",
    response=StatistikOut,
    summary="Statistik der Platzbörse für ein Jahr (wie die Seite, mit Unterdrückung)",
)
def get_statistik(
    request: TenantRequest,
    jahr: int | None = None,
    fachbereich: str | None = None,
    sicht: Literal["provider", "requester", "aggregate"] | None = None,
) -> StatistikOut:
    scopes = scopes_for(request.access, request.tenant)
    if not scopes:
        raise ApiProblem(
            403,
            "forbidden",
            "Keine Berechtigung",
            "Statistiken der Platzbörse sehen Träger, Jugendämter mit Statistikrecht, "
            "das Landesjugendamt und das Ministerium.",
        )
    today = timezone.localdate()
    year = jahr if jahr is not None else today.year
    if year not in builders.available_years(today):
        raise ApiProblem(
            422,
            "jahr",
            "Eingaben ungültig",
            f"Das Jahr muss zwischen {today.year - 10} und {today.year} liegen.",
        )
    fb = None
    if fachbereich:
        fb = Fachbereich.objects.filter(code=fachbereich).first()
        if fb is None:
            raise ApiProblem(
                422, "fachbereich", "Eingaben ungültig", "Diesen Fachbereich gibt es nicht."
            )
    scope = scope_for(request.access, request.tenant, sicht)
    if scope is None or (sicht is not None and scope.kind != sicht):
        raise ApiProblem(
            403, "forbidden", "Keine Berechtigung", "Diese Sicht steht Ihnen nicht zur Verfügung."
        )
    return _out(builders.statistik(scope=scope, year=year, fachbereich=fb, today=today))
