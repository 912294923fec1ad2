"""A 422 speaks German: pydantic's English ``msg`` becomes a German sentence, while ``loc``
and ``type`` stay as they were so a client can still act on them; and the body is what the
committed OpenAPI document promises for a problem."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from django.test import Client

from koffer.accounts.models import User
from koffer.api.problems import GENERIC_MESSAGE, german_message
from tests.api.jsonschema_check import errors as schema_errors

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
ENGLISH = ("Field required", "should", "Input", "valid", "characters", "Value error")


def _validation_problem(response: Any) -> dict[tuple[str, ...], dict[str, Any]]:
    assert response.status_code == 422, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    components = json.loads(DOCUMENT.read_text(encoding="utf-8"))["components"]["schemas"]
    assert schema_errors(body, {"$ref": "Problem"}, components) == []
    assert body["code"] == "validation_failed" and body["title"] == "Eingaben ungültig"
    assert "nichts gespeichert" in body["detail"]
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}
        assert not any(word in error["msg"] for word in ENGLISH), error
    return {tuple(e["loc"]): e for e in body["errors"]}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_missing_fields_are_named_in_german(caseworker: User) -> None:
    response = _client(caseworker).post("/api/v1/akten", {}, content_type="application/json")
    errors = _validation_problem(response)
    title = errors[("body", "payload", "title")]
    assert title == {
        "loc": ["body", "payload", "title"],
        "msg": "Diese Angabe fehlt, sie ist Pflicht.",
        "type": "missing",
    }
    assert errors[("body", "payload", "unit_id")]["type"] == "missing"


def test_short_text_bad_uuid_bad_date_and_wrong_choice(caseworker: User) -> None:
    payload = {
        "aktenplaneinheit_id": "keine-uuid",
        "unit_id": str(uuid.uuid4()),
        "title": "",
        "person": {"family_name": "Muster", "birth_date": "2024-02-30"},
        "bg_rolle": "kaiser",
    }
    response = _client(caseworker).post("/api/v1/akten", payload, content_type="application/json")
    errors = _validation_problem(response)
    title = errors[("body", "payload", "title")]
    assert title["type"] == "string_too_short"
    assert title["msg"] == "Der Text muss mindestens 1 Zeichen lang sein."
    plan = errors[("body", "payload", "aktenplaneinheit_id")]
    assert plan["type"] == "uuid_parsing" and plan["msg"].startswith("Erwartet wird eine UUID")
    birth = errors[("body", "payload", "person", "birth_date")]
    assert birth["type"] == "date_from_datetime_parsing" or birth["type"] == "date_parsing"
    assert "Datum (JJJJ-MM-TT)" in birth["msg"]
    rolle = errors[("body", "payload", "bg_rolle")]
    assert rolle["type"] == "enum"
    assert rolle["msg"].startswith("Erlaubt ist nur: ") and " oder " in rolle["msg"]


def test_wrong_literal_and_bad_path_uuid(caseworker: User) -> None:
    client = _client(caseworker)
    response = client.post(
        f"/api/v1/vorgaenge/{uuid.uuid4()}/status",
        {"status": "vielleicht"},
        content_type="application/json",
    )
    status = _validation_problem(response)[("body", "payload", "status")]
    assert status["type"] == "literal_error"
    assert status["msg"] == "Erlaubt ist nur: 'open', 'waiting' oder 'done'."
    errors = _validation_problem(client.get("/api/v1/akten/nicht-eine-uuid"))
    assert errors[("path", "akte_id")]["type"] == "uuid_parsing"


def test_long_text_and_unknown_types() -> None:
    too_long = {"type": "string_too_long", "ctx": {"max_length": 200}, "msg": "String should"}
    assert german_message(too_long) == "Der Text darf höchstens 200 Zeichen lang sein."
    assert german_message({"type": "neu_in_pydantic_3", "msg": "Something"}) == GENERIC_MESSAGE
    # pydantic's own validators put English into ctx["error"]: not passed on.
    english = {"type": "value_error", "ctx": {"error": "value is not a valid email"}}
    assert german_message(english) == GENERIC_MESSAGE
    # a template whose ctx value is missing does not fail
    assert german_message({"type": "string_too_short", "ctx": {}}) == GENERIC_MESSAGE
