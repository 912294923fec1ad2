"""Enums of the OpenAPI document, each under a name of its own.

ninja names an enum's schema after its class and merges every model's definitions into
one set of components, so the many ``Status`` classes of the models (Job.Status,
Aktenauszug.Status, Meldung.Status, ...) overwrote each other: the document promised one
set of values for all of them, and valid responses failed their schema.
"""

from __future__ import annotations

import enum

from django.db.models import TextChoices


def schema_enum(name: str, choices: type[TextChoices]) -> type[enum.StrEnum]:
    """A string enum with the values of ``choices``, named ``name`` in the schema."""
    named = enum.StrEnum(name, [(member.name, member.value) for member in choices])  # type: ignore[misc]
    named.__doc__ = choices.__doc__ if choices.__doc__ != TextChoices.__doc__ else None
    return named
