"""Start page, accessibility statement and the German error pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from koffer.accounts.http import body_refused
from koffer.shell.tasks_registry import tasks_for


@login_required
def start(request: HttpRequest) -> HttpResponse:
    access = request.access  # type: ignore[attr-defined]
    return render(
        request,
        "shell/start.html",
        {"page_title": "Start", "roles": access.roles, "tasks": tasks_for(request)},
    )


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "shell/accessibility.html", {"page_title": "Barrierefreiheit"})


def _error(request: HttpRequest, status: int, title: str, detail: str) -> HttpResponse:
    return render(
        request,
        "shell/error.html",
        {"status": status, "title": title, "detail": detail},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    refused = body_refused(exception) if exception is not None else None
    if refused is not None:
        return _error(request, refused.status, refused.title, refused.detail)
    return _error(
        request,
        400,
        "Anfrage ungültig",
        "Die Anfrage konnte nicht verarbeitet werden. Bitte prüfen Sie Ihre Eingaben und "
        "versuchen Sie es erneut. Es wurde nichts gespeichert.",
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 403, "Keine Berechtigung", "Für diese Seite fehlt Ihnen die nötige Berechtigung."
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        "Seite nicht gefunden",
        "Die Seite gibt es nicht, oder Sie dürfen sie nicht sehen. Prüfen Sie die Adresse.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without a request context: the error might come from a context processor.
    from django.template.loader import render_to_string

    html = render_to_string(
        "shell/error_plain.html",
        {
            "status": 500,
            "title": "Interner Fehler",
            "detail": "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut; nichts wurde halb gespeichert.",
        },
    )
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        "Sitzung abgelaufen oder Formular ungültig",
        "Das Formular konnte nicht sicher übermittelt werden. Bitte laden Sie die Seite neu und senden Sie es erneut. Es wurde nichts gespeichert.",
    )
