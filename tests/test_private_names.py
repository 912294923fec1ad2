"""No koffer module uses another module's private names, anywhere in the package.

Ruff's PLC2701 ignores private imports inside the same top-level package, so it would not
see ``from koffer.placements.services import _audit`` nor ``services._audit(...)`` inside
koffer; this test does. A piece two modules share is public, in a module of its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import koffer

ROOT = Path(koffer.__file__).resolve().parent
# Django's documented model API starts with an underscore but is public.
DJANGO_PUBLIC = {"_meta", "_default_manager", "_base_manager", "_state"}


def _modules() -> list[Path]:
    return [p for p in ROOT.rglob("*.py") if "migrations" not in p.parts]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in DJANGO_PUBLIC


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    imported: set[str] = set()  # local names bound to something imported from koffer
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("koffer"):
            found += [f"{node.module}.{a.name}" for a in node.names if _private(a.name)]
            imported |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {
                a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("koffer")
            }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in imported
        ):
            found.append(f"{node.value.id}.{node.attr} (line {node.lineno})")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    found = [f"{path.relative_to(ROOT)}: {v}" for path in _modules() for v in _violations(path)]
    assert found == []


def test_the_check_sees_both_forms(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from koffer.placements.services import _audit\n"
        "from koffer.records import services\n"
        "services._need_reason('x')\n"
        "services.Model._meta\n",
        encoding="utf-8",
    )
    assert _violations(sample) == [
        "koffer.placements.services._audit",
        "services._need_reason (line 3)",
    ]
