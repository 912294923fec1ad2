"""The office's API for a Koffer's checkout package, authenticated by the Koffer's own
token (``GeraetAuth``): the package as JSON, and each blob it names, resumable."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from ninja import Header, Router

from koffer.api.problems import not_found
from koffer.blobs.store import get_store
from koffer.field.geraete.auth import GeraetAuth
from koffer.field.paket import auslieferung, selectors

router = Router(tags=["Koffer"], auth=GeraetAuth())


@router.get(
    "/koffer/paket",
    summary="Paket des Koffers: ausgeliehene Akten, Formularkatalog, Vorlagen",
    description=(
        "Alles, was der Koffer für seine offenen Ausleihen offline braucht, als JSON"
        " (`format` 1): `objekte` sind Zeilen in der Reihenfolge ihrer Abhängigkeiten, im"
        " Format von Djangos Serialisierung (`model`, `pk`, `fields`); `blobs` nennt die"
        " Dateien (SHA-256, Größe), die der Koffer danach einzeln lädt. Das Lesen jeder"
        " Akte wird protokolliert. `stand` ist der Änderungsstand des Büros zu Beginn;"
        " mit `seit` (dem `stand` des letzten vollständigen Abholens) kommt nur, was sich"
        " seitdem geändert hat (`vollstaendig` false), sonst – oder wenn `seit` nicht"
        " mehr taugt – das ganze Paket. `entfernt` nennt Akten, die der Koffer nicht mehr"
        " tragen darf (Ausleihe beendet, abgelaufen, Zugriff entzogen): er löscht sie."
        " `bestand` nennt je Tabelle die Kennungen aller Zeilen unter den getragenen Akten"
        " (`akten`): was der Koffer aus dem Büro hat und dort fehlt, löscht er. Das Paket"
        " kommt, während es gebaut wird: vor dem JSON stehen dabei Leerzeichen (Lebenszeichen"
        " eines großen Pakets); bricht die Antwort ab, ist das Paket unvollständig."
    ),
    response={200: dict[str, Any]},
)
def paket(request: HttpRequest, seit: int | None = None) -> HttpResponseBase:
    schritte = selectors.schrittweise(geraet=request.geraet, seit=seit)  # type: ignore[attr-defined]
    next(schritte)  # the Akten chosen: an error so far is still a problem+json answer
    response = StreamingHttpResponse(
        auslieferung.paket_strom(schritte, client_ip=request.META.get("REMOTE_ADDR", "")),
        content_type="application/json",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/koffer/blobs/{sha256}",
    summary="Eine Datei des Pakets (fortsetzbar)",
    description=(
        "Nur Dateien, die das aktuelle Paket des Koffers nennt (sonst 404). Mit"
        " `Range: bytes=N-` setzt der Koffer eine abgebrochene Übertragung fort (206)."
        " `ETag` ist der SHA-256 der Datei."
    ),
    response={200: None, 206: None, 416: None},
    openapi_extra={
        "responses": {
            200: {
                "description": "Die ganze Datei",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            206: {
                "description": "Der erbetene Teil der Datei",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
        }
    },
)
def blob(
    request: HttpRequest, sha256: str, bereich: str = Header("", alias="Range")
) -> HttpResponseBase:
    geraet = request.geraet  # type: ignore[attr-defined]
    store = get_store()
    access = request.access  # type: ignore[attr-defined]
    named = selectors.blob_im_paket(geraet=geraet, access=access, sha256=sha256)
    if not named or not store.exists(sha256):
        raise not_found("Diese Datei")
    return auslieferung.blob_antwort(store, sha256, bereich)
