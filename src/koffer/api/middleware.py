"""The last word on /api/ answers: an error that left the API without a problem document
(ninja's 405 for a known path with the wrong method, anything Django answered itself)
becomes one, in German, so a client can always read ``code``."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from koffer.accounts.http import is_api
from koffer.api.problems import PROBLEM_CONTENT_TYPE, problem_response

FALLBACK = {
    400: ("bad_request", "Anfrage ungültig", "Die Anfrage konnte nicht verarbeitet werden."),
    403: ("forbidden", "Keine Berechtigung", "Diese Anfrage ist Ihnen nicht erlaubt."),
    404: ("not_found", "Nicht gefunden", "Diese Adresse gibt es in der API nicht."),
    405: (
        "method_not_allowed",
        "Methode nicht erlaubt",
        "Diese Adresse kennt die Methode nicht. Erlaubt: {allow}.",
    ),
}


class ProblemMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            not is_api(request)
            or response.status_code not in FALLBACK
            or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            return response
        code, title, detail = FALLBACK[response.status_code]
        problem = problem_response(
            response.status_code, code, title, detail.format(allow=response.get("Allow", "–"))
        )
        for header in ("Allow", "WWW-Authenticate"):
            if header in response:
                problem[header] = response[header]
        return problem
