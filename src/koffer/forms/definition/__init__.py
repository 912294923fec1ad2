"""The definition format of koffer's forms (format 1), pure: no models, no other app.

``lesen`` reads a definition's JSON (checked against :func:`schema`, then for what a
schema cannot say); ``pruefen`` checks answers against it; ``sichtbar`` says which steps
and fields are shown. The format is described in ``docs/formulare.md`` and published as
the JSON Schema ``docs/formulare-definition.schema.json``.
"""

from .lesen import DefinitionFehler, als_json, lesen, schema
from .modell import (
    FELDTYPEN,
    VORBELEGUNGEN,
    Bedingung,
    Definition,
    Feld,
    Option,
    Regel,
    Schritt,
    Text,
    Vorgangsangabe,
    text_de,
)
from .pruefen import Pruefung, Sichtbarkeit, pruefen, sichtbar

__all__ = [
    "FELDTYPEN",
    "VORBELEGUNGEN",
    "Bedingung",
    "Definition",
    "DefinitionFehler",
    "Feld",
    "Option",
    "Pruefung",
    "Regel",
    "Schritt",
    "Sichtbarkeit",
    "Text",
    "Vorgangsangabe",
    "als_json",
    "lesen",
    "pruefen",
    "schema",
    "sichtbar",
    "text_de",
]
