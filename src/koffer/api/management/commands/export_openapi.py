from __future__ import annotations

import json
import sys
from importlib import import_module
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def openapi_document() -> str:
    """The OpenAPI document of /api/v1/ as stable, diff-friendly JSON."""
    api = import_module(settings.ROOT_URLCONF).api
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Schreibt das OpenAPI-Dokument oder prüft (--check), ob die Datei noch zum Code passt."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default="docs/openapi.json")
        parser.add_argument("--check", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        document = openapi_document()
        if options["check"]:
            if not path.exists() or path.read_text(encoding="utf-8") != document:
                raise CommandError(
                    f"{path} passt nicht mehr zur API. Neu erzeugen mit: python manage.py export_openapi {path}"
                )
            self.stdout.write(f"{path} ist aktuell.")
            return
        if str(path) == "-":
            sys.stdout.write(document)
            return
        path.write_text(document, encoding="utf-8")
        self.stdout.write(f"{path} geschrieben.")
