"""Migrated empty SQLite databases, made once per `make test` and copied after that.

Migrating koffer's SQLite database from scratch costs 15 to 40 seconds on the 2-core CI
machine, nearly all of it Django rendering model states, and `make test` did it in every
xdist worker of every run (the suite, four date runs). With KOFFER_TEST_DB_CACHE set (the
Makefile sets it and empties the folder when `make test` starts, so the first run still
migrates for real), the first migration of a given code is kept there and later ones copy
it: the same schema, the same rows (content types, permissions), byte for byte what
`migrate` wrote.

A copy is found by a key over everything the migrations can depend on: every Python file
under src/, the test settings, the settings module, Django's, SQLite's and Python's
versions. A changed migration or model is a new key, so it is migrated again. Unset (a
plain `pytest` run), every database is migrated as before.

    python -m tests.dbtemplate tests.settings | koffer.settings

makes the template for those settings now, through the same code as a test run (pytest's
test database, or a koffer process's own file), unless it is kept already. `make test` runs
both beside mypy in its static checks, where one core is free for most of mypy's time:
otherwise both xdist workers of test-sqlite met an empty folder at their start and each
migrated both databases, side by side, before any of their first tests could run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

ROOT = Path(__file__).resolve().parents[1]
CACHE_ENV = "KOFFER_TEST_DB_CACHE"


def cache_dir() -> Path | None:
    value = os.environ.get(CACHE_ENV, "")
    if not value:
        return None
    folder = Path(value)
    return folder if folder.is_absolute() else ROOT / folder


def key(settings_module: str) -> str:
    digest = hashlib.sha256()
    for part in (settings_module, django.__version__, sqlite3.sqlite_version, sys.version):
        digest.update(part.encode() + b"\0")
    sources = [*sorted((ROOT / "src").rglob("*.py")), ROOT / "tests" / "settings.py"]
    for path in sources:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def template(settings_module: str) -> Path | None:
    """Where the migrated database for this code and these settings is (or will be) kept;
    None without KOFFER_TEST_DB_CACHE."""
    folder = cache_dir()
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key(settings_module)}.sqlite3"


def copy_database(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """All pages of ``source`` into ``target`` (SQLite's online backup: a consistent copy,
    also into or out of an in-memory database)."""
    source.backup(target)


def keep(connection: sqlite3.Connection, path: Path) -> None:
    """Write the migrated database behind ``connection`` to ``path``, atomically: a worker
    that looks at the same moment sees the whole file or none."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    target = sqlite3.connect(tmp)
    try:
        copy_database(connection, target)
    finally:
        target.close()
    tmp.replace(path)


def migrate_from_template(original: Callable[..., Any]) -> Callable[..., Any]:
    """``migrate``'s handle for the test database: a plain full migration of an SQLite
    database copies the kept template if there is one, and keeps its result if not.
    Anything else (PostgreSQL, a migration named, no cache folder) runs unchanged."""
    from django.conf import settings
    from django.db import connections

    def handle(self: Any, *args: Any, **options: Any) -> Any:
        connection = connections[options["database"]]
        special = ("app_label", "migration_name", "plan", "fake", "fake_initial", "prune")
        plain = not any(options.get(name) for name in special)
        path = template(settings.SETTINGS_MODULE) if plain else None
        if connection.vendor != "sqlite" or path is None:
            return original(self, *args, **options)
        connection.ensure_connection()
        if path.exists():
            source = sqlite3.connect(path)
            try:
                copy_database(source, connection.connection)
            finally:
                source.close()
            return None
        result = original(self, *args, **options)
        connection.ensure_connection()
        keep(connection.connection, path)
        return result

    return handle


SQLITE_FILE = "koffer.sqlite3"  # koffer.settings' database inside KOFFER_VAR_DIR


def migrate_var_dir(var_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``manage.py migrate`` for a koffer process's own SQLite file in ``var_dir`` (``env``
    from tests.subprocesses.koffer_env), or a copy of what an earlier one wrote for the
    same code. The result is the migration's (a copy is a success without output)."""
    command = [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "--verbosity", "0"]
    kept = template("koffer.settings")
    target = var_dir / SQLITE_FILE
    if kept is not None and kept.exists():
        shutil.copyfile(kept, target)
        return subprocess.CompletedProcess(command, 0, "", "")
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if kept is not None and result.returncode == 0:
        tmp = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
        shutil.copyfile(target, tmp)
        tmp.replace(kept)
    return result


def prepare(settings_module: str) -> None:
    """The kept template for ``settings_module``, made now if there is none (needs
    KOFFER_TEST_DB_CACHE). ``tests.settings``: Django's creation of the test database
    with the test run's migrate patch (tests/conftest.py), in this process; ``koffer.settings``:
    :func:`migrate_var_dir` in a throwaway folder, as the tests that start koffer do."""
    import tempfile

    path = template(settings_module)
    if path is None:
        sys.exit(f"{CACHE_ENV} ist nicht gesetzt: keine Vorlage zu machen.")
    if path.exists():
        return
    if settings_module == "koffer.settings":
        from tests.subprocesses import koffer_env

        with tempfile.TemporaryDirectory(prefix="koffer-template-") as folder:
            result = migrate_var_dir(Path(folder), koffer_env(Path(folder)))
        if result.returncode != 0:
            sys.exit(f"migrate ist fehlgeschlagen:\n{result.stdout}\n{result.stderr}")
        return
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    django.setup()
    from django.core.management.commands import migrate
    from django.db import connection

    migrate.Command.handle = migrate_from_template(migrate.Command.handle)  # type: ignore[method-assign]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("tests.settings", "koffer.settings"):
        sys.exit("Aufruf: python -m tests.dbtemplate tests.settings|koffer.settings")
    prepare(sys.argv[1])
