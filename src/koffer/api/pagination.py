"""Cursor pagination: stable under inserts, O(1) per page on an indexed, unique ordering.

The cursor is the opaque, URL-safe encoding of the last row's primary key; UUIDv7 keys
are time-ordered, so ``pk`` order is creation order.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.db.models import QuerySet
from ninja import Schema

from koffer.api.problems import ApiProblem

MAX_LIMIT = 200


class Page(Schema):
    next_cursor: str | None
    items: list[Any]


def encode_cursor(pk: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(pk.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, TypeError) as exc:
        raise ApiProblem(
            400, "invalid_cursor", "Ungültiger Cursor", "Der Cursor ist ungültig oder abgelaufen."
        ) from exc


def paginate(
    queryset: QuerySet[Any], *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page in primary-key order after ``cursor``, and the cursor for the next page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiProblem(
            400,
            "invalid_limit",
            "Ungültige Seitengröße",
            f"limit muss zwischen 1 und {MAX_LIMIT} liegen.",
        )
    qs = queryset.order_by("pk")
    if cursor:
        qs = qs.filter(pk__gt=decode_cursor(cursor))
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].pk) if has_more and rows else None)
