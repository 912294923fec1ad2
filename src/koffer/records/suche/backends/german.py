"""German words for the search index: split, drop stop words, stem.

SQLite's FTS5 has no German stemmer, so on SQLite the index stores the stream of stems
this module makes (PyStemmer, the Snowball German algorithm, the same one PostgreSQL's
``german`` configuration uses), and queries are stemmed the same way. "Bescheide",
"Bescheides" and "Bescheid" all become ``bescheid``. Every word is first brought into the
search spelling (``folding.fold``: "Yılmaz" → ``yilmaz``, "Straße" → ``strasse``,
"Übernahme" → ``uebernahme``), and the stemmer folds umlauts further (``ubernahm``), so
"Ubernahme", "Uebernahme" and "Übernahme" are one word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

from koffer.records.suche.backends.folding import fold as fold_spelling

# Letters and digits; underscore and everything else separate words (as FTS5's unicode61).
WORD = re.compile(r"[^\W_]+")
# Longer "words" are base64 blobs, hashes or OCR noise, never something anyone searches for.
MAX_WORD = 60

# The Snowball German stop list (as PostgreSQL's german.stop): words so common that they
# only bloat the index and make every query match everything.
_STOP_LIST = """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes anderm andern anderr anders auch auf aus bei bin bis bist da damit dann der den
    des dem die das dass daß derselbe derselben denselben desselben demselben dieselbe
    dieselben dasselbe dazu dein deine deinem deinen deiner deines denn derer dessen dich
    dir du dies diese diesem diesen dieser dieses doch dort durch ein eine einem einen einer
    eines einig einige einigem einigen einiger einiges einmal er ihn ihm es etwas euer eure
    eurem euren eurer eures für gegen gewesen hab habe haben hat hatte hatten hier hin
    hinter ich mich mir ihr ihre ihrem ihren ihrer ihres euch im in indem ins ist jede jedem
    jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen
    keiner keines können könnte machen man manche manchem manchen mancher manches mein
    meine meinem meinen meiner meines mit muss musste nach nicht nichts noch nun nur ob oder
    ohne sehr sein seine seinem seinen seiner seines selbst sich sie ihnen sind so solche
    solchem solchen solcher solches soll sollte sondern sonst über um und uns unsere
    unserem unseren unser unseres unter viel vom von vor während war waren warst was weg
    weil weiter welche welchem welchen welcher welches wenn werde werden wie wieder will wir
    wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen
"""
STOP_WORDS = frozenset(_STOP_LIST.split())


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("german")


def composed(text: str) -> str:
    """``text`` in NFC: a letter typed as base letter plus combining mark (macOS file
    names, some scanners) is one letter, not a word break."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def words(text: str) -> list[str]:
    """The lowercased words of ``text`` that carry meaning (no stop words, no noise)."""
    return [
        w
        for w in WORD.findall(composed(text).lower())
        if w not in STOP_WORDS and len(w) <= MAX_WORD
    ]


# Stems of words seen before ("" for stop words and noise). Word frequencies follow Zipf's
# law, so a modest cache answers almost every word without calling the stemmer.
_CACHE: dict[str, str] = {}
_CACHE_MAX = 200_000


def stems(text: str) -> list[str]:
    """The stems of the meaningful words of ``text``, in order."""
    out: list[str] = []
    cached = _CACHE.get
    for word in WORD.findall(composed(text).lower()):
        found = cached(word)
        if found is None:
            found = "" if word in STOP_WORDS or len(word) > MAX_WORD else stem(fold(word))
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[word] = found
        if found:
            out.append(found)
    return out


def stem_words(lowered: Iterable[str]) -> list[str]:
    """The stems of (lowercased) words, each folded first, as ``stems`` does."""
    return list(_stemmer().stemWords([fold(w) for w in lowered]))


def stem(word: str) -> str:
    """The stem of one (lowercased) word."""
    return str(_stemmer().stemWord(word))


def fold(word: str) -> str:
    """The search spelling of ``word`` (``folding.fold``), before stemming."""
    return fold_spelling(word)


# "ae", "oe", "ue" as Snowball German (2.x) reads them before stemming: as a, o, u ("qu" aside).
_SPELLED_VOWEL = re.compile(r"(?<!q)([aou])e")


def plain_words(text: str) -> str:
    """``text`` as PostgreSQL's index and queries get it: the folded words (letters and
    digits, as here; its own parser would read "-000002" in "JA-2026-000002" as a negative
    number), separated by spaces, with "ae", "oe", "ue" as "a", "o", "u" (what PyStemmer's
    Snowball does first and PostgreSQL's older Snowball does not: "Mueller", "Müller" and
    "Muller" are one word on both databases)."""
    return _SPELLED_VOWEL.sub(r"\1", " ".join(WORD.findall(fold(text))))


def prefix_key(word: str) -> str:
    """What a word prefix matches in the index: the stem of its folded spelling, so that
    the prefix is written like the stems it must match (``Übern`` → ``ubern``, matching
    ``ubernahm``; ``Heizkosten`` → ``heizkost``, matching ``heizkostenabrechn``)."""
    folded = fold(word)
    stemmed = stem(folded)
    return stemmed if stemmed else folded
