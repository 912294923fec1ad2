"""API of the catalogue: the forms with their current version, the JSON Schema of the
definition format, one form's definition (current or a given version), and the import
for the administration (422 problem+json with every finding in ``fehler``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Body, Field, Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.api.problems import Problem, not_found
from koffer.errors import Forbidden
from koffer.forms import access
from koffer.forms.definition import schema
from koffer.forms.katalog import selectors, services
from koffer.forms.models import Formular, Formularversion

router = Router(tags=["Formulare"])


class FormularProblem(Problem):
    fehler: dict[str, list[str]] | None = Field(
        None, description="Pfad → Meldungen (leerer Pfad: das Ganze)"
    )


class FormularItem(Schema):
    schluessel: str
    titel: str
    version: int = Field(description="Nummer der aktuellen Version")


class FormularDefinition(Schema):
    schluessel: str
    titel: str
    version: int
    aktuell: bool = Field(description="Ist dies die Version für neue Entwürfe?")
    is_active: bool
    online: bool
    created_at: datetime
    definition: dict[str, Any] = Field(description="Die Definition (Format 1), wie importiert")


class ImportErgebnis(Schema):
    schluessel: str
    version: int
    neu: bool = Field(description="Hat dieser Import die Version angelegt?")


def _liest(request: TenantRequest) -> None:
    if request.tenant is None or not access.liest_katalog(request.access):
        raise Forbidden("forbidden", "Nur für die Sachbearbeitung und die Administration.")


def _formular(request: TenantRequest, schluessel: str) -> Formular:
    _liest(request)
    assert request.tenant is not None
    row = selectors.formular(request.tenant.pk, schluessel)
    if row is None or row.aktuelle_version is None:
        raise not_found("Dieses Formular")
    return row


def _definition(row: Formular, version: Formularversion) -> FormularDefinition:
    return FormularDefinition(
        schluessel=row.schluessel,
        titel=row.titel,
        version=version.nummer,
        aktuell=version.pk == row.aktuelle_version_id,
        is_active=row.is_active,
        online=row.online,
        created_at=version.created_at,
        definition=version.definition,
    )


@router.get(
    "/formulare",
    response={200: list[FormularItem], 403: Problem},
    summary="Der Formularkatalog: aktive Formulare mit ihrer aktuellen Version",
)
def list_formulare(request: TenantRequest) -> list[FormularItem]:
    _liest(request)
    assert request.tenant is not None
    return [
        FormularItem(
            schluessel=row.schluessel, titel=row.titel, version=row.aktuelle_version.nummer
        )
        for row in selectors.katalog(request.tenant.pk)
        if row.aktuelle_version is not None
    ]


@router.get(
    "/formulare/schema",
    response={200: dict[str, Any], 403: Problem},
    summary="Das JSON Schema des Definitionsformats (Format 1)",
)
def get_schema(request: TenantRequest) -> dict[str, Any]:
    _liest(request)
    return schema()


@router.post(
    "/formulare/import",
    response={200: list[ImportErgebnis], 403: Problem, 409: Problem, 422: FormularProblem},
    summary="Formulardefinitionen importieren (ein Objekt oder eine Liste): je Formular eine "
    "neue Version, wo sich das JSON geändert hat; mit Fehlern wird nichts gespeichert",
)
def import_formulare(
    request: TenantRequest, body: Body[dict[str, Any] | list[dict[str, Any]]]
) -> list[ImportErgebnis]:
    if request.tenant is None:
        raise Forbidden("forbidden", "Den Formularkatalog pflegt die Administration.")
    ergebnisse = services.importieren(
        actor=request.user, access=request.access, tenant=request.tenant, daten=body
    )
    return [
        ImportErgebnis(schluessel=e.formular.schluessel, version=e.version.nummer, neu=e.neu)
        for e in ergebnisse
    ]


@router.get(
    "/formulare/{schluessel}",
    response={200: FormularDefinition, 403: Problem, 404: Problem},
    summary="Ein Formular: die Definition der aktuellen Version",
)
def get_formular(request: TenantRequest, schluessel: str) -> FormularDefinition:
    row = _formular(request, schluessel)
    assert row.aktuelle_version is not None
    return _definition(row, row.aktuelle_version)


@router.get(
    "/formulare/{schluessel}/versionen/{nummer}",
    response={200: FormularDefinition, 403: Problem, 404: Problem},
    summary="Eine Version eines Formulars",
)
def get_formularversion(request: TenantRequest, schluessel: str, nummer: int) -> FormularDefinition:
    row = _formular(request, schluessel)
    version = selectors.version(row, nummer)
    if version is None:
        raise not_found("Diese Version")
    return _definition(row, version)
