"""How the OpenAPI document describes an endpoint that answers with a file (a download)
instead of JSON: ``openapi_extra=file_download("…", "application/pdf")``."""

from __future__ import annotations

from typing import Any


def file_download(description: str, media_type: str) -> dict[str, Any]:
    """The 200 response as binary content of ``media_type`` (``*/*`` when it varies)."""
    return {
        "responses": {
            200: {
                "description": description,
                "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }
