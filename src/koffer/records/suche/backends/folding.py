"""One spelling for searching: what caseworkers type and what documents and names hold.

``fold`` is applied to index text and to query text, to names and to full text, on both
databases: "Yılmaz", "Yilmaz", "YILMAZ" all become ``yilmaz``; "Straße" ``strasse``;
"Müller" and "Mueller" ``mueller``; "José" ``jose``; "Łukasz" ``lukasz``; "Søren"
``soren``. It is a fixed character table (German umlauts and ß spelled out, every other
precomposed Latin letter without its marks, combining marks dropped) and ``lower()``
after it, so that the database can apply exactly the same table:

- SQLite: ``koffer_fold(text)``, this very function, registered on every connection
  (``records.apps``), deterministic, so an expression index can use it;
- PostgreSQL: the IMMUTABLE SQL function ``koffer_fold(text)`` that ``postgres_function_sql``
  writes from the same table (migration 0007: a change of the table needs a new migration
  that replaces the function and rebuilds what depends on it).

The full-text index additionally stems the folded words (Snowball German, which also
reads "ue" as "ü" and then folds both to "u": "Muller", "Mueller" and "Müller" all stem to
``mull``). Names are not stemmed, so there "Mueller" finds "Müller" but "Muller" does not.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters spelled out rather than stripped (German convention; and letters NFKD leaves alone).
_SPELLED = {
    "ß": "ss",
    "ẞ": "ss",
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "Ä": "ae",
    "Ö": "oe",
    "Ü": "ue",
    "æ": "ae",
    "Æ": "ae",
    "œ": "oe",
    "Œ": "oe",
    "þ": "th",
    "Þ": "th",
    "ı": "i",
    "ł": "l",
    "Ł": "l",
    "ø": "o",
    "Ø": "o",
    "đ": "d",
    "Đ": "d",
    "ð": "d",
    "Ð": "d",
    "ħ": "h",
    "Ħ": "h",
    "ŀ": "l",
    "Ŀ": "l",
}
# Latin-1 Supplement, Latin Extended-A and -B, Latin Extended Additional (Vietnamese etc.).
_RANGES = ((0x00C0, 0x024F), (0x1E00, 0x1EFF))
_COMBINING = range(0x0300, 0x0370)


def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for first, last in _RANGES:
        for code in range(first, last + 1):
            char = chr(code)
            if char in _SPELLED:
                continue
            base = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            if base != char and base.isascii() and base.isalpha() and len(base) == 1:
                table[char] = base
    table.update(_SPELLED)
    for code in _COMBINING:
        table[chr(code)] = ""
    return table


TABLE: dict[str, str] = _table()
_TRANSLATE = str.maketrans(TABLE)


def fold(text: str) -> str:
    """``text`` in the search spelling (see the module docstring). Composed first (NFC), so
    that "u" followed by a combining diaeresis is "ü" and becomes "ue" like it."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFC", text).translate(_TRANSLATE).lower()


@lru_cache(maxsize=1)
def variants() -> dict[str, str]:
    """For highlighting: each ASCII letter and the characters of a text that fold to a
    spelling starting with it (``"a"`` → ``"àáâãäåāăą…"``), uppercase included."""
    out: dict[str, set[str]] = {}
    for char, folded in TABLE.items():
        if folded:
            out.setdefault(folded[0].lower(), set()).add(char)
    return {letter: "".join(sorted(chars)) for letter, chars in out.items()}


def postgres_function_sql() -> str:
    """``CREATE OR REPLACE FUNCTION koffer_fold(text)``: ``fold`` in SQL, from ``TABLE``."""
    multi = {c: f for c, f in TABLE.items() if len(f) > 1}
    single = {c: f for c, f in TABLE.items() if len(f) == 1}
    dropped = [c for c, f in TABLE.items() if not f]
    expression = "normalize($1, NFC)"
    for char, folded in sorted(multi.items()):
        expression = f"replace({expression}, {_literal(char)}, {_literal(folded)})"
    sources = "".join(single) + "".join(dropped)  # characters beyond ``to`` are removed
    targets = "".join(single.values())
    expression = f"lower(translate({expression}, {_literal(sources)}, {_literal(targets)}))"
    return (
        "CREATE OR REPLACE FUNCTION koffer_fold(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"RETURN {expression}"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
