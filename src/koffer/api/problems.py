"""Errors as problem+json (RFC 9457) with a stable ``code`` a client can switch on."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from koffer.accounts.http import BODY_ERRORS, body_refused

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None


class ApiProblem(Exception):
    """Raise from an endpoint to answer with a problem document."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem_response(
    status: int, code: str, title: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return JsonResponse(
        body,
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def not_found(what: str = "Objekt") -> ApiProblem:
    return ApiProblem(
        404, "not_found", "Nicht gefunden", f"{what} gibt es nicht, oder Sie dürfen es nicht sehen."
    )


def csrf_failed() -> ApiProblem:
    return ApiProblem(
        403,
        "csrf_failed",
        "Sicherheitsprüfung fehlgeschlagen",
        "Eine Anfrage mit Sitzungsanmeldung, die etwas ändert, braucht das CSRF-Token "
        "(Kopfzeile X-CSRFToken). Bitte laden Sie die Seite neu; Programme melden sich mit "
        "einem API-Schlüssel an. Es wurde nichts gespeichert.",
    )


def not_found_response() -> HttpResponse:
    return problem_response(
        404,
        "not_found",
        "Nicht gefunden",
        "Diese Adresse gibt es in der API nicht. Die Schnittstelle ist unter /api/v1/docs "
        "beschrieben.",
    )


@csrf_exempt  # it changes nothing; a POST to a wrong address learns that, not "CSRF"
def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Every /api/ path no router knows: problem+json, not the web pages' HTML 404."""
    return not_found_response()


def install(api: NinjaAPI) -> None:
    """Route every error the API can raise through problem_response."""

    @api.exception_handler(ApiProblem)
    def _problem(request: HttpRequest, exc: ApiProblem) -> HttpResponse:
        response = problem_response(exc.status, exc.code, exc.title, exc.detail, exc.errors)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", [])],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors
        ]
        malformed = any(
            e["type"] in {"json_invalid", "value_error.jsondecode"} for e in errors
        ) or any(
            "json" in str(e["msg"]).lower() and "decode" in str(e["msg"]).lower() for e in errors
        )
        if malformed:
            return problem_response(
                400,
                "malformed_json",
                "Ungültiges JSON",
                "Der Inhalt der Anfrage ist kein gültiges JSON.",
            )
        return problem_response(
            422,
            "validation_failed",
            "Eingaben ungültig",
            "Mindestens ein Feld ist ungültig.",
            errors,
        )

    def _body(request: HttpRequest, exc: Exception | type[Exception]) -> HttpResponse:
        refused = body_refused(exc) if isinstance(exc, Exception) else None
        assert refused is not None  # registered for BODY_ERRORS only
        return problem_response(refused.status, refused.code, refused.title, refused.detail)

    for kind in BODY_ERRORS:
        api.add_exception_handler(kind, _body)

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(
            404,
            "not_found",
            "Nicht gefunden",
            "Das Objekt gibt es nicht, oder Sie dürfen es nicht sehen.",
        )

    @api.exception_handler(AuthenticationError)
    def _auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem_response(
            401,
            "not_authenticated",
            "Nicht angemeldet",
            "Bitte melden Sie sich an oder senden Sie einen gültigen API-Schlüssel (Authorization: Bearer …).",
        )

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            return problem_response(
                400,
                "malformed_json",
                "Ungültiges JSON",
                "Der Inhalt der Anfrage ist kein gültiges JSON.",
            )
        codes = {
            400: "bad_request",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
        }
        return problem_response(
            exc.status_code, codes.get(exc.status_code, "error"), "Fehler", str(exc)
        )

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        import logging

        logging.getLogger("koffer.api").exception("unexpected API error")
        return problem_response(
            500,
            "internal_error",
            "Interner Fehler",
            "Es ist ein Fehler aufgetreten; nichts wurde halb gespeichert.",
        )
