"""The versioned API object; routers are added by the project's URL wiring."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ninja import NinjaAPI

if TYPE_CHECKING:
    from ninja.operation import Operation

from koffer.api import problems
from koffer.api.auth import API_AUTH


class KofferAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """ninja's ``module_function`` id, but a module that moved keeps its published ids:
        clients generate code from them. Such a module names its old dotted path in
        ``OPERATION_ID_MODULE``."""
        func = operation.view_func
        module = getattr(sys.modules.get(func.__module__), "OPERATION_ID_MODULE", func.__module__)
        return f"{module}_{func.__name__}".replace(".", "_")


def make_api() -> NinjaAPI:
    api = KofferAPI(
        title="koffer API",
        version="1",
        description=(
            "Programmierschnittstelle von koffer. Anmeldung per Sitzung (Browser) oder per "
            "API-Schlüssel eines Maschinenkontos (`Authorization: Bearer kof_…`). Fehler kommen "
            "als problem+json (RFC 9457) mit einem stabilen Feld `code`. Bei der Anmeldung: "
            "`not_authenticated` (keine oder unbekannte Anmeldung), `token_expired` "
            "(API-Schlüssel abgelaufen), `token_revoked` (API-Schlüssel widerrufen); alle "
            "mit Status 401. Eine Sitzung, die im Browser erst noch ein eigenes Passwort wählen "
            "oder den zweiten Faktor bestätigen muss: `password_change_required` bzw. "
            "`second_factor_required` mit Status 403. Die Endpunkte unter `/portal/` sind für "
            "Bürger:innen (Online-Dienste), nie für Personal: Anmeldung mit der Portal-Sitzung "
            "oder einem kurzlebigen Zugang (`Authorization: Bearer kb_…`, `POST /portal/token`)."
        ),
        auth=API_AUTH,
        urls_namespace="api",
        docs_url="/docs",
    )
    problems.install(api)
    return api
