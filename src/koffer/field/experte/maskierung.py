"""Which fields of a draft the expert may not see nor write. The form definitions carry no
confidentiality mark of their own (format 1), so the rule is by kind of data:

- bank details: fields of type ``iban`` and those prefilled from the person's account
  (IBAN, BIC, account holder);
- what the citizen hands over or signs: uploaded papers (``datei``: a doctor's letter is
  health data) and signatures (``unterschrift``);
- on a restricted Akte the expert may not read: every field prefilled from the Akte
  (its people, the household), since that is the Akte's restricted data.

The page and the stream leave masked fields' values out, and the service refuses writes
to them: masking is not a matter of the page hiding something it was sent.
"""

from __future__ import annotations

from koffer.forms.definition import Definition
from koffer.forms.definition.modell import Feld

VERTRAULICHE_TYPEN = frozenset({"iban", "datei", "unterschrift"})
BANKDATEN = frozenset({"person.iban", "person.bic", "person.kontoinhaber"})
AUS_DER_AKTE = ("person.", "bg.", "akte.")


def vertraulich(feld: Feld, *, liest_akte: bool) -> bool:
    """Hidden from an expert (``liest_akte``: false only where the Akte is restricted and
    the expert is not named on it)."""
    if feld.typ in VERTRAULICHE_TYPEN or feld.vorbelegung in BANKDATEN:
        return True
    return not liest_akte and (feld.vorbelegung or "").startswith(AUS_DER_AKTE)


def maskiert(definition: Definition, *, liest_akte: bool) -> frozenset[str]:
    """The ids of the fields hidden from the expert in this form."""
    return frozenset(
        f.id for f in definition.felder.values() if vertraulich(f, liest_akte=liest_akte)
    )
