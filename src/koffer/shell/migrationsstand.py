"""Whether ``migrate`` has anything to do, answered cheaply for ``serve``'s start.

``migrate`` with nothing to do still imports every migration module and renders the whole
project state (about 2.5 s on a loaded laptop, most of a Koffer's start before its web
server runs). The answer it would give is almost always "nothing": every migration file on
disk is recorded in ``django_migrations``. That is checked here by listing each app's
migration folder and reading the recorded names in one query; whenever the two do not
match (a new migration, a fresh database, a squash, an app without its table yet), serve
runs ``migrate`` as before, so this can only skip work, never a migration.
"""

from __future__ import annotations

import importlib
import pkgutil

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder


def auf_dem_stand(database: str = DEFAULT_DB_ALIAS) -> bool:
    """True when every migration file of every installed app is recorded as applied."""
    recorder = MigrationRecorder(connections[database])
    if not recorder.has_table():
        return False
    applied: set[tuple[str, str]] = set(recorder.migration_qs.values_list("app", "name"))
    for config in apps.get_app_configs():
        for name in _dateien(config.label):
            if (config.label, name) not in applied:
                return False
    return True


def _dateien(label: str) -> set[str]:
    """The names of an app's migration modules, found as ``MigrationLoader`` finds them."""
    name, _ = MigrationLoader.migrations_module(label)
    if name is None:
        return set()
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError:
        return set()
    return {
        found
        for _, found, is_pkg in pkgutil.iter_modules(getattr(module, "__path__", []))
        if not is_pkg and found[0] not in "_~"
    }
