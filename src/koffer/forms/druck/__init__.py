"""A form as PDF, filled or empty, like the familiar paper form (issue 17).

:func:`formular_pdf` typesets a :class:`~koffer.forms.definition.Definition` with its
values — or without (the empty printable form) — as a tagged PDF/A-2a (PDF/UA-1): the
unit's letterhead (``koffer.outbox.satz.Briefkopf``) or a plain header, the title, the
caller's header rows, the reply code as a QR code at the top right (so the Posteingang
files a signed paper copy into its Akte), then per step a heading and per field a
labelled box, check boxes for every option, tables as grids with header cells, a
signature line. Pure: no models, no database; every text reaches typst as JSON data,
never as markup (``formular.typ``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from koffer.forms.definition import Definition
from koffer.outbox.satz import Briefkopf
from koffer.pdf import typesetting

from .bedingungstext import nur_wenn
from .daten import daten, formatiert

__all__ = ["formatiert", "formular_pdf", "nur_wenn", "quelle"]

_QUELLE = Path(__file__).with_name("formular.typ").read_text(encoding="utf-8")


def quelle() -> str:
    """The typst source of every form (the data decides what it prints)."""
    return _QUELLE


def formular_pdf(
    definition: Definition,
    werte: Mapping[str, Any] | None,
    *,
    briefkopf: Briefkopf | None = None,
    antwortcode: str | None = None,
    kopfzeilen: Sequence[tuple[str, str]] = (),
    heute: date,
) -> bytes:
    """The form as PDF bytes (tagged PDF/A-2a and PDF/UA-1, A4, German).

    ``werte``: the answers (field id → value as kept, e.g. ``Pruefung.werte``); None
    prints the empty form with every field and each condition as a hint. ``briefkopf``:
    the unit's letterhead (a plain header when None or when the definition's ``druck.kopf``
    is ``"schlicht"``). ``antwortcode``: the text of the reply code printed as a QR code
    (made by the caller, ``records.antwortcode.encode``). ``kopfzeilen``: label/value rows
    under the title (Aktenzeichen, Eingegangen am …; a row labelled „Version“ names the
    form's version in the footer). ``heute``: the day conditions like „heute“ compare to.
    """
    return typesetting.typeset(
        _QUELLE,
        daten(
            definition,
            werte,
            briefkopf=briefkopf,
            antwortcode=antwortcode,
            kopfzeilen=kopfzeilen,
            heute=heute,
        ),
        standards=typesetting.TAGGED_PDFA,
        tagged=True,
    )
