"""Errors as problem+json (RFC 9457) with a stable ``code`` a client can switch on."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from koffer.accounts.http import BODY_ERRORS, body_refused
from koffer.errors import DomainError

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
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
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
    for name, value in (extra or {}).items():
        body.setdefault(name, value)
    return JsonResponse(
        body,
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


# pydantic's error types in German. ``loc`` and ``type`` stay as pydantic gives them, so a
# client can still act on them; only ``msg`` is for people. Placeholders are pydantic's
# ``ctx`` values. A type not listed gets GENERIC_MESSAGE, never pydantic's English.
MESSAGES: dict[str, str] = {
    "missing": "Diese Angabe fehlt, sie ist Pflicht.",
    "missing_argument": "Diese Angabe fehlt, sie ist Pflicht.",
    "extra_forbidden": "Diese Angabe ist hier nicht vorgesehen.",
    "string_type": "Erwartet wird ein Text.",
    "string_sub_type": "Erwartet wird ein Text.",
    "string_unicode": "Erwartet wird ein Text in gültigem Unicode.",
    "string_too_short": "Der Text muss mindestens {min_length} Zeichen lang sein.",
    "string_too_long": "Der Text darf höchstens {max_length} Zeichen lang sein.",
    "string_pattern_mismatch": "Der Text hat nicht die erwartete Form ({pattern}).",
    "too_short": "Erwartet werden mindestens {min_length} Einträge, es sind {actual_length}.",
    "too_long": "Erlaubt sind höchstens {max_length} Einträge.",
    "uuid_type": "Erwartet wird eine UUID (z. B. 3f2b8c1e-5d4a-4c6b-9e7f-0a1b2c3d4e5f).",
    "uuid_parsing": "Erwartet wird eine UUID (z. B. 3f2b8c1e-5d4a-4c6b-9e7f-0a1b2c3d4e5f).",
    "uuid_version": "Erwartet wird eine UUID der Version {expected_version}.",
    "enum": "Erlaubt ist nur: {expected}.",
    "literal_error": "Erlaubt ist nur: {expected}.",
    "bool_type": "Erwartet wird ein Wahrheitswert (true oder false).",
    "bool_parsing": "Erwartet wird ein Wahrheitswert (true oder false).",
    "int_type": "Erwartet wird eine ganze Zahl.",
    "int_parsing": "Erwartet wird eine ganze Zahl.",
    "int_parsing_size": "Die Zahl ist zu groß.",
    "int_from_float": "Erwartet wird eine ganze Zahl ohne Nachkommastellen.",
    "float_type": "Erwartet wird eine Zahl.",
    "float_parsing": "Erwartet wird eine Zahl (mit Punkt als Dezimaltrenner).",
    "finite_number": "Erwartet wird eine endliche Zahl.",
    "decimal_type": "Erwartet wird eine Dezimalzahl.",
    "decimal_parsing": "Erwartet wird eine Dezimalzahl (mit Punkt als Dezimaltrenner).",
    "decimal_max_digits": "Die Zahl darf höchstens {max_digits} Ziffern haben.",
    "decimal_max_places": "Die Zahl darf höchstens {decimal_places} Nachkommastellen haben.",
    "decimal_whole_digits": "Die Zahl darf höchstens {whole_digits} Stellen vor dem Komma haben.",
    "greater_than": "Der Wert muss größer als {gt} sein.",
    "greater_than_equal": "Der Wert muss mindestens {ge} sein.",
    "less_than": "Der Wert muss kleiner als {lt} sein.",
    "less_than_equal": "Der Wert darf höchstens {le} sein.",
    "multiple_of": "Der Wert muss ein Vielfaches von {multiple_of} sein.",
    "date_type": "Erwartet wird ein Datum (JJJJ-MM-TT).",
    "date_parsing": "Erwartet wird ein gültiges Datum (JJJJ-MM-TT).",
    "date_from_datetime_parsing": "Erwartet wird ein gültiges Datum (JJJJ-MM-TT).",
    "date_from_datetime_inexact": "Erwartet wird ein Datum ohne Uhrzeit (JJJJ-MM-TT).",
    "date_past": "Das Datum muss in der Vergangenheit liegen.",
    "date_future": "Das Datum muss in der Zukunft liegen.",
    "datetime_type": "Erwartet wird ein Zeitpunkt (JJJJ-MM-TTThh:mm:ss, ISO 8601).",
    "datetime_parsing": "Erwartet wird ein gültiger Zeitpunkt (JJJJ-MM-TTThh:mm:ss, ISO 8601).",
    "datetime_from_date_parsing": "Erwartet wird ein gültiger Zeitpunkt (JJJJ-MM-TTThh:mm:ss).",
    "datetime_object_invalid": "Der Zeitpunkt ist ungültig.",
    "datetime_past": "Der Zeitpunkt muss in der Vergangenheit liegen.",
    "datetime_future": "Der Zeitpunkt muss in der Zukunft liegen.",
    "timezone_aware": "Der Zeitpunkt braucht eine Zeitzone (z. B. +01:00 oder Z).",
    "timezone_naive": "Der Zeitpunkt darf keine Zeitzone haben.",
    "time_type": "Erwartet wird eine Uhrzeit (hh:mm:ss).",
    "time_parsing": "Erwartet wird eine gültige Uhrzeit (hh:mm:ss).",
    "time_delta_type": "Erwartet wird eine Dauer.",
    "time_delta_parsing": "Erwartet wird eine gültige Dauer.",
    "dict_type": "Erwartet wird ein Objekt.",
    "model_type": "Erwartet wird ein Objekt.",
    "model_attributes_type": "Erwartet wird ein Objekt.",
    "list_type": "Erwartet wird eine Liste.",
    "tuple_type": "Erwartet wird eine Liste.",
    "set_type": "Erwartet wird eine Liste ohne doppelte Einträge.",
    "iterable_type": "Erwartet wird eine Liste.",
    "json_type": "Erwartet wird JSON als Text.",
    "bytes_type": "Erwartet werden Binärdaten.",
    "none_required": "Hier ist kein Wert erlaubt (null).",
    "url_type": "Erwartet wird eine Adresse (URL).",
    "url_parsing": "Erwartet wird eine gültige Adresse (URL).",
    "url_scheme": "Die Adresse muss mit {expected_schemes} beginnen.",
    "union_tag_invalid": "Unbekannte Art {tag}; erlaubt ist: {expected_tags}.",
    "union_tag_not_found": "Die Angabe {discriminator} fehlt, sie ist Pflicht.",
}
GENERIC_MESSAGE = "Diese Angabe ist ungültig."
# The detail of every 422 validation_failed, whether pydantic or an endpoint found it.
VALIDATION_DETAIL = (
    "Mindestens eine Angabe der Anfrage ist ungültig; welche und warum, steht in errors "
    "(loc: wo, type: welcher Fehler, msg: Erklärung). Es wurde nichts gespeichert."
)


def _german_list(expected: str) -> str:
    # pydantic joins the allowed values with English words: "'a', 'b' or 'c'".
    return expected.replace(" or ", " oder ").replace(" and ", " und ")


def german_message(error: dict[str, Any]) -> str:
    """pydantic's ``msg`` for one error, in German."""
    kind = str(error.get("type", ""))
    ctx = {
        name: _german_list(value) if isinstance(value, str) else value
        for name, value in (error.get("ctx") or {}).items()
    }
    # value_error and assertion_error carry their text in ctx["error"], which pydantic's own
    # validators fill in English; so they get the generic text like any unknown type.
    template = MESSAGES.get(kind)
    if template is None:
        return GENERIC_MESSAGE
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return GENERIC_MESSAGE


def german_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(p) for p in e.get("loc", [])],
            "msg": german_message(e),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


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

    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        response = problem_response(exc.status, exc.code, exc.title, exc.message, extra=exc.extra)
        retry_after = getattr(exc, "retry_after", None)  # a rate limit's wait (429)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = german_errors(exc.errors)
        malformed = any(
            e["type"] in {"json_invalid", "value_error.jsondecode"} for e in errors
        ) or any(
            "json" in str(e["msg"]).lower() and "decode" in str(e["msg"]).lower()
            for e in exc.errors
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
            VALIDATION_DETAIL,
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
