"""The shape of the placements package, checked where the linters cannot see it.

Private names across modules are checked for all of koffer in tests/test_private_names.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import koffer.placements

ROOT = Path(koffer.placements.__file__).resolve().parent


def _modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if "migrations" not in p.parts]


def test_url_lists_live_in_urls_modules_and_views_stay_out_of_the_api() -> None:
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.name == "views.py":
            names = {
                t.id
                for node in tree.body
                if isinstance(node, ast.Assign | ast.AnnAssign)
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(t, ast.Name)
            }
            assert "urlpatterns" not in names, path
        if path.name == "api.py":
            imported = {
                f"{node.module}.{a.name}"
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom)
                for a in node.names
            } | {
                a.name
                for node in ast.walk(tree)
                if isinstance(node, ast.Import)
                for a in node.names
            }
            assert not any(".views" in m for m in imported), path
