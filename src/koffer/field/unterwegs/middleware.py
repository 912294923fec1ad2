"""Koffer mode only: a fresh Koffer (no account, not paired) lands on „Koffer einrichten“
when its start page or the sign-in is opened (``make run`` opens ``/``); a Koffer that
crypto-erased itself after a revocation answers every request with „Dieser Koffer wurde
gesperrt und gelöscht“ and nothing else, without touching its (gone) database."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

from koffer.field.unterwegs import ablauf, einrichtung


class EinrichtenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "GET"
            and ablauf.im_koffer()
            and request.path in {"/", reverse("accounts:login")}
            and einrichtung.offen()
        ):
            return redirect("field:einrichten")
        return self.get_response(request)


class GesperrtMiddleware:
    """Before sessions and sign-in (they would open the database that is gone). Asked
    again after the response: a request that was running while this Koffer wiped itself
    (the worker learnt of the revocation, or another page did) fails on the vanished
    database — often only when the session is saved — and answers the same 410 page,
    never a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if ablauf.geloescht():
            return gesperrt_seite()
        response = self.get_response(request)
        if response.status_code >= 500 and ablauf.geloescht():
            return gesperrt_seite()
        return response


def gesperrt_seite() -> HttpResponse:
    html = render_to_string(
        "shell/error_plain.html",
        {
            "title": ablauf.GELOESCHT,
            "detail": "Das Büro hat diesen Koffer gesperrt. Der Schlüssel und alle Daten auf"
            " diesem Laptop wurden gelöscht. Bitte beenden Sie koffer und wenden Sie sich an"
            " das Büro.",
            "status": 410,
        },
    )
    return HttpResponse(html, status=410, headers={"HX-Refresh": "true"})
