"""The Post's return note on a letter it brought back (Rückläufer): the sticker or stamp
„Empfänger unbekannt“, „unbekannt verzogen“, „Annahme verweigert“, „Adresse
unzureichend“, „nicht abgeholt“, „verstorben“ …, read from a document's OCR text.

Pure (text in, reasons out) and tolerant of what OCR does: case, umlauts spelt or lost
(folded like the search), a word or two letters off, a phrase broken over two lines, a
hyphenated word, two words run together or one split. Only short lines count: a sticker
line holds a few words, a sentence in a reply („… hat die Annahme verweigert, weil …“)
does not, so a citizen's letter that mentions such words is no returned mail. The
pipeline asks only documents whose reply code names one of koffer's letters.
"""

from __future__ import annotations

import re
from functools import cache

from rapidfuzz.distance import Levenshtein

from koffer.records.suche.backends.folding import fold

# (the words as OCR'd and folded, the reason as the Post means it); longer first, so that
# „Empfänger unbekannt verzogen“ is not also read as „Empfänger unbekannt“.
VERMERKE: tuple[tuple[str, str], ...] = (
    ("empfaenger unbekannt verzogen", "Empfänger unbekannt verzogen"),
    ("empfaenger nicht zu ermitteln", "Empfänger unbekannt"),
    ("unbekannt verzogen", "Empfänger unbekannt verzogen"),
    ("empfaenger unbekannt", "Empfänger unbekannt"),
    ("firma unbekannt", "Empfänger unbekannt"),
    ("empfaenger verzogen", "Empfänger verzogen"),
    ("annahme verweigert", "Annahme verweigert"),
    ("adresse unzureichend", "Adresse unzureichend"),
    ("anschrift unzureichend", "Adresse unzureichend"),
    ("unzureichende anschrift", "Adresse unzureichend"),
    ("unzureichende adresse", "Adresse unzureichend"),
    ("anschrift unvollstaendig", "Adresse unzureichend"),
    ("nicht abgeholt", "Nicht abgeholt"),
    ("empfaenger verstorben", "Empfänger verstorben"),
    ("verstorben", "Empfänger verstorben"),
    ("unzustellbar", "Unzustellbar"),
)
GENERIC = "Unzustellbar"
MAX_WORDS = 8  # a sticker's line; running text is longer
# A sticker listing every reason to tick: OCR reads them all and cannot see the cross.
LIST_FROM = 3
_WORD = re.compile(r"[a-z0-9]+")
_HYPHEN = re.compile(r"([a-z])-\s*\n\s*([a-z])")


def erkennen(text: str) -> list[str]:
    """The Post's reasons found in ``text``, each once, in the order of the text."""
    found: list[str] = []
    lines = [_words(line) for line in _HYPHEN.sub(r"\1\2", fold(text)).splitlines()]
    lines = [w for w in lines if w]
    for number, words in enumerate(lines):
        if len(words) > MAX_WORDS:
            continue
        candidates = [words]
        following = lines[number + 1] if number + 1 < len(lines) else []
        if following and len(following) <= MAX_WORDS:
            candidates.append(words + following)  # a phrase broken over two lines
        for candidate in candidates:
            for label in _reasons(tuple(candidate)):
                if label not in found:
                    found.append(label)
    if len(found) > 1 and GENERIC in found:
        found.remove(GENERIC)
    return found


def grund(reasons: list[str]) -> str:
    """The reason as the letter's timeline says it."""
    if len(reasons) >= LIST_FROM:
        return (
            f"Vermerk der Post mit mehreren Gründen ({', '.join(reasons)}); den angekreuzten "
            "Grund bitte im Scan nachsehen"
        )
    return ", ".join(reasons)


def _words(line: str) -> list[str]:
    return _WORD.findall(line)


def _reasons(words: tuple[str, ...]) -> list[str]:
    """The reasons in one line (or two joined): each phrase at most once, a longer phrase
    taking its words from a shorter one."""
    taken: set[int] = set()
    found = []
    for phrase, label in VERMERKE:
        span = _find(words, _phrase(phrase))
        if span is None or taken.intersection(range(*span)):
            continue
        taken.update(range(*span))
        found.append(label)
    return found


@cache
def _phrase(phrase: str) -> tuple[str, ...]:
    return tuple(phrase.split())


def _allowed(word: str) -> int:
    """Letters OCR may get wrong in a word: none in a short one."""
    return 0 if len(word) <= 4 else 1 if len(word) <= 9 else 2


def _find(words: tuple[str, ...], phrase: tuple[str, ...]) -> tuple[int, int] | None:
    """The first token span (start, end) of ``words`` that reads as ``phrase``."""
    for start in range(len(words)):
        end = _match(words, start, phrase)
        if end is not None:
            return start, end
    return None


def _match(words: tuple[str, ...], at: int, phrase: tuple[str, ...]) -> int | None:
    """Where ``phrase`` ends if it is read from ``words[at]`` on: each phrase word as one
    token, two phrase words run together in one token, or one word split in two."""
    if not phrase:
        return at
    if at >= len(words):
        return None
    head = phrase[0]
    if _close(words[at], head):
        end = _match(words, at + 1, phrase[1:])
        if end is not None:
            return end
    if len(phrase) > 1 and _close(words[at], head + phrase[1], _allowed(head) + 1):
        end = _match(words, at + 1, phrase[2:])
        if end is not None:
            return end
    if at + 1 < len(words) and _close(words[at] + words[at + 1], head):
        return _match(words, at + 2, phrase[1:])
    return None


def _close(token: str, word: str, allowed: int | None = None) -> bool:
    limit = _allowed(word) if allowed is None else allowed
    if abs(len(token) - len(word)) > limit:
        return False
    return Levenshtein.distance(token, word, score_cutoff=limit) <= limit
