"""Which kind of document a text is: payslip, rent certificate, sick note, objection,
court letter, application, bank statement, or something else. Pure.

Why: the kind names the document in the Akte, and some kinds start work (an objection
opens a Widerspruch-Vorgang, a court letter has deadlines).

How: every kind has phrases with weights (strong: the form's own title, "lege ich
Widerspruch ein"; weak: words that also occur elsewhere). The text is folded like the
search (ä→ae, ß→ss, lower case), hyphenated line breaks are joined and runs of space
collapsed, so OCR's line breaks do not hide a phrase. The best kind wins when its score
reaches ``THRESHOLD``; its confidence grows with the score and shrinks when a second kind
scores nearly as much. Reasons name the phrases found, in German.

Limits: only the first ``MAX_CHARS`` characters are read, and only for keywords; a letter
quoting another kind's words ("Ihr Antrag …" in a court letter) can mislead, which is why
court letters' own marks weigh most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from koffer.records.suche.backends.folding import fold

KINDS: dict[str, str] = {
    "lohnabrechnung": "Lohn- oder Gehaltsabrechnung",
    "mietbescheinigung": "Mietbescheinigung",
    "arbeitsunfaehigkeit": "Arbeitsunfähigkeitsbescheinigung",
    "widerspruch": "Widerspruch",
    "gerichtsschreiben": "Schreiben eines Gerichts",
    "antrag": "Antrag",
    "kontoauszug": "Kontoauszug",
    "sonstiges": "Sonstiges",
}
# Not recognised but said by the batch: a paper file of a Rückscan (``inbox.rueckscan``).
RUECKSCAN = "rueckscan"
LABELS: dict[str, str] = {**KINDS, RUECKSCAN: "Rückscan"}  # every kind a document can carry

THRESHOLD = 4.0  # below this, nothing is clear: "sonstiges"
# The kind shows on the first pages; a 500-page file is not read to the end (~6 ms per
# 1,000 characters).
MAX_CHARS = 20_000


@dataclass(frozen=True)
class Art:
    code: str
    confidence: float  # 0..1
    reasons: list[str]


# kind -> (phrase as shown in reasons, weight). A phrase is matched on folded text at word
# starts; "*" at its end allows any word ending ("widerspruch*"), else the word must end.
PHRASES: dict[str, list[tuple[str, float]]] = {
    "lohnabrechnung": [
        ("Verdienstabrechnung", 4), ("Lohnabrechnung", 4), ("Gehaltsabrechnung", 4),
        ("Entgeltabrechnung", 4), ("Abrechnung der Brutto/Netto-Bezüge", 4),
        ("Gesamtbrutto", 2), ("Auszahlungsbetrag", 2), ("Nettoverdienst", 2), ("Netto", 1),
        ("Brutto", 1), ("Steuerklasse", 1.5), ("Lohnsteuer", 1.5), ("Solidaritätszuschlag", 1),
        ("Rentenversicherung", 0.5), ("Personalnummer", 1), ("Abrechnungszeitraum", 1.5),
        ("Steuer-ID", 0.5), ("Arbeitgeber", 0.5),
    ],
    "mietbescheinigung": [
        ("Mietbescheinigung", 5), ("Vermieterbescheinigung", 5),
        ("Bescheinigung des Vermieters", 5), ("Grundmiete", 2), ("Kaltmiete", 2),
        ("Nettokaltmiete", 2), ("Betriebskosten", 1.5), ("Nebenkosten", 1), ("Heizkosten", 1.5),
        ("Wohnfläche", 1.5), ("Vermieter*", 1.5), ("Mietvertrag*", 1), ("Mieter*", 0.5),
        ("Gesamtmiete", 1.5), ("Einzugsdatum", 1),
    ],
    "arbeitsunfaehigkeit": [
        ("Arbeitsunfähigkeitsbescheinigung", 5), ("AU-Bescheinigung", 5),
        ("arbeitsunfähig seit", 3), ("voraussichtlich arbeitsunfähig bis", 3),
        ("arbeitsunfähig", 1.5), ("Erstbescheinigung", 2), ("Folgebescheinigung", 2),
        ("festgestellt am", 1), ("Diagnose", 1), ("ICD-10", 1.5), ("Arbeitsunfall", 1),
        ("Vertragsarzt*", 1), ("Krankenkasse", 0.5), ("Krankmeldung", 2),
    ],
    "widerspruch": [
        ("lege ich Widerspruch ein", 5), ("legen wir Widerspruch ein", 5),
        ("erhebe ich Widerspruch", 5), ("Widerspruch ein", 3), ("Widerspruch", 2.5),
        ("gegen den Bescheid vom", 2.5), ("gegen Ihren Bescheid", 2.5), ("widerspreche", 3),
        ("Begründung", 1), ("fristgerecht", 0.5), ("Überprüfungsantrag", 1),
        ("aufzuheben", 1),
    ],
    "gerichtsschreiben": [
        ("Sozialgericht", 3), ("Landessozialgericht", 3), ("Bundessozialgericht", 3),
        ("In dem Rechtsstreit", 4), ("Rechtsstreit", 2), ("Kläger*", 1.5), ("Beklagte*", 1.5),
        ("Antragsgegner*", 1), ("Klage", 1), ("Ladung", 1.5),
        ("mündliche Verhandlung", 2), ("Im Namen des Volkes", 4), ("Beschluss", 1.5),
        ("Urteil", 1.5), ("einstweiligen Rechtsschutz", 2), ("Geschäftsstelle", 1),
        ("Vorsitzende", 1), ("Kammer", 1), ("Urkundsbeamt*", 2), ("beglaubigt", 0.5),
    ],
    "antrag": [
        ("Weiterbewilligungsantrag", 5), ("Antrag auf Weiterbewilligung", 5),
        ("Antrag auf Leistungen", 4), ("Antrag auf", 2.5), ("beantrage ich", 3),
        ("beantrage", 2), ("Hauptantrag", 3), ("Erstantrag", 3), ("Antragsteller*", 1.5),
        ("Anlage KdU", 1.5), ("Anlage EK", 1.5), ("Anlage WEP", 1.5), ("Antragstellung", 1),
        ("Unterschrift", 0.5),
    ],
    "kontoauszug": [
        ("Kontoauszug", 5), ("Kontostand", 2), ("alter Kontostand", 2), ("neuer Kontostand", 2),
        ("Buchungstag", 2), ("Wertstellung", 2), ("Valuta", 1.5), ("Umsätze", 1),
        ("Saldo", 1), ("Lastschrift", 1), ("Gutschrift", 1), ("Überweisung", 0.5),
        ("IBAN", 0.5), ("BIC", 0.5), ("Dauerauftrag", 1),
    ],
}  # fmt: skip

# At most this many occurrences of one phrase count (a payslip says "Netto" many times).
MAX_HITS = 2


def _compiled(phrase: str) -> re.Pattern[str]:
    open_end = phrase.endswith("*")
    words = fold(phrase.rstrip("*")).split()
    body = r"\s+".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w){body}" + ("" if open_end else r"(?!\w)"))


_MATCHERS = {
    kind: [(label.replace("*", "…"), weight, _compiled(label)) for label, weight in phrases]
    for kind, phrases in PHRASES.items()
}


def classify(text: str) -> Art:
    """The kind of the document whose text this is, with German reasons."""
    folded = _prepared(text[:MAX_CHARS])
    scores: dict[str, tuple[float, list[str]]] = {}
    for kind, matchers in _MATCHERS.items():
        total, weighed = 0.0, []
        for label, weight, pattern in matchers:
            hits = len(pattern.findall(folded))
            if hits:
                total += weight * min(hits, MAX_HITS)
                weighed.append((weight, label))
        scores[kind] = (
            total,
            _distinct([label for _, label in sorted(weighed, key=lambda x: (-x[0], -len(x[1])))]),
        )
    ranked = sorted(scores.items(), key=lambda item: -item[1][0])
    (best, (score, labels)), (second, (second_score, second_labels)) = ranked[0], ranked[1]
    if score < THRESHOLD:
        reasons = ["keine eindeutigen Merkmale einer bekannten Dokumentart"]
        if score > 0:
            reasons.append(f"schwache Hinweise auf {KINDS[best]}: {_quoted(labels)}")
        return Art("sonstiges", round(0.6 - 0.3 * score / THRESHOLD, 2), reasons)
    strength = 1 - 2 ** (-score / THRESHOLD)  # 4 -> 0.5, 8 -> 0.75, 12 -> 0.875
    margin = 1 - second_score / score  # 0 when tied
    confidence = round(min(0.98, strength * (0.5 + 0.5 * margin) + 0.1), 2)
    reasons = [f"enthält {_quoted(labels)}"]
    if second_score >= THRESHOLD / 2:
        reasons.append(f"auch Hinweise auf {KINDS[second]}: {_quoted(second_labels)}")
    return Art(best, confidence, reasons)


def _prepared(text: str) -> str:
    joined = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)  # "Wider-\nspruch"
    return re.sub(r"\s+", " ", fold(joined))


def _distinct(labels: list[str]) -> list[str]:
    """Without phrases inside a longer one already named ("Widerspruch" in "lege ich
    Widerspruch ein")."""
    kept: list[str] = []
    for label in labels:
        if not any(fold(label.rstrip("…")) in fold(longer) for longer in kept):
            kept.append(label)
    return kept


def _quoted(labels: list[str], most: int = 3) -> str:
    shown = [f"„{label}“" for label in labels[:most]]
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " und " + shown[-1]
