"""The German 500 page: what a user sees when a view breaks, through the project's real
handler500 and middleware, with DEBUG off as in production."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from koffer import urls as project_urls
from koffer.accounts.models import User
from tests.conftest import signed_in

SECRET_DETAIL = "geheimer-zustand-4711"


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"Absturz mit {SECRET_DETAIL}")


# This module is the URLconf of the tests below: the project's routes and error handlers
# plus one view that fails. handler500 is taken from koffer.urls, so a change there is
# what these tests see.
handler500 = project_urls.handler500
urlpatterns = [path("__kaputt__/", broken_view), *project_urls.urlpatterns]


def _assert_german_500_without_leak(client: Client) -> None:
    response = client.get("/__kaputt__/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert '<html lang="de">' in body
    assert "<h1" in body and "Interner Fehler" in body
    assert "nichts wurde halb gespeichert" in body
    assert 'href="/"' in body  # a way back to the start page
    for leak in (SECRET_DETAIL, "RuntimeError", "Traceback", "broken_view", ".py", "Django"):
        assert leak not in body, f"Fehlerseite verrät {leak!r}"


@pytest.fixture
def production_errors(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False


@pytest.mark.usefixtures("production_errors")
@override_settings(ROOT_URLCONF=__name__)
def test_anonymous_500_is_german_and_tells_nothing(db: None) -> None:
    _assert_german_500_without_leak(Client(raise_request_exception=False))


@pytest.mark.usefixtures("production_errors")
@override_settings(ROOT_URLCONF=__name__)
def test_signed_in_500_is_german_and_tells_nothing(caseworker: User) -> None:
    client = signed_in(caseworker)
    client.raise_request_exception = False
    _assert_german_500_without_leak(client)


def test_the_project_uses_the_german_handler() -> None:
    assert project_urls.handler500 == "koffer.shell.views.server_error"
