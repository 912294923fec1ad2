"""A request that was running while the Koffer crypto-erased itself answers the 410 page
of a wiped Koffer, not a 500 (seen with a real worker wiping during „Büro erreichbar?“:
the session could no longer be saved)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from koffer.field.unterwegs import vermerke
from koffer.field.unterwegs.middleware import GesperrtMiddleware


def _wiping_view(status: int) -> Callable[[HttpRequest], HttpResponse]:
    def view(request: HttpRequest) -> HttpResponse:
        vermerke.setzen(gesperrt={"am": "2026-12-07T10:00:00+00:00", "geloescht": True})
        return HttpResponse("Serverfehler", status=status)

    return view


@pytest.mark.parametrize("status", [500, 503])
def test_a_request_running_while_the_koffer_wipes_itself_answers_410(
    tmp_path: Path, status: int
) -> None:
    with override_settings(KOFFER_MODE="koffer", VAR_DIR=tmp_path):
        response = GesperrtMiddleware(_wiping_view(status))(RequestFactory().get("/unterwegs/"))
    assert response.status_code == 410
    assert "gesperrt und gelöscht" in response.content.decode()


def test_a_failing_request_on_a_koffer_not_wiped_keeps_its_answer(tmp_path: Path) -> None:
    def failing(request: HttpRequest) -> HttpResponse:
        return HttpResponse("Serverfehler", status=500)

    with override_settings(KOFFER_MODE="koffer", VAR_DIR=tmp_path):
        response = GesperrtMiddleware(failing)(RequestFactory().get("/unterwegs/"))
    assert response.status_code == 500


def test_an_answer_of_the_wiping_request_itself_that_is_not_an_error_stays(
    tmp_path: Path,
) -> None:
    with override_settings(KOFFER_MODE="koffer", VAR_DIR=tmp_path):
        response = GesperrtMiddleware(_wiping_view(200))(RequestFactory().get("/unterwegs/"))
    assert response.status_code == 200
