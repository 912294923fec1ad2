"""Every error the API answers is problem+json in German: unknown paths, a failed CSRF
check, bodies Django cannot parse. The web pages answer the same bodies with a German page."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client, override_settings

from koffer.accounts.models import User
from koffer.tenancy.models import Mandant
from tests import factories

LONG_NAME = "Widerspruchsbescheid_" + "x" * 1000 + ".pdf"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code
    return body


def _token(tenant: Mandant) -> str:
    _, secret = factories.api_token(tenant, ["records.edit", "records.view"], name="Fachverfahren")
    return secret


def _long_named_file() -> io.BytesIO:
    # Not SimpleUploadedFile: it cuts a name to 255 characters before the client sends it.
    file = io.BytesIO(b"%PDF-1.4\n")
    file.name = LONG_NAME
    return file


def _upload_url() -> str:
    return f"/api/v1/akten/{uuid.uuid4()}/dokumente"


# "/api" and "/api/v1" without the slash were an HTML 301 from APPEND_SLASH.
@pytest.mark.parametrize(
    "path", ["/api/v1/gibt-es-nicht", "/api/v1/akten/x/y/z", "/api/v2/me", "/api", "/api/v1"]
)
def test_unknown_api_path_is_problem_json(caseworker: User, path: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)
    for response in (client.get(path), client.post(path, {})):
        body = _problem(response, 404, "not_found")
        assert "gibt es in der API nicht" in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/nirgends", "/api", "/api?format=json"])
def test_unknown_api_path_without_sign_in_is_problem_json(db: None, path: str) -> None:
    response = Client().get(path)
    _problem(response, 404, "not_found")
    assert "Location" not in response


def test_wrong_method_on_a_known_path_is_problem_json(caseworker: User) -> None:
    client = Client()
    client.force_login(caseworker)
    response = client.delete("/api/v1/me")
    body = _problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET" and "GET" in body["detail"]


def test_session_post_without_csrf_token_is_german_problem_json(caseworker: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)
    response = client.post("/api/v1/units", data="{}", content_type="application/json")
    body = _problem(response, 403, "csrf_failed")
    assert body["title"] == "Sicherheitsprüfung fehlgeschlagen" and "CSRF-Token" in body["detail"]


def test_post_without_session_or_token_is_not_authenticated(db: None) -> None:
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/units", data="{}", content_type="application/json"
    )
    _problem(response, 401, "not_authenticated")


def test_long_file_name_is_a_400_not_a_500(tenant: Mandant, caseworker: User) -> None:
    token_client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(tenant)}")
    response = token_client.post(_upload_url(), {"dateien": _long_named_file()})
    body = _problem(response, 400, "malformed_multipart")
    assert "Dateiname" in body["detail"]
    session = Client()
    session.force_login(caseworker)
    response = session.post(_upload_url(), {"dateien": _long_named_file()})
    _problem(response, 400, "malformed_multipart")


@override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=2)
def test_too_many_files_is_a_400(tenant: Mandant) -> None:
    files = [SimpleUploadedFile(f"{i}.pdf", b"%PDF-1.4\n") for i in range(3)]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(tenant)}")
    _problem(client.post(_upload_url(), {"dateien": files}), 400, "too_many_files")


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=2)
def test_too_many_fields_is_a_400(tenant: Mandant) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(tenant)}")
    fields = {"a": "1", "b": "2", "c": "3", "dateien": SimpleUploadedFile("a.pdf", b"%PDF")}
    _problem(client.post(_upload_url(), fields), 400, "too_many_fields")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversized_form_fields_are_a_413(tenant: Mandant) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {_token(tenant)}")
    fields = {"titel": "x" * 5000, "dateien": SimpleUploadedFile("a.pdf", b"%PDF")}
    _problem(client.post(_upload_url(), fields), 413, "payload_too_large")


def test_web_form_with_long_file_name_gets_a_german_page(caseworker: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)
    response = client.post("/", {"datei": _long_named_file()})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Upload nicht lesbar" in page and "Dateiname" in page


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=2)
def test_web_form_with_too_many_fields_gets_a_german_page(caseworker: User) -> None:
    response = Client().post("/anmelden/", {"a": "1", "b": "2", "c": "3"})
    assert response.status_code == 400
    assert "Zu viele Formularfelder" in response.content.decode()


def _raw(
    path: str, body: bytes, content_type: str, *, length: int | None = None, **headers: str
) -> tuple[str, dict[str, str], bytes]:
    """Send bytes as a client put them on the wire, through the WSGI application; with
    ``length`` the Content-Length a client announced and then did not send."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body) if length is None else length),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        **{f"HTTP_{k.upper()}": v for k, v in headers.items()},
    }
    started: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        started["status"] = status
        started["headers"] = dict(response_headers)

    # Like the test client: a request must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        chunks = WSGIHandler()(environ, start_response)
        content = b"".join(chunks)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return started["status"], started["headers"], content


def test_raw_multipart_with_a_long_file_name(tenant: Mandant) -> None:
    boundary = "----koffer-angriff"
    body = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="dateien"; filename="{LONG_NAME}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
        "%PDF-1.4\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    content_type = f"multipart/form-data; boundary={boundary}"
    status, headers, content = _raw(
        _upload_url(), body, content_type, authorization=f"Bearer {_token(tenant)}"
    )
    assert status.startswith("400") and headers["Content-Type"] == "application/problem+json"
    assert b"malformed_multipart" in content
    status, headers, content = _raw("/anmelden/", body, content_type)
    assert status.startswith("400") and headers["Content-Type"].startswith("text/html")
    assert "Upload nicht lesbar" in content.decode()


def test_body_shorter_than_its_content_length_is_refused(tenant: Mandant) -> None:
    # JSON and a form cut short may still parse ("titel=Antr" for "titel=Antrag"): the
    # announced length decides, not whether the rest looks valid.
    body = b'{"name": "Team Nord", "parent_id": "' + str(uuid.uuid4()).encode() + b'"}'
    status, headers, content = _raw(
        "/api/v1/units",
        body[:20],
        "application/json",
        length=len(body),
        authorization=f"Bearer {_token(tenant)}",
    )
    assert status.startswith("400") and headers["Content-Type"] == "application/problem+json"
    assert b"incomplete_body" in content
    form = b"username=anna&password=geheim"
    status, headers, content = _raw(
        "/anmelden/", form[:-3], "application/x-www-form-urlencoded", length=len(form)
    )
    assert status.startswith("400") and headers["Content-Type"].startswith("text/html")
    assert "Anfrage unvollständig" in content.decode()
