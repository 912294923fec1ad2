"""API answers of the Posteingang checked against the committed docs/openapi.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.api.jsonschema_check import errors

DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text(encoding="utf-8")
)


def conforms(response: Any, path: str, method: str) -> Any:
    """The answer's body, after checking it against the committed schema."""
    operation = DOCUMENT["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    body = json.loads(response.content)
    if documented is None:
        assert response.status_code >= 400, response.status_code
        schema: dict[str, Any] = {"$ref": "#/components/schemas/Problem"}
    else:
        content = documented["content"]
        schema = (content.get("application/json") or content["application/problem+json"])["schema"]
    found = errors(body, schema, DOCUMENT["components"]["schemas"])
    assert not found, found
    return body
