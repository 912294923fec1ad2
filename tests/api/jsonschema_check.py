"""A small JSON Schema checker for the subset the OpenAPI document uses (ninja/pydantic
output): $ref, type, enum, properties, required, additionalProperties, items, prefixItems,
anyOf, allOf, string, number and array bounds, and the formats uuid, date, date-time.
No dependency of its own; every keyword it does not know fails loudly, so the subset
cannot silently shrink."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

IGNORED = {"title", "description", "default", "examples", "nullable"}
KNOWN = IGNORED | {
    "$ref",
    "type",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "prefixItems",
    "anyOf",
    "allOf",
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
}
TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}


def errors(
    value: Any, schema: dict[str, Any], components: dict[str, Any], at: str = "$"
) -> list[str]:
    """Every way ``value`` violates ``schema``; empty when it conforms."""
    unknown = set(schema) - KNOWN
    if unknown:
        return [f"{at}: unbekannte Schlüsselwörter {sorted(unknown)}"]
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return errors(value, components[name], components, at)
    found: list[str] = []
    if "allOf" in schema:
        for part in schema["allOf"]:
            found += errors(value, part, components, at)
    if "anyOf" in schema and all(errors(value, p, components, at) for p in schema["anyOf"]):
        found.append(f"{at}: passt zu keiner Alternative von anyOf: {value!r:.80}")
    if "type" in schema and not _is_type(value, schema["type"]):
        return [*found, f"{at}: {value!r:.80} ist nicht vom Typ {schema['type']}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r:.80} ist keiner der Werte {schema['enum']}")
    if isinstance(value, str):
        found += _string(value, schema, at)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{at}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{at}: {value} > {schema['maximum']}")
    if isinstance(value, list):
        found += _array(value, schema, components, at)
    if isinstance(value, dict):
        found += _object(value, schema, components, at)
    return found


def _is_type(value: Any, expected: str | list[str]) -> bool:
    names = [expected] if isinstance(expected, str) else expected
    for name in names:
        if name in ("integer", "number") and isinstance(value, bool):
            continue
        if isinstance(value, TYPES[name]):
            return True
    return False


def _string(value: str, schema: dict[str, Any], at: str) -> list[str]:
    found = []
    if "minLength" in schema and len(value) < schema["minLength"]:
        found.append(f"{at}: kürzer als {schema['minLength']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(f"{at}: länger als {schema['maxLength']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        found.append(f"{at}: {value!r:.80} passt nicht zu {schema['pattern']}")
    fmt = schema.get("format")
    parse = {"uuid": uuid.UUID, "date": date.fromisoformat, "date-time": datetime.fromisoformat}
    if fmt in parse:
        try:
            parse[fmt](value.replace("Z", "+00:00") if fmt == "date-time" else value)
        except ValueError:
            found.append(f"{at}: {value!r:.80} ist kein {fmt}")
    return found


def _array(
    value: list[Any], schema: dict[str, Any], components: dict[str, Any], at: str
) -> list[str]:
    found = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        found.append(f"{at}: weniger als {schema['minItems']} Einträge")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        found.append(f"{at}: mehr als {schema['maxItems']} Einträge")
    prefix = schema.get("prefixItems", [])
    for i, item in enumerate(value):
        if i < len(prefix):
            found += errors(item, prefix[i], components, f"{at}[{i}]")
        elif "items" in schema:
            found += errors(item, schema["items"], components, f"{at}[{i}]")
    return found


def _object(
    value: dict[str, Any], schema: dict[str, Any], components: dict[str, Any], at: str
) -> list[str]:
    found = [
        f"{at}: Feld {name!r} fehlt" for name in schema.get("required", []) if name not in value
    ]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            found += errors(item, properties[name], components, f"{at}.{name}")
        elif extra is False:
            found.append(f"{at}: Feld {name!r} ist nicht beschrieben")
        elif isinstance(extra, dict):
            found += errors(item, extra, components, f"{at}.{name}")
    return found
