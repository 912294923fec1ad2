"""What the user typed, turned into plain search terms.

Nothing the user types reaches a full-text engine as syntax: the text is cut into words
(letters and digits), and only three things have a meaning:

- ``"Kosten der Unterkunft"`` in double quotes is a phrase (an unclosed quote runs to the end);
- ``Widerspr*`` with a trailing star is a prefix (at least three letters);
- a single word of at least four letters is a prefix too, of its stem: German writes
  compounds as one word, and "Heizkosten" must find "Heizkostenabrechnung" (and
  "Bescheid" finds "Bescheide", "Bescheidung" and "Bescheiderteilung");
- ``-Klage`` with a leading minus excludes documents with that word.

Everything else (``( ) : ^ + ~ *``, stray quotes) separates words, and operators of other
search syntaxes in capitals (``AND OR NOT NEAR``) are ignored. Terms are combined with AND. Words joined by punctuation (``LA-2026-000123``, ``§44``)
form a phrase, so an Aktenzeichen in a letter is found as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from koffer.records.suche.backends import german

MAX_QUERY_CHARS = 300
MAX_TERMS = 10
MIN_PREFIX = 3
# A word this long (folded, with a letter in it) matches every word its stem begins:
# compounds. Shorter words and numbers ("000002", "2026") match only themselves.
MIN_COMPOUND = 4

# A quoted phrase (possibly unclosed) or a run of characters that are neither space nor
# syntax of a search engine, each maybe negated. Characters such as - . / § inside a run
# join words into a phrase ("LA-2026-000123"); brackets, colons and the like separate.
_CHUNK = re.compile(r'(?P<neg>-?)"(?P<phrase>[^"]*)"?|(?P<bare>[^\s"()\[\]{}<>:;,!?^~+=|\\]+)')
# Operators of other search syntaxes, written in capitals: ignored (terms are always AND-ed).
OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR", "UND", "ODER", "NICHT"})


@dataclass(frozen=True)
class Term:
    """One condition: a word, a phrase (several words in a row) or a prefix."""

    words: tuple[str, ...]  # lowercased, stop words removed, as typed
    stems: tuple[str, ...]  # what the SQLite index holds for ``words``
    # Stem-spelled prefix (german.prefix_key; then words/stems hold just that one word):
    # the word typed with a star, or a long word (MIN_COMPOUND) matching its compounds.
    prefix: str = ""
    negated: bool = False
    # The words as typed, stop words included: PostgreSQL keeps their positions, so a
    # phrase must be given to phraseto_tsquery whole ("Kosten der Unterkunft").
    raw: str = ""

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...]
    ignored: tuple[str, ...] = ()  # stop words and terms beyond MAX_TERMS, to tell the user
    had_input: bool = False  # something was typed (maybe only operators or stop words)

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negated)

    @property
    def is_empty(self) -> bool:
        """No positive term: nothing to match (negations alone would match everything)."""
        return not self.positive

    def problem(self) -> str | None:
        """A German explanation when something was typed but nothing is searchable."""
        if not self.had_input or self.positive:
            return None
        if self.negative:
            return (
                "Ein Ausschluss mit Minuszeichen braucht mindestens einen Suchbegriff ohne "
                "Minuszeichen, z. B. „Bescheid -Klage“."
            )
        if self.ignored:
            return (
                "Ihre Suche enthält nur sehr häufige Wörter ("
                + ", ".join(f"„{w}“" for w in self.ignored[:5])
                + "), die nicht durchsucht werden. Bitte ergänzen Sie einen aussagekräftigen Begriff."
            )
        return "Bitte geben Sie mindestens ein Wort aus Buchstaben oder Ziffern ein."


def parse(text: str) -> ParsedQuery:
    """Cut ``text`` into terms; never raises, whatever the input."""
    text = text or ""
    if len(text) > MAX_QUERY_CHARS:
        cut = text[: MAX_QUERY_CHARS + 1]
        text = cut[: cut.rfind(" ")] if " " in cut else cut[:MAX_QUERY_CHARS]
    terms: list[Term] = []
    ignored: list[str] = []
    for match in _CHUNK.finditer(text):
        if match["bare"] is not None:
            term, dropped = _bare(match["bare"])
        else:
            term, dropped = _phrase(match["phrase"], negated=bool(match["neg"]))
        ignored.extend(dropped)
        if term is None or term in terms:
            continue
        if len(terms) == MAX_TERMS:
            ignored.append(" ".join(term.words))
            continue
        terms.append(term)
    return ParsedQuery(terms=tuple(terms), ignored=tuple(ignored), had_input=bool(text.strip()))


def _bare(chunk: str) -> tuple[Term | None, list[str]]:
    if chunk in OPERATORS:
        return None, [chunk]
    negated = chunk.startswith("-") and len(chunk) > 1
    if negated:
        chunk = chunk[1:]
    star = chunk.endswith("*")
    found = german.WORD.findall(german.composed(chunk).lower())
    if len(found) == 1 and (star or _compound_prefix(found[0], negated)):
        word = found[0]
        prefix = german.prefix_key(word)
        if len(german.fold(word)) >= MIN_PREFIX and len(prefix) >= MIN_PREFIX:
            return (
                Term(words=(word,), stems=(prefix,), prefix=prefix, negated=negated, raw=word),
                [],
            )
    return _words(found, negated)


def _compound_prefix(word: str, negated: bool) -> bool:
    """A positive word long enough to stand for its compounds (a stop word never)."""
    return (
        not negated
        and word not in german.STOP_WORDS
        and len(german.fold(word)) >= MIN_COMPOUND
        and not word.isdigit()
    )


def _phrase(inner: str, *, negated: bool) -> tuple[Term | None, list[str]]:
    return _words(german.WORD.findall(german.composed(inner).lower()), negated)


def _words(found: list[str], negated: bool) -> tuple[Term | None, list[str]]:
    kept = [w for w in found if w not in german.STOP_WORDS and len(w) <= german.MAX_WORD]
    dropped = [w for w in found if w in german.STOP_WORDS]
    if not kept:
        return None, dropped
    term = Term(
        words=tuple(kept),
        stems=tuple(german.stem_words(kept)),
        negated=negated,
        raw=" ".join(found),
    )
    return term, dropped
