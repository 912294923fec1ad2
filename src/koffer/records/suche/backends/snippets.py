"""Text snippets with the query's words marked, computed in Python from the original text.

Used on SQLite (whose index holds stems, not the text) for the few documents on a result
page, and on both databases for titles. The output is HTML: every piece of the document is
escaped, and the only markup is ``<mark>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from koffer.records.suche.backends import german
from koffer.records.suche.backends.folding import variants
from koffer.records.suche.backends.query import ParsedQuery

# Only the beginning of a very long text is scanned for a snippet (a 500-page OCR result
# would otherwise cost more than the whole search).
MAX_SCAN_CHARS = 100_000
WIDTH = 240
LEAD = 60
# A snippet edge moves at most this far to reach a word boundary (else it cuts the word at
# the next boundary on the other side).
MAX_WORD_SHIFT = 40
_SPACE = re.compile(r"\s+")
_WORD_CHAR = re.compile(r"[^\W_]")


class Highlighter:
    """Finds the words of a text that the query's positive terms match."""

    def __init__(self, query: ParsedQuery) -> None:
        terms = query.positive
        self.stems = frozenset(s for t in terms if not t.prefix for s in t.stems)
        self.prefixes = tuple(t.prefix for t in terms if t.prefix)
        # One expression per key, each starting with a character class and with the case
        # spelled out (no IGNORECASE, no look-behind): ``re`` then skips in C to the places
        # where a match can start. One case-insensitive alternation behind a look-behind was
        # tried at every position of the text, 5 to 8 times slower, and that scan was most
        # of a result page's snippets.
        self._candidates = [
            re.compile(_pattern(k) + r"[^\W_]*")
            for k in sorted(self.stems | set(self.prefixes), key=len, reverse=True)
        ]

    def spans(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, key) of every matching word; key groups the forms of one term."""
        words: dict[int, int] = {}  # start -> end of the words some key's pattern begins
        for candidates in self._candidates:
            for found in candidates.finditer(text):
                start = found.start()
                # A match inside a word is no word of its own (scanning left to right, a
                # match at the word's start would have come first).
                if start == 0 or not _WORD_CHAR.match(text, start - 1):
                    words.setdefault(start, found.end())
        for start in sorted(words):
            end = words[start]
            key = self._key(text[start:end])
            if key:
                yield start, end, key

    def _key(self, word: str) -> str:
        lowered = word.lower()
        if lowered in german.STOP_WORDS:
            return ""
        folded = german.fold(lowered)
        stem = german.stem(folded)
        for prefix in self.prefixes:
            if stem.startswith(prefix) or folded.startswith(prefix):
                return prefix
        return stem if stem in self.stems else ""

    def mark(self, text: str) -> SafeString:
        """All of ``text``, escaped, with every match marked (for titles)."""
        return _render(text, list(self.spans(text)), 0, len(text))


def snippet(text: str, highlighter: Highlighter | None, width: int = WIDTH) -> SafeString:
    """About ``width`` characters of ``text`` around the densest cluster of matches (the
    start of the text when nothing matches), escaped, matches marked, cut at word edges."""
    text = text[:MAX_SCAN_CHARS]
    spans = list(highlighter.spans(text)) if highlighter else []
    start = _best_start(spans, width)
    if start > 0:
        start = _word_start(text, start)
    end = min(len(text), start + width)
    if end < len(text):
        end = _word_end(text, end)
    inside = [s for s in spans if s[0] >= start and s[1] <= end]
    body = _render(text, inside, start, end)
    return mark_safe(  # noqa: S308 - built from escaped pieces and literal <mark> tags
        ("… " if start > 0 else "") + body + (" …" if end < len(text) else "")
    )


def _pattern(key: str) -> str:
    """A regular expression for the words of a text that may stem to ``key`` (written in
    the stems' spelling): each letter also as any letter that folds to it ("i": "ı", "í"),
    "ss" also as "ß", and a vowel also spelled out with "e" ("u": "ü", "ue"), each in
    either case. A prefilter only; ``Highlighter._key`` decides."""
    out = []
    i = 0
    while i < len(key):
        if key.startswith("ss", i):
            out.append("(?:[sS][sS]|[ßẞ])")
            i += 2
            continue
        char = key[i]
        letters = _letters(char + variants().get(char, ""))
        if char not in "aou":
            out.append(letters)
        elif i == 0:  # still a class first (a wider one: "üe" too), for the fast scan
            out.append(f"{letters}[eE]?")
        else:
            out.append(f"(?:{letters}|{_letters(char)}[eE])")
        i += 1
    return "".join(out)


def _letters(chars: str) -> str:
    """A character class of ``chars`` in either case."""
    both = dict.fromkeys(c for char in chars for c in (char, char.lower(), char.upper()))
    return "[" + re.escape("".join(c for c in both if len(c) == 1)) + "]"


def _best_start(spans: list[tuple[int, int, str]], width: int) -> int:
    """Start of the window that holds the most different terms (then the most matches)."""
    if not spans:
        return 0
    best = (0, 0, spans[0][0])
    right = 0
    for left, (start, _, _) in enumerate(spans):
        right = max(right, left)
        while right + 1 < len(spans) and spans[right + 1][1] <= start + width - LEAD:
            right += 1
        window = spans[left : right + 1]
        score = (len({key for _, _, key in window}), len(window))
        if score > best[:2]:
            best = (score[0], score[1], start)
    return max(0, best[2] - LEAD)


def _word_start(text: str, pos: int) -> int:
    """``pos``, or the start of the word it falls into (the next word's, when the word is
    too long to take in), so that a snippet never begins mid-word."""
    if pos <= 0 or not _inside_word(text, pos):
        return pos
    start = pos
    while start > 0 and pos - start < MAX_WORD_SHIFT and _WORD_CHAR.match(text, start - 1):
        start -= 1
    if start == 0 or not _WORD_CHAR.match(text, start - 1):
        return start
    end = pos
    while end < len(text) and _WORD_CHAR.match(text, end):
        end += 1
    return end


def _word_end(text: str, pos: int) -> int:
    """``pos``, or the end of the word it falls into (that word's start, when it is too
    long to take in), so that a snippet never ends mid-word."""
    if pos >= len(text) or not _inside_word(text, pos):
        return pos
    end = pos
    while end < len(text) and end - pos < MAX_WORD_SHIFT and _WORD_CHAR.match(text, end):
        end += 1
    if end == len(text) or not _WORD_CHAR.match(text, end):
        return end
    start = pos
    while start > 0 and _WORD_CHAR.match(text, start - 1):
        start -= 1
    return start


def _inside_word(text: str, pos: int) -> bool:
    """A cut at ``pos`` would split a word: letters or digits on both sides."""
    return bool(_WORD_CHAR.match(text, pos - 1)) and bool(_WORD_CHAR.match(text, pos))


def _render(text: str, spans: list[tuple[int, int, str]], start: int, end: int) -> SafeString:
    parts: list[str] = []
    pos = start
    for s, e, _ in spans:
        if s < pos or e > end:
            continue
        parts.append(_plain(text[pos:s]))
        parts.append("<mark>" + _plain(text[s:e]) + "</mark>")
        pos = e
    parts.append(_plain(text[pos:end]))
    return mark_safe("".join(parts).strip())  # noqa: S308 - escaped pieces, literal tags


def _plain(piece: str) -> str:
    return str(escape(_SPACE.sub(" ", piece)))
