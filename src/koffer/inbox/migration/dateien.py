"""The CSV export of the previous specialist software as koffer reads it: three files
(``personen.csv``, ``bedarfsgemeinschaften.csv``, ``akten.csv``), recognised by their
header, ``;``-separated as German Excel writes them, UTF-8 (with or without BOM) or
Windows-1252, dates as TT.MM.JJJJ. The columns are defined here once; the page, the
command and ``docs/migration-csv.md`` describe the same ones."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from koffer.inbox.errors import InboxError

MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000  # per file: a Jobcenter of 7,000 BGs exports about 20,000 persons
MAX_CELL = 300  # longer values are cut when they are shown in a rejection


@dataclass(frozen=True)
class Spalte:
    name: str
    required: bool
    beschreibung: str


PERSON = "person"
BG = "bg"
AKTE = "akte"
ORDER = (PERSON, BG, AKTE)  # persons before the BGs that name them, both before Akten

SPALTEN: dict[str, tuple[Spalte, ...]] = {
    PERSON: (
        Spalte("person_id", True, "Schlüssel der Person im Altsystem"),
        Spalte("familienname", True, "Familienname"),
        Spalte("vornamen", False, "Vornamen"),
        Spalte("geburtsname", False, "Geburtsname"),
        Spalte("geburtsdatum", False, "Geburtsdatum TT.MM.JJJJ"),
        Spalte("kundennummer", False, "Kundennummer 123D456789"),
        Spalte("strasse", False, "Straße und Hausnummer"),
        Spalte("plz", False, "Postleitzahl, fünf Ziffern"),
        Spalte("ort", False, "Ort"),
        Spalte("geburtsort", False, "Geburtsort"),
        Spalte("staatsangehoerigkeit", False, "Staatsangehörigkeit, z. B. deutsch"),
        Spalte("telefon", False, "Telefonnummer"),
        Spalte("email", False, "E-Mail-Adresse"),
        Spalte("iban", False, "IBAN (Leerzeichen erlaubt)"),
        Spalte("bic", False, "BIC"),
        Spalte("kontoinhaber", False, "Kontoinhaber/in, leer wenn die Person selbst"),
    ),
    BG: (
        Spalte("bg_nummer", True, "BG-Nummer"),
        Spalte("person_id", True, "Schlüssel einer Person aus personen.csv"),
        Spalte("rolle", True, "antragsteller, partner, kind oder sonstige"),
    ),
    AKTE: (
        Spalte("akte_id", True, "Schlüssel der Akte im Altsystem (meist das alte Aktenzeichen)"),
        Spalte("titel", True, "Titel der Akte"),
        Spalte("aktenplan", True, "Kennzeichen der Aktenplaneinheit in koffer"),
        Spalte("einheit", False, "Name der Organisationseinheit in koffer"),
        Spalte("bg_nummer", False, "BG-Nummer der Bedarfsgemeinschaft"),
        Spalte("personen", False, "Schlüssel betroffener Personen, durch Komma getrennt"),
        Spalte("eroeffnet_am", False, "Eröffnungsdatum TT.MM.JJJJ"),
    ),
}
FILE_NAMES = {PERSON: "personen.csv", BG: "bedarfsgemeinschaften.csv", AKTE: "akten.csv"}
KEY_COLUMN = {PERSON: "person_id", BG: "bg_nummer", AKTE: "akte_id"}


@dataclass(frozen=True)
class Zeile:
    """One data row: its file's kind, the file name, its line number in the file (the
    header is line 1) and its values by column, trimmed."""

    art: str
    datei: str
    nummer: int
    werte: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.werte.get(column, "")


@dataclass(frozen=True)
class Datei:
    name: str
    art: str
    sha256: str
    encoding: str
    text: str

    def as_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "art": self.art,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "text": self.text,
        }


class FormatError(InboxError):
    """A file koffer cannot read as one of the three export files."""

    def __init__(self, message: str) -> None:
        super().__init__("import_file_invalid", message)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: UTF-8 (a BOM is dropped), else Windows-1252
    (the other thing German Excel writes). Bytes undefined in both are refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 mit BOM"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError as exc:
        raise FormatError(
            "Die Datei ist weder UTF-8 noch Windows-1252 (Byte "
            f"{data[exc.start]:#04x} an Stelle {exc.start})."
        ) from exc


def _reader(text: str) -> Any:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)


def _header(text: str) -> list[str]:
    for row in _reader(text):
        return [c.strip().lower() for c in row]
    return []


def art_of(header: list[str]) -> str | None:
    """Which export file a header belongs to: the one whose required columns it has."""
    for art in ORDER:
        if all(s.name in header for s in SPALTEN[art] if s.required) and (
            art != BG or "akte_id" not in header
        ):
            return art
    return None


def read(name: str, data: bytes) -> Datei:
    """One uploaded file, decoded and recognised by its header."""
    if len(data) > MAX_BYTES:
        raise FormatError(f"{name}: Die Datei ist größer als {MAX_BYTES // 1024 // 1024} MB.")
    text, encoding = decode(data)
    header = _header(text)
    art = art_of(header)
    if art is None:
        raise FormatError(
            f"{name}: Die Kopfzeile passt zu keiner Importdatei. Erwartet werden die Spalten "
            + "; ".join(
                f"{FILE_NAMES[a]}: {', '.join(s.name for s in SPALTEN[a] if s.required)}"
                for a in ORDER
            )
            + "."
        )
    return Datei(name, art, hashlib.sha256(data).hexdigest(), encoding, text)


def ordered(dateien: list[Datei]) -> list[Datei]:
    """Persons, BGs, Akten: at most one file of each kind."""
    seen: dict[str, str] = {}
    for d in dateien:
        if d.art in seen:
            raise FormatError(
                f"{seen[d.art]} und {d.name} sind beide {FILE_NAMES[d.art]}; bitte nur eine "
                "Datei je Art hochladen."
            )
        seen[d.art] = d.name
    if not dateien:
        raise FormatError("Bitte mindestens eine Importdatei hochladen.")
    return sorted(dateien, key=lambda d: ORDER.index(d.art))


def rows(datei: Datei) -> list[Zeile]:
    """The data rows of a file, empty lines skipped; line numbers as an editor shows them
    (a quoted value over several lines counts its lines)."""
    reader = _reader(datei.text)
    header: list[str] | None = None
    found: list[Zeile] = []
    for cells in reader:
        if header is None:
            header = [c.strip().lower() for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(found) >= MAX_ROWS:
            raise FormatError(f"{datei.name}: mehr als {MAX_ROWS} Zeilen.")
        werte = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        found.append(Zeile(datei.art, datei.name, reader.line_num, werte))
    return found


def all_rows(dateien: list[Datei]) -> list[Zeile]:
    return [z for d in dateien for z in rows(d)]


def fingerprint(dateien: list[Datei]) -> str:
    h = hashlib.sha256()
    for d in dateien:
        h.update(f"{d.name}\0{d.sha256}\n".encode())
    return h.hexdigest()


def parse_date(value: str) -> date | None:
    """TT.MM.JJJJ (also T.M.JJJJ); None for anything else."""
    try:
        return datetime.strptime(value, "%d.%m.%Y").date()
    except ValueError:
        return None


def from_json(items: list[dict[str, str]]) -> list[Datei]:
    return [Datei(i["name"], i["art"], i["sha256"], i["encoding"], i["text"]) for i in items]
