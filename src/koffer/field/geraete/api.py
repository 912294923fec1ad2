"""API of the device registry (tag „Koffer“): registering and revoking Koffer, pairing
(the one endpoint without sign-in: the code is the credential), the Koffer's own state,
and checkouts. A Koffer authenticates with its token (``GeraetAuth``) and acts for its
field worker; a browser session works where a person acts (register, revoke, check out)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from koffer.accounts import lockout
from koffer.accounts.http import TenantRequest
from koffer.api.auth import API_AUTH
from koffer.api.problems import Problem, not_found
from koffer.errors import Forbidden
from koffer.field import access as rules
from koffer.field.abgleich import selectors as abgleich_selectors
from koffer.field.geraete import selectors, services
from koffer.field.geraete.auth import GeraetAuth
from koffer.field.models import Ausleihe, Geraet
from koffer.field.segment import selectors as segment_selectors

router = Router(tags=["Koffer"])

GERAET = GeraetAuth()
# The Koffer or a person: a Koffer checks out for its own field worker.
GERAET_ODER_PERSON = [GERAET, *API_AUTH]


class GeraetProblem(Problem):
    loeschen: bool | None = Field(
        None, description="true: der Koffer ist gesperrt und löscht seine Daten jetzt"
    )


Zustand = Literal["ungekoppelt", "gekoppelt", "gesperrt"]


class GeraetOut(Schema):
    id: uuid.UUID
    name: str
    benutzer: str = Field(description="Die Außendienstkraft, der der Koffer gehört")
    status: Zustand
    created_at: datetime
    gekoppelt_am: datetime | None
    letzter_kontakt: datetime | None
    gesperrt_am: datetime | None
    sperrgrund: str
    geloescht_am: datetime | None = Field(description="Wann der Koffer das Löschen bestätigt hat")
    offene_ausleihen: int | None = Field(None, description="Akten, die jetzt im Koffer sind")


class GeraetNeu(Schema):
    name: str = Field(min_length=1, max_length=120, description="Bezeichnung, z. B. „Laptop 3“")


class GeraetAngelegt(Schema):
    geraet: GeraetOut
    kopplungscode: str = Field(description="Einmal gezeigt; gilt 15 Minuten")
    kopplung_bis: datetime


class SperreIn(Schema):
    grund: str = Field(max_length=500)


class KopplungIn(Schema):
    code: str = Field(max_length=40, description="Der Kopplungscode, z. B. ABCD-EFGH-JKMN-PQRS")
    geraetename: str = Field("", max_length=120, description="Wie sich der Koffer nennt")


class SegmentSchluessel(Schema):
    schluessel_id: str = Field(description="Kennung des Schlüssels")
    schluessel: str = Field(description="Der Schlüssel (hex), nur jetzt zu sehen")
    mandant_id: uuid.UUID
    geraet_id: uuid.UUID


class KopplungOut(Schema):
    token: str = Field(description="Der Schlüssel des Koffers (kg_…), nur jetzt zu sehen")
    geraet: GeraetOut
    mandant: str
    segment: SegmentSchluessel | None = Field(
        None, description="Womit der Koffer sein Protokoll für das Büro versiegelt"
    )


class AusleiheOut(Schema):
    id: uuid.UUID
    akte_id: uuid.UUID
    aktenzeichen: str
    geraet_id: uuid.UUID
    benutzer: str
    seit: datetime
    bis: datetime


class AusleiheIn(Schema):
    akten: list[uuid.UUID] = Field(min_length=1, max_length=services.MAX_AKTEN)
    geraet_id: uuid.UUID | None = Field(
        None, description="Der Koffer (bei Anmeldung als Koffer: dieser selbst)"
    )
    bis: datetime | None = Field(None, description="Ende der Ausleihe (Standard: in 7 Tagen)")


class ZustandOut(Schema):
    gesperrt: bool
    ausleihen: list[AusleiheOut]
    gesichert: uuid.UUID | None = Field(
        None,
        description="Der neueste Abgleich dieses Koffers, den eine bestätigte Sicherung des"
        " Büros enthält: der Koffer verwirft seine aufbewahrten Abgleiche bis zu diesem",
    )


def _status(geraet: Geraet) -> Zustand:
    if geraet.gesperrt_am is not None:
        return "gesperrt"
    return "gekoppelt" if geraet.token_hash else "ungekoppelt"


def geraet_out(geraet: Geraet) -> GeraetOut:
    return GeraetOut(
        id=geraet.pk,
        name=geraet.name,
        benutzer=str(geraet.user),
        status=_status(geraet),
        created_at=geraet.created_at,
        gekoppelt_am=geraet.gekoppelt_am,
        letzter_kontakt=geraet.letzter_kontakt,
        gesperrt_am=geraet.gesperrt_am,
        sperrgrund=geraet.sperrgrund,
        geloescht_am=geraet.geloescht_am,
        offene_ausleihen=getattr(geraet, "offene", None),
    )


def ausleihe_out(row: Ausleihe) -> AusleiheOut:
    return AusleiheOut(
        id=row.pk,
        akte_id=row.akte_id,
        aktenzeichen=row.akte.aktenzeichen,
        geraet_id=row.geraet_id,
        benutzer=str(row.user),
        seit=row.seit,
        bis=row.bis,
    )


def _tenant(request: TenantRequest) -> uuid.UUID:
    if request.tenant is None:
        raise Forbidden("forbidden", "Bitte wählen Sie zuerst einen Mandanten.")
    return request.tenant.pk


def _mit_koffer(request: TenantRequest) -> None:
    """Only the field service and the administration deal with Koffer at all."""
    _tenant(request)
    if not (rules.registriert(request.access) or rules.verwaltet_geraete(request.access)):
        raise Forbidden("forbidden", "Nur für den Außendienst und die Administration.")


@router.get(
    "/koffer/geraete",
    response={200: list[GeraetOut], 403: Problem},
    summary="Die Koffer: die eigenen, für die Administration alle des Mandanten",
)
def list_geraete(request: TenantRequest) -> list[GeraetOut]:
    _mit_koffer(request)
    return [geraet_out(g) for g in selectors.alle_geraete(request.access, request.user.pk)]


@router.post(
    "/koffer/geraete",
    response={201: GeraetAngelegt, 403: Problem, 422: Problem},
    summary="Einen Koffer für sich anmelden: der Kopplungscode wird einmal gezeigt",
)
def create_geraet(request: TenantRequest, body: GeraetNeu) -> Status:
    geraet, code = services.geraet_anlegen(
        actor=request.user, tenant_id=_tenant(request), name=body.name, access=request.access
    )
    assert geraet.kopplung_bis is not None
    return Status(
        201,
        GeraetAngelegt(
            geraet=geraet_out(geraet), kopplungscode=code, kopplung_bis=geraet.kopplung_bis
        ),
    )


def _geraet(request: TenantRequest, geraet_id: uuid.UUID) -> Geraet:
    _tenant(request)
    geraet = selectors.geraet(request.access, request.user.pk, geraet_id)
    if geraet is None:
        raise not_found("Diesen Koffer")
    return geraet


@router.post(
    "/koffer/geraete/{geraet_id}/kopplungscode",
    response={200: GeraetAngelegt, 403: Problem, 404: Problem, 409: Problem},
    summary="Einen neuen Kopplungscode für den eigenen Koffer (neu einrichten)",
)
def new_kopplungscode(request: TenantRequest, geraet_id: uuid.UUID) -> GeraetAngelegt:
    geraet = _geraet(request, geraet_id)
    code = services.neuer_kopplungscode(actor=request.user, geraet=geraet, access=request.access)
    assert geraet.kopplung_bis is not None
    return GeraetAngelegt(
        geraet=geraet_out(geraet), kopplungscode=code, kopplung_bis=geraet.kopplung_bis
    )


@router.post(
    "/koffer/geraete/{geraet_id}/sperren",
    response={200: GeraetOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Einen Koffer sperren (mit Grund): er löscht bei der nächsten Verbindung seine "
    "Daten, seine Ausleihen enden",
)
def sperren(request: TenantRequest, geraet_id: uuid.UUID, body: SperreIn) -> GeraetOut:
    geraet = _geraet(request, geraet_id)
    return geraet_out(
        services.sperren(actor=request.user, geraet=geraet, grund=body.grund, access=request.access)
    )


@router.post(
    "/koffer/kopplung",
    auth=None,
    response={201: KopplungOut, 422: Problem, 429: Problem},
    summary="Einen Koffer koppeln: Kopplungscode gegen den Schlüssel des Koffers (ohne "
    "Anmeldung; falsche Codes sind je Adresse begrenzt)",
)
def koppeln(request: HttpRequest, body: KopplungIn) -> Status:
    geraet, token = services.koppeln(
        code=body.code, geraetename=body.geraetename, client_ip=lockout.client_ip(request)
    )
    return Status(
        201,
        KopplungOut(
            token=token,
            geraet=geraet_out(geraet),
            mandant=geraet.tenant.name,
            segment=_segment(geraet),
        ),
    )


def _segment(geraet: Geraet) -> SegmentSchluessel | None:
    found = segment_selectors.schluessel_fuer_koffer(geraet)
    return SegmentSchluessel(**found) if found is not None else None


@router.get(
    "/koffer/zustand",
    auth=GERAET,
    response={200: ZustandOut, 401: GeraetProblem},
    summary="Für den Koffer selbst: ist er gesperrt, welche Akten sind in ihm (meldet den Kontakt)",
)
def zustand(request: HttpRequest) -> ZustandOut:
    geraet: Geraet = request.geraet  # type: ignore[attr-defined]
    return ZustandOut(
        gesperrt=geraet.gesperrt_am is not None,
        ausleihen=[ausleihe_out(row) for row in selectors.offene_ausleihen(geraet)],
        gesichert=abgleich_selectors.gesichert(geraet),
    )


@router.post(
    "/koffer/geloescht",
    auth=GeraetAuth(gesperrt_erlaubt=True),
    response={200: GeraetOut, 401: GeraetProblem, 409: Problem},
    summary="Für den gesperrten Koffer: bestätigt, dass er seine Daten gelöscht hat",
)
def geloescht(request: HttpRequest) -> GeraetOut:
    geraet: Geraet = request.geraet  # type: ignore[attr-defined]
    return geraet_out(services.geloescht_melden(geraet=geraet))


@router.get(
    "/koffer/ausleihen",
    auth=GERAET_ODER_PERSON,
    response={200: list[AusleiheOut], 401: GeraetProblem, 403: Problem},
    summary="Die offenen Ausleihen: des Koffers selbst, der eigenen Koffer, oder für die "
    "Administration alle",
)
def list_ausleihen(request: TenantRequest) -> list[AusleiheOut]:
    _mit_koffer(request)
    geraet = getattr(request, "geraet", None)
    rows = selectors.ausleihen(request.access, request.user.pk, geraet=geraet)
    return [ausleihe_out(row) for row in rows]


@router.post(
    "/koffer/ausleihen",
    auth=GERAET_ODER_PERSON,
    response={
        201: list[AusleiheOut],
        401: GeraetProblem,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
    },
    summary="Akten in den Koffer nehmen (alle oder keine): 409, wenn eine in einem anderen "
    "Koffer ist; dieselbe Akte im selben Koffer verlängert die Ausleihe",
)
def create_ausleihen(request: TenantRequest, body: AusleiheIn) -> Status:
    _tenant(request)
    geraet = getattr(request, "geraet", None)
    if geraet is None:
        if body.geraet_id is None:
            raise Forbidden("geraet_required", "Bitte nennen Sie den Koffer (geraet_id).")
        geraet = _geraet(request, body.geraet_id)
    akten = selectors.akten_zum_mitnehmen(request.access, request.user.pk, body.akten)
    if len(akten) != len(set(body.akten)):
        raise not_found("Eine der Akten")
    rows = services.ausleihen(
        actor=request.user, geraet=geraet, akten=akten, bis=body.bis, access=request.access
    )
    return Status(201, [ausleihe_out(row) for row in rows])


@router.post(
    "/koffer/ausleihen/{ausleihe_id}/zurueckgeben",
    auth=GERAET_ODER_PERSON,
    response={200: AusleiheOut, 401: GeraetProblem, 403: Problem, 404: Problem, 409: Problem},
    summary="Eine Akte aus dem Koffer zurückgeben",
)
def zurueckgeben(request: TenantRequest, ausleihe_id: uuid.UUID) -> AusleiheOut:
    _tenant(request)
    geraet = getattr(request, "geraet", None)
    row = selectors.ausleihe(request.access, request.user.pk, ausleihe_id)
    if row is None or (geraet is not None and row.geraet_id != geraet.pk):
        raise not_found("Diese Ausleihe")
    return ausleihe_out(
        services.zurueckgeben(actor=request.user, ausleihe=row, access=request.access)
    )
