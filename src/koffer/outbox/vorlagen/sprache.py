"""The template language: typst markup with placeholders and text blocks.

An administrator writes a template's text as typst markup (``*fett*``, ``- Liste``,
``= Überschrift``) with two additions in double braces::

    {{ person.name }}            a placeholder: a value from the Akte, Vorgang, person,
                                 Bedarfsgemeinschaft, caseworker or letter (``KATALOG``)
    {{ eingabe.betrag }}         a value the writer enters per letter (the version's fields)
    {{ baustein:rechtsbehelf }}  a text block (``Textbaustein``), copied in when a version
                                 is published; a block may hold placeholders, not blocks

:func:`uebersetze` turns such a text into the body the typesetting receives
(``outbox.satz``): text blocks expanded, each placeholder a call ``#wert("key");``. The
value itself reaches typst as JSON data, never as markup, so a name like ``*Müller*`` or
``#set`` prints as written. The ``;`` ends the call, so a value followed by ``.`` or
``[`` stays a value. Every mistake is a :class:`Vorlagenfehler` with line and column in
the text the administrator wrote (in a text block: the block's code and its own line and
column).

Defence in depth: a template reaches the compiler with the house's files within reach, so
typst code that reads files, loads plugins or evaluates text as code (``#read``,
``#include``, ``#import``, ``#image``, ``#json`` …, ``#eval``) is refused in the
administrator's text and in text blocks (:func:`pruefe_markup`), wherever typst would
run it as code: after ``#``, inside ``{ }`` and ``( )`` of code, and in math.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Every placeholder a template may use, with the German label the editor shows.
KATALOG: dict[str, str] = {
    "person.name": "Vor- und Familienname der Empfängerin oder des Empfängers",
    "person.vorname": "Vornamen",
    "person.familienname": "Familienname",
    "person.geburtsdatum": "Geburtsdatum (TT.MM.JJJJ)",
    "person.kundennummer": "Kundennummer",
    "person.anschrift": "Anschrift in einer Zeile",
    "person.geburtsort": "Geburtsort",
    "person.staatsangehoerigkeit": "Staatsangehörigkeit",
    "person.telefon": "Telefon",
    "person.email": "E-Mail",
    "person.iban": "IBAN der Bankverbindung (in Vierergruppen)",
    "person.bic": "BIC der Bankverbindung",
    "person.kontoinhaber": "Kontoinhaber (die Person selbst, wenn keiner angegeben ist)",
    "akte.aktenzeichen": "Aktenzeichen",
    "akte.titel": "Titel der Akte",
    "vorgang.titel": "Titel des Vorgangs",
    "vorgang.typ": "Art des Vorgangs",
    "vorgang.eroeffnet": "Tag, an dem der Vorgang eröffnet wurde",
    "bg.nummer": "Nummer der Bedarfsgemeinschaft",
    "bg.mitglieder": "Mitglieder der Bedarfsgemeinschaft, mit Komma getrennt",
    "sachbearbeitung.name": "Name der zuständigen Sachbearbeitung",
    "sachbearbeitung.email": "E-Mail der zuständigen Sachbearbeitung",
    "brief.datum": "Datum des Briefs",
    "behoerde.name": "Name der Behörde (Briefkopf)",
    "behoerde.telefon": "Telefon (Briefkopf)",
    "behoerde.oeffnungszeiten": "Öffnungszeiten (Briefkopf)",
}
EINGABE = "eingabe."
BAUSTEIN = "baustein:"

_FIELD = re.compile(r"[a-z][a-z0-9_]{0,39}")
_IDENT = re.compile(r"[^\W\d][\w-]*")
_READS = "liest Dateien"
# typst functions and keywords that reach beyond the letter's own data, with why.
VERBOTEN: dict[str, str] = {
    "read": _READS,
    "include": "bindet Dateien ein",
    "import": "bindet Dateien ein",
    "image": _READS,
    "json": _READS,
    "csv": _READS,
    "yaml": _READS,
    "toml": _READS,
    "xml": _READS,
    "cbor": _READS,
    "plugin": "lädt Erweiterungen",
    "bibliography": _READS,
    "embed": "bettet Dateien ein",
    "eval": "führt Text als Programm aus",
    "std": "reicht an alle Funktionen, auch an die, die Dateien lesen",
}
# After ``#`` these keywords take the rest of the line (and what brackets hold) as code.
_KEYWORDS = frozenset(
    {"let", "set", "show", "import", "include", "if", "for", "while", "context", "return"}
)
_TOKEN = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


@dataclass(frozen=True)
class Vorlagenfehler(Exception):
    """A mistake in a template's text: what, and where (1-based line and column; ``in_``
    names the text block when the mistake is inside one)."""

    message: str
    line: int
    column: int
    in_: str = ""

    def __str__(self) -> str:
        where = f"Textbaustein „{self.in_}“, " if self.in_ else ""
        return f"{where}Zeile {self.line}, Spalte {self.column}: {self.message}"


@dataclass(frozen=True)
class Abschnitt:
    """Where a piece of ``text_satz`` came from: ``quelle`` is "" for the template's own
    text or a text block's code; ``von`` the offset there of the piece's first character."""

    start: int  # offset in text_satz
    ende: int
    quelle: str
    von: int


@dataclass(frozen=True)
class Uebersetzt:
    text_satz: str  # the body for the typesetting
    platzhalter: tuple[str, ...]  # keys used, in order of first use
    bausteine: tuple[str, ...]  # codes of the text blocks copied in
    karte: tuple[Abschnitt, ...] = ()

    def herkunft(
        self, line: int, column: int, *, text: str, bausteine: Mapping[str, str]
    ) -> tuple[int, int, str]:
        """A position in ``text_satz`` (a typst error's) as line, column and text block
        in what the administrator wrote; inside a placeholder call, the placeholder."""
        lines = self.text_satz.split("\n")
        line = max(1, min(line, len(lines)))
        offset = sum(len(x) + 1 for x in lines[: line - 1]) + max(0, column - 1)
        for part in self.karte:
            if part.start <= offset < part.ende or part is self.karte[-1]:
                source = bausteine.get(part.quelle, "") if part.quelle else text
                inside = part.von + min(
                    max(offset - part.start, 0), max(part.ende - part.start - 1, 0)
                )
                return (*_position(source, inside), part.quelle)
        return line, column, ""


def feldname_ok(key: str) -> bool:
    """Whether ``key`` may name a writer's field (``eingabe.<key>``)."""
    return _FIELD.fullmatch(key) is not None


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _check_braces(text: str, in_: str) -> None:
    """A ``{{`` without its ``}}`` (or the reverse) is a mistake, not literal text."""
    depth_open = None
    i = 0
    while i < len(text):
        if text.startswith("{{", i):
            if depth_open is not None:
                line, col = _position(text, depth_open)
                raise Vorlagenfehler("„{{“ ohne schließendes „}}“.", line, col, in_)
            depth_open = i
            i += 2
        elif text.startswith("}}", i):
            if depth_open is None:
                line, col = _position(text, i)
                raise Vorlagenfehler("„}}“ ohne öffnendes „{{“.", line, col, in_)
            depth_open = None
            i += 2
        else:
            i += 1
    if depth_open is not None:
        line, col = _position(text, depth_open)
        raise Vorlagenfehler("„{{“ ohne schließendes „}}“.", line, col, in_)


class _Aufrufe:
    """Where typst would run the administrator's text as code, and the names used there.

    A scan of typst's syntax, not a parser: it errs on the side of code (a content block
    ``[…]`` inside code is markup again, strings and raw text are skipped)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.names: list[tuple[str, int]] = []
        self.stars: list[int] = []  # ``*`` in markup: where bold starts or ends

    def markup(self, i: int, closing: bool) -> int:
        text, depth = self.text, 0
        while i < len(text):
            char = text[i]
            if char == "\\":
                i += 2
            elif char == "`":
                i = self._raw(i)
            elif char == "$":
                i = self.code(i + 1, until="$")
            elif char == "#" and i + 1 < len(text):
                i = self.hash(i + 1)
            elif char == "*":
                self.stars.append(i)
                i += 1
            elif char == "[":
                depth, i = depth + 1, i + 1
            elif char == "]":
                if depth == 0 and closing:
                    return i + 1
                depth, i = max(depth - 1, 0), i + 1
            else:
                i += 1
        return i

    def _raw(self, i: int) -> int:
        run = len(self.text) - len(self.text[i:].lstrip("`"))
        end = self.text.find("`" * run, i + run)
        return len(self.text) if end < 0 else end + run

    def hash(self, i: int) -> int:
        """The expression after a ``#``: a name with its fields, calls and content
        blocks, a keyword's line, or a bracketed expression."""
        text = self.text
        match = _IDENT.match(text, i)
        if match:
            self.names.append((match.group(), i))
            if match.group() in _KEYWORDS:
                return self.code(match.end(), until="\n")
            i = match.end()
        elif text[i] not in "({[":
            return i
        while i < len(text):
            if text[i] == "." and (field := _IDENT.match(text, i + 1)):
                self.names.append((field.group(), i + 1))
                i = field.end()
            elif text[i] in "({":
                i = self.code(i + 1, until=")" if text[i] == "(" else "}")
            elif text[i] == "[":
                i = self.markup(i + 1, closing=True)
            else:
                break
        return i

    def code(self, i: int, until: str) -> int:
        """Code up to ``until`` outside brackets (past it)."""
        text, depth = self.text, 0
        while i < len(text):
            char = text[i]
            if depth == 0 and char == until:
                return i + 1
            if char == '"':
                i = self._string(i + 1)
            elif text.startswith("//", i):
                end = text.find("\n", i)
                i = len(text) if end < 0 else end
            elif char == "[":
                i = self.markup(i + 1, closing=True)
            elif char in "({":
                depth, i = depth + 1, i + 1
            elif char in ")}":
                if depth == 0:
                    return i  # the enclosing expression's end: leave it to the caller
                depth, i = depth - 1, i + 1
            elif match := _IDENT.match(text, i):
                self.names.append((match.group(), i))
                i = match.end()
            else:
                i += 1
        return i

    def _string(self, i: int) -> int:
        while i < len(self.text) and self.text[i] != '"':
            i += 2 if self.text[i] == "\\" else 1
        return i + 1


_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def pruefe_markup(text: str, in_: str = "") -> None:
    """Refuse typst code in ``text`` that reads files, loads plugins or evaluates text
    (``VERBOTEN``), at the position of the first such name; and bold (``*``) left open in
    a paragraph, at its star: typst would report it where the next star happens to be,
    perhaps in a text block copied in after it."""
    scan = _Aufrufe(text)
    scan.markup(0, closing=False)
    for name, offset in scan.names:
        if name in VERBOTEN:
            line, column = _position(text, offset)
            raise Vorlagenfehler(
                f"Der typst-Befehl „{name}“ {VERBOTEN[name]}; in Vorlagen ist das nicht erlaubt.",
                line,
                column,
                in_,
            )
    breaks = [m.start() for m in _PARAGRAPH.finditer(text)]
    paragraphs: dict[int, list[int]] = {}
    for star in scan.stars:
        paragraphs.setdefault(sum(1 for b in breaks if b < star), []).append(star)
    for stars in paragraphs.values():
        if len(stars) % 2:
            line, column = _position(text, stars[-1])
            raise Vorlagenfehler(
                "„*“ beginnt Fettdruck, der in diesem Absatz nicht endet (für ein Sternchen "
                "„\\*“ schreiben).",
                line,
                column,
                in_,
            )


def _placeholder(name: str, felder: frozenset[str], where: tuple[int, int], in_: str) -> str:
    if name in KATALOG:
        return name
    if name.startswith(EINGABE):
        field = name[len(EINGABE) :]
        if field in felder:
            return name
        raise Vorlagenfehler(
            f"Das Eingabefeld „{field}“ ist in dieser Vorlage nicht angelegt.", *where, in_
        )
    raise Vorlagenfehler(f"Unbekannter Platzhalter „{name}“.", *where, in_)


def _call(key: str) -> str:
    # keys are from KATALOG or checked field names: no quote or backslash can occur
    return f'#wert("{key}");'


def uebersetze(
    text: str,
    *,
    bausteine: Mapping[str, str],
    felder: frozenset[str] = frozenset(),
) -> Uebersetzt:
    """``text`` with its text blocks expanded and its placeholders turned into
    ``#wert("…");`` calls; :class:`Vorlagenfehler` at the first mistake."""
    _check_braces(text, "")
    pruefe_markup(text)
    out = _Out()
    used: dict[str, None] = {}
    blocks: dict[str, None] = {}
    last = 0
    for match in _TOKEN.finditer(text):
        out.add(text[last : match.start()], "", last)
        last = match.end()
        name = match.group(1).strip()
        where = _position(text, match.start())
        if name.startswith(BAUSTEIN):
            code = name[len(BAUSTEIN) :].strip()
            block = bausteine.get(code)
            if block is None:
                raise Vorlagenfehler(f"Unbekannter Textbaustein „{code}“.", *where)
            _expand_block(out, code, block, felder, used)
            blocks[code] = None
        else:
            key = _placeholder(name, felder, where, "")
            used[key] = None
            out.add(_call(key), "", match.start())
    out.add(text[last:], "", last)
    return Uebersetzt("".join(out.parts), tuple(used), tuple(blocks), tuple(out.karte))


class _Out:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.karte: list[Abschnitt] = []
        self.length = 0

    def add(self, piece: str, quelle: str, von: int) -> None:
        if not piece:
            return
        self.parts.append(piece)
        self.karte.append(Abschnitt(self.length, self.length + len(piece), quelle, von))
        self.length += len(piece)


def _expand_block(
    out: _Out, code: str, block: str, felder: frozenset[str], used: dict[str, None]
) -> None:
    _check_braces(block, code)
    pruefe_markup(block, code)
    last = 0
    for match in _TOKEN.finditer(block):
        out.add(block[last : match.start()], code, last)
        last = match.end()
        name = match.group(1).strip()
        where = _position(block, match.start())
        if name.startswith(BAUSTEIN):
            raise Vorlagenfehler(
                "Ein Textbaustein kann keinen weiteren Textbaustein enthalten.", *where, code
            )
        key = _placeholder(name, felder, where, code)
        used[key] = None
        out.add(_call(key), code, match.start())
    out.add(block[last:], code, last)


def pruefe_baustein(code: str, text: str) -> None:
    """A text block on its own: braces closed, only known placeholders or ``eingabe.…``
    (which template defines the field is checked when a template uses the block), no
    typst code that reads files."""
    _check_braces(text, code)
    pruefe_markup(text, code)
    for match in _TOKEN.finditer(text):
        name = match.group(1).strip()
        where = _position(text, match.start())
        if name.startswith(BAUSTEIN):
            raise Vorlagenfehler(
                "Ein Textbaustein kann keinen weiteren Textbaustein enthalten.", *where, code
            )
        if name.startswith(EINGABE) and feldname_ok(name[len(EINGABE) :]):
            continue
        if name not in KATALOG:
            raise Vorlagenfehler(f"Unbekannter Platzhalter „{name}“.", *where, code)
