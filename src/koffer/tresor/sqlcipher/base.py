"""Django's SQLite backend on SQLCipher: the whole database file (and its WAL) encrypted.

Selected by settings.py when ``KOFFER_TRESOR=1`` and the database is SQLite. Every new
connection sets the raw key first (``PRAGMA key = "x'…'"``, derived from the device key:
no PBKDF2 per connection, the secret was stretched once by argon2id), then proves it by
reading the schema, so a wrong key fails at once with a German message instead of a
"file is not a database" deep in a migration. Everything else is Django's sqlite3
backend, with sqlcipher3's DB-API module in place of the standard library's.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.sqlite3 import base as sqlite_base
from django.db.backends.sqlite3.base import (  # type: ignore[attr-defined]
    register_functions,  # Django's SQL functions, as its own backend registers them
)
from django.utils.asyncio import async_unsafe
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from sqlcipher3 import dbapi2 as Database

from koffer.tresor import schluessel

# The converters and adapters Django registers on the standard library's module.
Database.register_converter("bool", b"1".__eq__)
Database.register_converter("date", sqlite_base.decoder(parse_date))
Database.register_converter("time", sqlite_base.decoder(parse_time))
Database.register_converter("datetime", sqlite_base.decoder(parse_datetime))
Database.register_converter("timestamp", sqlite_base.decoder(parse_datetime))
Database.register_adapter(decimal.Decimal, str)
Database.register_adapter(datetime.date, sqlite_base.adapt_date)
Database.register_adapter(datetime.datetime, sqlite_base.adapt_datetime)

DATENBANK_UNLESBAR = (
    "Die Datenbank des Koffers lässt sich mit diesem Schlüssel nicht öffnen: sie gehört"
    " zu einem anderen Schlüssel, ist beschädigt oder unverschlüsselt."
)


def datenbank_pragma() -> str:
    """``PRAGMA key`` with the database's raw 256-bit key (never logged)."""
    key = schluessel.unterschluessel(schluessel.geraeteschluessel(), "datenbank")
    return f"PRAGMA key = \"x'{key.hex()}'\""


class DatabaseWrapper(sqlite_base.DatabaseWrapper):
    Database = Database

    @async_unsafe
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            pragma = datenbank_pragma()
        except schluessel.TresorFehler as exc:
            raise ImproperlyConfigured(exc.message) from None
        conn = Database.connect(**conn_params)
        try:
            conn.execute(pragma)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except Database.DatabaseError:
            conn.close()
            raise ImproperlyConfigured(DATENBANK_UNLESBAR) from None
        register_functions(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA legacy_alter_table = OFF")
        for init_command in self.init_commands:  # type: ignore[attr-defined]
            if init_command := init_command.strip():
                conn.execute(init_command)
        return conn

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)


class CursorWrapper(Database.Cursor):
    """Django's SQLiteCursorWrapper on sqlcipher3's cursor (a cursor factory must
    subclass the connection module's own Cursor): "format" and "pyformat" placeholders
    become "qmark" and "named"."""

    def execute(self, query: str, params: Any = None) -> Any:
        if params is None:
            return super().execute(query)
        param_names = list(params) if isinstance(params, Mapping) else None
        return super().execute(self.convert_query(query, param_names=param_names), params)

    def executemany(self, query: str, param_list: Iterable[Any]) -> Any:
        peekable, param_list = itertools.tee(iter(param_list))
        if (params := next(peekable, None)) and isinstance(params, Mapping):
            param_names: list[str] | None = list(params)
        else:
            param_names = None
        return super().executemany(self.convert_query(query, param_names=param_names), param_list)

    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None:
            return sqlite_base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")
        return query % {name: f":{name}" for name in param_names}
