"""German words for the search index: split, drop stop words, stem.

SQLite's FTS5 has no German stemmer, so on SQLite the index stores the stream of stems
this module makes (PyStemmer, the Snowball German algorithm, the same one PostgreSQL's
``german`` configuration uses), and queries are stemmed the same way. "Bescheide",
"Bescheides" and "Bescheid" all become ``bescheid``; umlauts and ß are folded by the
stemmer (``Übernahme`` → ``ubernahm``), so a query without umlauts finds them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

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

_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "ss"})


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("german")


def words(text: str) -> list[str]:
    """The lowercased words of ``text`` that carry meaning (no stop words, no noise)."""
    return [w for w in WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) <= MAX_WORD]


# Stems of words seen before ("" for stop words and noise). Word frequencies follow Zipf's
# law, so a modest cache answers almost every word without calling the stemmer.
_CACHE: dict[str, str] = {}
_CACHE_MAX = 200_000


def stems(text: str) -> list[str]:
    """The stems of the meaningful words of ``text``, in order."""
    out: list[str] = []
    cached = _CACHE.get
    for word in WORD.findall(text.lower()):
        found = cached(word)
        if found is None:
            found = "" if word in STOP_WORDS or len(word) > MAX_WORD else stem(word)
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[word] = found
        if found:
            out.append(found)
    return out


def stem_words(lowered: Iterable[str]) -> list[str]:
    return list(_stemmer().stemWords(list(lowered)))


def stem(word: str) -> str:
    """The stem of one (lowercased) word."""
    return str(_stemmer().stemWord(word))


def fold(word: str) -> str:
    """Lowercase with umlauts and ß folded, the alphabet stems are written in: a prefix
    query ``Widerspr*`` becomes ``widerspr`` and matches the stem ``widerspruchsbescheid``."""
    return word.lower().translate(_FOLD)
