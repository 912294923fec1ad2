"""What of a draft the expert may not see nor write. The form definitions carry no
confidentiality mark of their own (format 1), so the rule is by kind of data:

Hidden (no value at all, only that the field exists):

- bank details: fields of type ``iban`` and those prefilled from the person's account
  (IBAN, BIC, account holder);
- on a restricted Akte the expert may not read: every field prefilled from the Akte
  (its people, the household), and every field naming a person of the Akte (a ``person``
  field, a table with a ``person`` column: their choices are the Akte's people), since
  that is the Akte's restricted data.

Summarised (the expert sees *that* something is there, never what): what the citizen
hands over or signs.

- uploads (``datei``): per file its type and size — not its name (a file's name often
  says whose letter it is and what it is about: „Arztbrief Dr. K. – Diagnose.pdf“) and
  not its content (a doctor's letter is health data). The field worker may show a paper
  on the call if the citizen wishes; koffer does not pass it on.
- signatures (``unterschrift``): „unterschrieben“, „wird auf dem Ausdruck
  unterschrieben“ or „noch nicht unterschrieben“ — not the name typed, not the drawing.

Neither kind is written through the session, by either person: a file goes through the
form's upload (the E-Akte's inspection), a signature through the form's step (the citizen
signs on the field worker's screen); both then appear live in the session.

The page and the stream leave hidden values out and send summaries in place of the
summarised ones; the service refuses writes to them: masking is not a matter of the page
hiding something it was sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from koffer.forms.definition import Definition
from koffer.forms.definition.modell import Feld

VERTRAULICHE_TYPEN = frozenset({"iban"})
#: Types whose value the expert sees only summarised, and no one writes in the session.
ZUSAMMENGEFASST = frozenset({"datei", "unterschrift"})
BANKDATEN = frozenset({"person.iban", "person.bic", "person.kontoinhaber"})
AUS_DER_AKTE = ("person.", "bg.", "akte.")
DATEITYPEN = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def vertraulich(feld: Feld, *, liest_akte: bool) -> bool:
    """Hidden from an expert (``liest_akte``: false only where the Akte is restricted and
    the expert is not named on it)."""
    if feld.typ in VERTRAULICHE_TYPEN or feld.vorbelegung in BANKDATEN:
        return True
    if liest_akte:
        return False
    return (
        (feld.vorbelegung or "").startswith(AUS_DER_AKTE)
        or feld.typ == "person"
        or any(s.typ == "person" for s in feld.spalten)
    )


def maskiert(definition: Definition, *, liest_akte: bool) -> frozenset[str]:
    """The ids of the fields hidden from the expert in this form."""
    return frozenset(
        f.id for f in definition.felder.values() if vertraulich(f, liest_akte=liest_akte)
    )


def zusammengefasst(definition: Definition) -> frozenset[str]:
    """The ids of the fields the expert sees only summarised."""
    return frozenset(f.id for f in definition.felder.values() if f.typ in ZUSAMMENGEFASST)


def zusammenfassung(feld: Feld, wert: Any) -> Any:
    """The value as the expert may see it: per uploaded file ``{"typ", "groesse"}``; a
    signature's state ``{"stand": "unterschrieben" | "papier" | "offen"}``."""
    if feld.typ == "datei":
        dateien = wert if isinstance(wert, list) else []
        return [
            {
                "typ": DATEITYPEN.get(str(d.get("typ", "")), "Datei"),
                "groesse": d.get("groesse") if isinstance(d.get("groesse"), int) else None,
            }
            for d in dateien
            if isinstance(d, Mapping)
        ] or None
    if feld.typ == "unterschrift":
        return {"stand": unterschrift_stand(wert)}
    return wert


def unterschrift_stand(wert: Any) -> str:
    if not isinstance(wert, Mapping):
        return "offen"
    if wert.get("art") == "papier":
        return "papier"
    if wert.get("art") == "bildschirm" and wert.get("bestaetigt") is not False and wert.get("name"):
        return "unterschrieben"
    return "offen"
