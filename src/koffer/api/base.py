"""The versioned API object; routers are added by the project's URL wiring."""

from __future__ import annotations

from ninja import NinjaAPI

from koffer.api import problems
from koffer.api.auth import API_AUTH


def make_api() -> NinjaAPI:
    api = NinjaAPI(
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
            "`second_factor_required` mit Status 403."
        ),
        auth=API_AUTH,
        urls_namespace="api",
        docs_url="/docs",
    )
    problems.install(api)
    return api
