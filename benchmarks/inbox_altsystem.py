"""CSV exports of a previous specialist software (the format of
``docs/migration-csv.md``) for the migration tests and the ``inbox_import`` benchmark:
``;``-separated, German dates, as German Excel writes them."""

from __future__ import annotations

HEAD_PERSONEN = (
    "person_id;familienname;vornamen;geburtsname;geburtsdatum;kundennummer;strasse;plz;ort"
)
HEAD_BG = "bg_nummer;person_id;rolle"
HEAD_AKTEN = "akte_id;titel;aktenplan;einheit;bg_nummer;personen;eroeffnet_am"


def csv_bytes(head: str, rows: list[str], *, encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join([head, *rows]) + "\r\n").encode(encoding)


def kundennummer(n: int) -> str:
    return f"{100 + n % 900:03d}D{n:06d}"


def export(households: int, *, plan: str, unit: str) -> dict[str, bytes]:
    """``households`` BGs of two persons each (Antragsteller and Kind), each with an Akte:
    five rows per household."""
    personen, bgs, akten = [], [], []
    for n in range(households):
        a, k = f"P{2 * n:06d}", f"P{2 * n + 1:06d}"
        personen.append(
            f"{a};Muster{n};Erika;;01.02.1980;{kundennummer(2 * n)};Hauptstr. {n};12345;Musterstadt"
        )
        personen.append(f"{k};Muster{n};Paul;;03.04.2015;;Hauptstr. {n};12345;Musterstadt")
        bgs.append(f"BG-ALT-{n:06d};{a};antragsteller")
        bgs.append(f"BG-ALT-{n:06d};{k};kind")
        akten.append(
            f"LA-ALT-{n:06d};Leistungsakte Muster{n};{plan};{unit};BG-ALT-{n:06d};{a},{k};15.03.2019"
        )
    return {
        "personen.csv": csv_bytes(HEAD_PERSONEN, personen),
        "bedarfsgemeinschaften.csv": csv_bytes(HEAD_BG, bgs),
        "akten.csv": csv_bytes(HEAD_AKTEN, akten),
    }
