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


EXCHANGE_FEATURES = ("angebote", "gesuche", "belegung")


def test_the_exchange_is_split_by_its_nouns() -> None:
    """Provider side, needs, holds and occupancy each have the role files of a feature;
    the package itself keeps no god modules of services or forms."""
    for feature in EXCHANGE_FEATURES:
        for role in ("services", "forms", "views", "api", "urls"):
            assert (ROOT / feature / f"{role}.py").is_file(), (feature, role)
    assert not (ROOT / "services.py").exists()
    assert not (ROOT / "forms.py").exists()


def test_moved_api_modules_keep_their_published_operation_ids() -> None:
    """Their endpoints came from ``koffer.placements.api``: clients generated code from
    ids such as ``koffer_placements_api_zusage``."""
    for feature in EXCHANGE_FEATURES:
        tree = ast.parse((ROOT / feature / "api.py").read_text(encoding="utf-8"))
        values = {
            node.targets[0].id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
        }
        assert values.get("OPERATION_ID_MODULE") == "koffer.placements.api", feature
