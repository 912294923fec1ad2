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
from koffer.records.suche.backends.query import ParsedQuery

# Only the beginning of a very long text is scanned for a snippet (a 500-page OCR result
# would otherwise cost more than the whole search).
MAX_SCAN_CHARS = 100_000
WIDTH = 240
LEAD = 60
_SPACE = re.compile(r"\s+")
# A stem letter also matches its umlaut (the stemmer folds them): "ubernahm" finds "Übernahme".
_FOLDED = {"a": "[aä]", "o": "[oö]", "u": "[uü]"}


class Highlighter:
    """Finds the words of a text that the query's positive terms match."""

    def __init__(self, query: ParsedQuery) -> None:
        terms = query.positive
        self.stems = frozenset(s for t in terms if not t.prefix for s in t.stems)
        self.prefixes = tuple(t.prefix for t in terms if t.prefix)
        keys = sorted(self.stems | set(self.prefixes), key=len, reverse=True)
        self._candidates = (
            re.compile(
                r"(?<![^\W_])(?:" + "|".join(_pattern(k) for k in keys) + r")[^\W_]*",
                re.IGNORECASE,
            )
            if keys
            else None
        )

    def spans(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, key) of every matching word; key groups the forms of one term."""
        if self._candidates is None:
            return
        for found in self._candidates.finditer(text):
            key = self._key(found.group(0))
            if key:
                yield found.start(), found.end(), key

    def _key(self, word: str) -> str:
        lowered = word.lower()
        folded = german.fold(lowered)
        for prefix in self.prefixes:
            if folded.startswith(prefix):
                return prefix
        if lowered in german.STOP_WORDS:
            return ""
        stem = german.stem(lowered)
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
    out = []
    i = 0
    while i < len(key):
        if key.startswith("ss", i):
            out.append("(?:ss|ß)")
            i += 2
            continue
        out.append(_FOLDED.get(key[i], re.escape(key[i])))
        i += 1
    return "".join(out)


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
    space = text.rfind(" ", max(0, pos - 20), pos)
    return space + 1 if space >= 0 else pos


def _word_end(text: str, pos: int) -> int:
    space = text.find(" ", pos, pos + 20)
    return space if space >= 0 else pos


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
