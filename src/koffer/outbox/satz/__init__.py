"""Typesetting a letter (Satz): pure, no models, no database.

A caller passes a :class:`Briefsatz` (letterhead, address, information block, subject,
the body as typst markup with ``#wert("…")`` placeholders and their ``werte``, enclosures,
the reply code's text) and gets back from :func:`setze` the PDF bytes of a DIN 5008 letter
(form A or B, tagged PDF/A-2a and PDF/UA-1), or a :class:`Satzfehler` with line and
column in the body. :func:`pruefe` checks the letter and its PDF as they are created and
returns :class:`Befund` findings in German (empty: fine to send); :func:`portoklasse` says
which postage class a letter of so many pages needs. :func:`muster` is a sample letter.
"""

from koffer.outbox.satz.brief import Anschrift, Briefkopf, Briefsatz
from koffer.outbox.satz.muster import muster
from koffer.outbox.satz.pruefung import Befund, Portoklasse, portoklasse, pruefe
from koffer.outbox.satz.satz import Satzfehler, setze

__all__ = [
    "Anschrift",
    "Befund",
    "Briefkopf",
    "Briefsatz",
    "Portoklasse",
    "Satzfehler",
    "muster",
    "portoklasse",
    "pruefe",
    "setze",
]
