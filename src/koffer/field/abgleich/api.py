"""The office's API of the sync back (tag „Koffer“): a Koffer uploads the files of its
push (``PUT /koffer/blobs/{sha256}``), then pushes its changes (``POST /koffer/abgleich``)
with its own token; people see and decide the conflicts (``/koffer/konflikte``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import IO, Any, Literal, cast

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from koffer.accounts.http import TenantRequest
from koffer.api.auth import API_AUTH
from koffer.api.problems import ApiProblem, Problem
from koffer.errors import Forbidden
from koffer.field import access as rules
from koffer.field.abgleich import selectors, services
from koffer.field.geraete.auth import GeraetAuth
from koffer.field.models import Geraet, Konflikt
from koffer.field.paket import api as paket_api

router = Router(tags=["Koffer"])

GERAET = GeraetAuth()


class AbgleichProblem(Problem):
    fehler: list[str] | None = Field(None, description="Jede abgelehnte Änderung, deutsch")
    grund: str | None = Field(
        None, description="`segment_ungueltig`: warum das Protokoll abgelehnt wurde"
    )
    blobs: list[str] | None = Field(None, description="Dateien (SHA-256), die dem Büro fehlen")
    ab_seq: int | None = Field(
        None,
        description="`segment_nachholen`: ab diesem Ereignis das Protokoll erneut senden"
        " (fehlt: ab dem Beginn des Segments)",
    )
    fehlen: list[str] | None = Field(
        None,
        description="`abgleich_nachholen`: angenommene Abgleiche des Koffers, die das Büro"
        " nicht (mehr) hat — der Koffer sendet sie erneut, in ihrer Reihenfolge",
    )
    letzter: str | None = Field(
        None,
        description="`abgleich_nachholen`: der letzte Abgleich dieses Koffers, den das Büro hat",
    )
    segment: dict[str, str] | None = Field(
        None,
        description="`segment_neu`: der neue Schlüssel, unter dem der Koffer sein Protokoll"
        " neu beginnt (schluessel_id, schluessel, mandant_id, geraet_id)",
    )
    loeschen: bool | None = Field(
        None, description="true: der Koffer ist gesperrt und löscht seine Daten jetzt"
    )


class FeldAenderung(Schema):
    basis: Any = Field(description="Der Wert, wie ihn der Koffer aus dem Paket bekam")
    neu: Any = Field(description="Der Wert im Koffer jetzt")


class Aenderung(Schema):
    modell: str = Field(description="z. B. `records.person`")
    id: str
    felder: dict[str, FeldAenderung]
    akte: str | None = Field(
        None,
        description="Die Akte der Zeile im Koffer (optional): eine im Büro gelöschte Zeile "
        "zeigt ihren Hinweis dann auf dieser Akte",
    )


class NeueZeile(Schema):
    model: str = Field(description="z. B. `records.vorgang`")
    pk: str
    fields: dict[str, Any]


class AbgleichIn(Schema):
    format: int = Field(description="1")
    abgleich_id: uuid.UUID = Field(
        description="Vom Koffer einmal je Abgleich gewählt, bei jeder Wiederholung gleich"
    )
    erstellt: str = Field("", description="Zeit auf der Uhr des Koffers (nur zur Information)")
    geaendert: list[Aenderung] = Field(default_factory=list)
    neu: list[NeueZeile] = Field(default_factory=list)
    blobs: list[str] = Field(default_factory=list)
    zurueckgeben: bool = False
    segment: dict[str, Any] | None = Field(
        None,
        description="Die Protokollereignisse des Koffers seit dem zuletzt übernommenen"
        " Segment: `von_seq`, `bis_seq`, `vorher` (Prüfsumme davor), `ereignisse`",
    )
    angenommen: list[uuid.UUID] = Field(
        default_factory=list,
        description="Abgleiche, die das Büro schon angenommen hat und der Koffer aufbewahrt"
        " (älteste zuerst): fehlt dem Büro einer (aus einer Sicherung zurückgespielt), 409"
        " `abgleich_nachholen`",
    )


class SegmentOut(Schema):
    bis_seq: int = Field(description="Das letzte übernommene Ereignis des Koffers")
    hash: str = Field(description="Seine Prüfsumme: das nächste Segment schließt daran an")
    uebernommen: int = Field(description="Mit diesem Abgleich neu angehängte Ereignisse")


class AbgleichOut(Schema):
    abgleich_id: uuid.UUID
    uebernommen: int = Field(description="Übernommene Feldänderungen")
    konflikte: int = Field(description="Neue Konflikte (auch im Büro gelöschte Zeilen)")
    neu: int = Field(description="Neu angelegte Zeilen")
    nummern: dict[str, str] = Field(
        default_factory=dict,
        description="Im Koffer angelegte Akten und Bedarfsgemeinschaften: UUID → "
        "Aktenzeichen bzw. BG-Nummer aus den Zählern des Büros",
    )
    hinweise: list[str]
    status: str = Field(description="`fertig`: alles verarbeitet")
    segment: SegmentOut | None = Field(
        None, description="Wie weit das Büro das Protokoll des Koffers übernommen hat"
    )
    gesichert: uuid.UUID | None = Field(
        None,
        description="Der neueste Abgleich dieses Koffers, den eine bestätigte Sicherung des"
        " Büros enthält: der Koffer verwirft seine aufbewahrten Abgleiche bis zu diesem",
    )


class BlobOut(Schema):
    sha256: str
    neu: bool


class KonfliktOut(Schema):
    id: uuid.UUID
    akte_id: uuid.UUID | None
    aktenzeichen: str | None
    modell: str
    objekt_id: str
    feld: str
    basis: Any
    buero_wert: Any
    koffer_wert: Any
    art: Literal["feld", "geloescht", "abgelehnt"]
    status: Literal["offen", "entschieden"]
    entscheidung: Literal["buero", "koffer", ""]
    entschieden_am: datetime | None
    hinweis: str
    created_at: datetime


class EntscheidungIn(Schema):
    entscheidung: Literal["buero", "koffer"]


def konflikt_out(k: Konflikt) -> KonfliktOut:
    return KonfliktOut(
        id=k.pk,
        akte_id=k.akte_id,
        aktenzeichen=k.akte.aktenzeichen if k.akte is not None else None,
        modell=k.modell,
        objekt_id=k.objekt_id,
        feld=k.feld,
        basis=k.basis,
        buero_wert=k.buero_wert,
        koffer_wert=k.koffer_wert,
        art=k.art,  # type: ignore[arg-type]
        status=k.status,  # type: ignore[arg-type]
        entscheidung=k.entscheidung,  # type: ignore[arg-type]
        entschieden_am=k.entschieden_am,
        hinweis=k.hinweis,
        created_at=k.created_at,
    )


# The upload shares its path with the package's download (GET ``/koffer/blobs/{sha256}``
# in ``field/paket``); one path lives in one router, so it is registered on that one.
@paket_api.router.put(
    "/koffer/blobs/{sha256}",
    response={200: BlobOut, 201: BlobOut, 401: AbgleichProblem, 413: Problem, 422: Problem},
    summary="Eine Datei des Abgleichs hochladen (vor dem Abgleich; wiederholbar)",
    description=(
        "Der Rumpf sind die Bytes der Datei (`application/octet-stream`). Das Büro prüft"
        " den SHA-256 beim Speichern (422 `hash_falsch`); 201 neu, 200 schon vorhanden."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
def blob_hochladen(request: HttpRequest, sha256: str) -> Status:
    geraet = request.geraet  # type: ignore[attr-defined]
    groesse = int(request.META.get("CONTENT_LENGTH") or 0)
    if groesse > int(settings.KOFFER_MAX_UPLOAD_BYTES):
        raise ApiProblem(
            413,
            "zu_gross",
            "Datei zu groß",
            f"Dateien dürfen höchstens {settings.KOFFER_MAX_UPLOAD_BYTES} Bytes groß sein.",
        )
    neu = services.blob_annehmen(geraet=geraet, sha256=sha256, data=cast(IO[bytes], request))
    return Status(201 if neu else 200, BlobOut(sha256=sha256, neu=neu))


@router.post(
    "/koffer/abgleich",
    auth=GERAET,
    response={200: AbgleichOut, 401: AbgleichProblem, 409: AbgleichProblem, 422: AbgleichProblem},
    summary="Die Änderungen des Koffers abgleichen (je Feld; Konflikte in die Warteschlange)",
    description=(
        "`geaendert` nennt je Zeile die Felder, die im Koffer vom Basisstand abweichen"
        " (`basis`, `neu`); `neu` die im Koffer angelegten Zeilen (Djangos Serialisierung)."
        " Wo das Büro das Feld seit dem Basisstand anders geändert hat, entsteht ein"
        " Konflikt; der Wert des Büros bleibt, bis jemand entscheidet. Dieselbe"
        " `abgleich_id` noch einmal gibt die gespeicherte Antwort, nichts doppelt. Ist"
        " eine Änderung nicht erlaubt, wird nichts übernommen (422, `fehler`). Fehlt eine"
        " Datei, 409 `blob_fehlt` mit `blobs`. Lässt sich das Protokoll-Segment (`segment`)"
        " nicht prüfen, wird nichts übernommen (422 `segment_ungueltig` mit `grund`) und"
        " das Segment in die Quarantäne gelegt. Beginnt das Segment nach dem zuletzt"
        " übernommenen Ereignis (das Büro wurde aus einer Sicherung zurückgespielt), 409"
        " `segment_nachholen` mit `ab_seq`: nichts übernommen, der Koffer sendet ab dort."
        " Hat die Verwaltung das Segment neu begonnen, 409 `segment_neu` mit dem neuen"
        " Schlüssel (`segment`): nichts übernommen, der Koffer beginnt neu und sendet erneut."
        " Nennt `angenommen` einen Abgleich, den das Büro nicht hat (aus einer Sicherung"
        " zurückgespielt), 409 `abgleich_nachholen` mit `fehlen` und `letzter`: nichts"
        " übernommen, der Koffer sendet die fehlenden erneut, dann diesen. `gesichert` nennt"
        " den neuesten Abgleich, den eine bestätigte Sicherung enthält (bis zu ihm darf der"
        " Koffer seine aufbewahrten verwerfen)."
    ),
)
def abgleich(request: HttpRequest, body: AbgleichIn) -> dict[str, Any]:
    daten = body.dict()
    daten["abgleich_id"] = str(body.abgleich_id)
    daten["angenommen"] = [str(a) for a in body.angenommen]
    geraet: Geraet = request.geraet  # type: ignore[attr-defined]
    antwort = services.abgleichen(geraet=geraet, daten=daten)
    return {**antwort, "gesichert": selectors.gesichert(geraet)}


def _tenant(request: TenantRequest) -> uuid.UUID:
    """Conflicts are for caseworkers (``records.edit``) and the field service."""
    if request.tenant is None:
        raise Forbidden("forbidden", "Bitte wählen Sie zuerst einen Mandanten.")
    if not rules.seite_konflikte(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für die Sachbearbeitung und den Außendienst.")
    return request.tenant.pk


@router.get(
    "/koffer/konflikte",
    auth=API_AUTH,
    response={200: list[KonfliktOut], 403: Problem},
    summary="Konflikte aus Koffern: die der Akten, die man bearbeiten darf, und die eigenen",
)
def list_konflikte(request: TenantRequest, alle: bool = False) -> list[KonfliktOut]:
    _tenant(request)
    rows = selectors.konflikte(actor=request.user, access=request.access, offen=not alle)
    return [konflikt_out(k) for k in rows]


@router.post(
    "/koffer/konflikte/{konflikt_id}/entscheiden",
    auth=API_AUTH,
    response={200: KonfliktOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Einen Konflikt entscheiden: Wert aus dem Büro behalten oder aus dem Koffer übernehmen",
)
def entscheiden(
    request: TenantRequest, konflikt_id: uuid.UUID, body: EntscheidungIn
) -> KonfliktOut:
    _tenant(request)
    row = selectors.konflikt(actor=request.user, access=request.access, konflikt_id=konflikt_id)
    return konflikt_out(
        services.entscheiden(actor=request.user, konflikt=row, entscheidung=body.entscheidung)
    )
