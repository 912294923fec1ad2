"""Demo E-Akte: Aktenplan excerpts, default types and rules, a few fictional Akten with
their documents, and an Aktenauszug with an Akteneinsicht for the Sozialgericht."""

from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pikepdf
from django.utils import timezone

from koffer import identifiers
from koffer.accounts.models import User
from koffer.jobs import runner
from koffer.records import defaults, services
from koffer.records.auszug import einsicht
from koffer.records.auszug import services as extract
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.konfiguration import aktenplan
from koffer.records.models import (
    Akte,
    Aktenauszug,
    Aktenplaneinheit,
    Dokument,
    FristRegel,
    Vorgang,
    VorgangTyp,
)
from koffer.tenancy.models import Mandant, Organisationseinheit

logger = logging.getLogger(__name__)

AKTENPLAN_CSV = (
    Path(__file__).resolve().parent.parent / "records" / "fixtures" / "aktenplan_demo.csv"
)

# (Mandant slug, Kennzeichen, unit, caseworker, title, family name, given names, birth date, BG, Vorgang type)
AKTEN = [
    (
        "jobcenter-musterland",
        "50.2.1",
        "Leistungsteam 1",
        "sb.jobcenter",
        "Leistungsakte Familie Beispiel",
        "Beispiel",
        "Anna",
        date(1986, 4, 12),
        "neu",
        "weiterbewilligung",
    ),
    (
        "jobcenter-musterland",
        "50.2.1",
        "Leistungsteam 1",
        "sb.jobcenter",
        "Leistungsakte Yılmaz",
        "Yılmaz",
        "Deniz",
        date(1979, 11, 3),
        "neu",
        "antrag",
    ),
    (
        "jobcenter-musterland",
        "50.2.3",
        "Leistungsteam 1",
        "sb.jobcenter",
        "Widerspruch gegen Bescheid vom 3. März",
        "Beispiel",
        "Anna",
        date(1986, 4, 12),
        "",
        "widerspruch",
    ),
    (
        "landkreis-musterland",
        "51.1",
        "ASD Nord",
        "sb.jugendamt",
        "Hilfe zur Erziehung Kind M.",
        "Mustermann",
        "Mia",
        date(2014, 6, 1),
        "",
        "hze",
    ),
    (
        "landkreis-musterland",
        "52.1",
        "Schwerbehindertenrecht",
        "sb.sozialamt",
        "Feststellung GdB Herr Schulze",
        "Schulze",
        "Karl-Heinz",
        date(1958, 2, 27),
        "",
        "erstantrag",
    ),
    (
        "landkreis-musterland",
        "52.2",
        "Schwerbehindertenrecht",
        "sb.sozialamt",
        "Klage S 12 SB 345/26",
        "Schulze",
        "Karl-Heinz",
        date(1958, 2, 27),
        "",
        "klage",
    ),
]

# The Jobcenter's Kundennummern of its persons (Mandant slug, family name, given names):
# printed on its notices, read by the Posteingang. Anna Beispiel has two Akten (benefits
# and objection), each with its own person record, both with her one number.
KUNDENNUMMERN = {
    ("jobcenter-musterland", "Beispiel", "Anna"): "123D456789",
    ("jobcenter-musterland", "Yılmaz", "Deniz"): "123D765432",
}


@dataclass(frozen=True)
class DemoDokument:
    """A small fictional document: a PDF with one page per entry of ``pages``, or a text
    file when the name ends in .txt."""

    filename: str
    title: str
    kind: str
    direction: str
    sender: str
    days_ago: int
    pages: tuple[str, ...]


IN = Dokument.Direction.INCOMING
OUT = Dokument.Direction.OUTGOING

# Akte title -> its documents, filed in the Akte's Vorgang. Every text is made up.
DOKUMENTE: dict[str, list[DemoDokument]] = {
    "Leistungsakte Familie Beispiel": [
        DemoDokument(
            "Weiterbewilligungsantrag.pdf",
            "Weiterbewilligungsantrag",
            "Antrag",
            IN,
            "Anna Beispiel",
            21,
            (
                "Antrag auf Weiterbewilligung der Leistungen nach dem SGB II. "
                "Bedarfsgemeinschaft Beispiel, zwei Erwachsene, ein Kind.",
                "Anlagen: Kontoauszüge der letzten drei Monate, Mietbescheinigung, "
                "Nachweis über Kindergeld.",
            ),
        ),
        DemoDokument(
            "Vermerk Telefonat.txt",
            "Vermerk Telefonat mit Frau Beispiel",
            "Vermerk",
            Dokument.Direction.INTERNAL,
            "",
            14,
            (
                "Frau Beispiel rief an und fragte nach dem Stand ihres Antrags. "
                "Fehlende Unterlage: Nebenkostenabrechnung; wird nachgereicht.",
            ),
        ),
    ],
    "Leistungsakte Yılmaz": [
        DemoDokument(
            "Antrag Bürgergeld.pdf",
            "Antrag auf Bürgergeld",
            "Antrag",
            IN,
            "Deniz Yılmaz",
            9,
            ("Erstantrag auf Leistungen zur Sicherung des Lebensunterhalts (Bürgergeld).",),
        ),
        DemoDokument(
            "Mietbescheinigung.pdf",
            "Mietbescheinigung",
            "Nachweis",
            IN,
            "Wohnungsbau Musterland eG",
            9,
            ("Mietbescheinigung: Kaltmiete 410,00 EUR, Nebenkosten 95,00 EUR, Heizung 70,00 EUR.",),
        ),
    ],
    "Widerspruch gegen Bescheid vom 3. März": [
        DemoDokument(
            "Widerspruch.pdf",
            "Widerspruch gegen den Bescheid vom 3. März",
            "Widerspruch",
            IN,
            "Anna Beispiel",
            12,
            (
                "Hiermit lege ich Widerspruch gegen den Bescheid vom 3. März ein. "
                "Die Kosten der Unterkunft wurden nicht vollständig berücksichtigt.",
            ),
        ),
    ],
    "Hilfe zur Erziehung Kind M.": [
        DemoDokument(
            "Hilfeplan.pdf",
            "Hilfeplan nach § 36 SGB VIII",
            "Hilfeplan",
            OUT,
            "",
            30,
            (
                "Hilfeplangespräch mit der Mutter und Mia. Ziele: regelmäßiger Schulbesuch, "
                "feste Tagesstruktur.",
                "Vereinbarte Hilfe: Erziehungsbeistand, fünf Stunden in der Woche, "
                "Überprüfung in sechs Monaten.",
            ),
        ),
        DemoDokument(
            "Vermerk Hausbesuch.txt",
            "Vermerk Hausbesuch",
            "Vermerk",
            Dokument.Direction.INTERNAL,
            "",
            7,
            ("Hausbesuch am Vormittag; die Wohnung ist aufgeräumt, Mia war in der Schule.",),
        ),
    ],
    "Feststellung GdB Herr Schulze": [
        DemoDokument(
            "Antrag Feststellung GdB.pdf",
            "Antrag auf Feststellung des Grades der Behinderung",
            "Antrag",
            IN,
            "Karl-Heinz Schulze",
            60,
            ("Antrag auf Feststellung einer Behinderung und des Grades der Behinderung.",),
        ),
        DemoDokument(
            "Befundbericht.pdf",
            "Befundbericht Hausarzt",
            "Befund",
            IN,
            "Praxis Dr. Muster",
            40,
            ("Befundbericht: Einschränkung der Beweglichkeit beider Kniegelenke.",),
        ),
    ],
    "Klage S 12 SB 345/26": [
        DemoDokument(
            "Klageschrift.pdf",
            "Klageschrift",
            "Klage",
            IN,
            "Sozialgericht Musterstadt",
            20,
            (
                "Klage gegen den Widerspruchsbescheid. Der Kläger begehrt einen GdB von 50.",
                "Begründung folgt mit gesondertem Schriftsatz.",
            ),
        ),
        DemoDokument(
            "Anforderung der Verwaltungsakte.pdf",
            "Anforderung der Verwaltungsakte",
            "Schreiben",
            IN,
            "Sozialgericht Musterstadt",
            15,
            ("Das Gericht bittet um Übersendung der vollständigen Verwaltungsakte.",),
        ),
    ],
}
# The Sozialgericht asked for the file: the demo holds its Aktenauszug and a link for it.
AUSZUG_AKTE = "Klage S 12 SB 345/26"
AUSZUG_PURPOSE = "Aktenauszug für das Sozialgericht Musterstadt, Az. S 12 SB 345/26"
EINSICHT_RECIPIENT = "Sozialgericht Musterstadt, 12. Kammer"


def pdf_bytes(title: str, pages: tuple[str, ...]) -> bytes:
    """A plain text PDF (Helvetica, A4), one page per text, the title on every page."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    for number, text in enumerate(pages, start=1):
        lines = [title, "", *_wrap(text, 80), "", f"Seite {number} von {len(pages)}"]
        ops = ["BT /F1 12 Tf 72 770 Td 16 TL"]
        ops += [f"({_pdf_string(line)}) '" for line in lines]
        ops.append("ET")
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Contents=pdf.make_stream("\n".join(ops).encode("cp1252")),
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
        )
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _pdf_string(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _file_bytes(doc: DemoDokument) -> bytes:
    if doc.filename.endswith(".txt"):
        return ("\n\n".join((doc.title, *doc.pages)) + "\n").encode("utf-8")
    return pdf_bytes(doc.title, doc.pages)


def _file_documents(actor: User, akte: Akte, vorgang: Vorgang | None) -> None:
    for doc in DOKUMENTE.get(akte.title, []):
        result = documents.ingest_file(
            actor=actor,
            akte=akte,
            vorgang=vorgang,
            file=naming.IncomingFile.from_bytes(doc.filename, _file_bytes(doc)),
            meta=documents.DocumentMeta(
                title=doc.title,
                kind=doc.kind,
                direction=doc.direction,
                sender=doc.sender,
                received_on=timezone.localdate() - timedelta(days=doc.days_ago),
            ),
        )
        if not result.ok:
            raise RuntimeError(f"Demo-Dokument {doc.filename}: {result.message}")


def order_auszug(mandanten: dict[str, Mandant]) -> Aktenauszug:
    """Order the Sozialgericht's Aktenauszug; built by finish() once committed."""
    tenant = mandanten["landkreis-musterland"]
    akte = Akte.objects.for_tenant(tenant).get(title=AUSZUG_AKTE)
    return extract.create_auszug(
        actor=akte.caseworker,
        akte=akte,
        auswahl=extract.Auswahl(ganze_akte=True),
        purpose=AUSZUG_PURPOSE,
    )


def finish(auszug: Aktenauszug) -> None:
    """Build the Aktenauszug right away (the demo has no worker yet when it loads; the
    queued task later finds the job done and skips it) and give the court its link."""
    if auszug.job_id is not None:
        runner.execute(auszug.job_id)
    auszug.refresh_from_db()
    if auszug.status != Aktenauszug.Status.DONE:
        # The demo still starts: the extract shows as failed, with its reason, in the Akte
        # (and the browser tests fail on the missing Akteneinsicht pages).
        logger.warning("Demo-Aktenauszug nicht erstellt: %s", auszug.error)
        return
    einsicht.create_einsicht(
        actor=auszug.created_by, auszug=auszug, recipient=EINSICHT_RECIPIENT, valid_days=14
    )


# Fictional streets of the demo district, so that letters have somewhere to go.
STRASSEN = ("Lindenweg", "Am Anger", "Mühlenstraße", "Birkenallee", "Schulgasse", "Feldweg")
ORTE = (("12341", "Musterstadt"), ("12345", "Beispielstadt"), ("12349", "Neudorf"))
GEBURTSORTE = (
    ("Musterstadt", "deutsch"),
    ("Leipzig", "deutsch"),
    ("Beispielstadt", "deutsch"),
    ("Izmir", "türkisch"),
    ("Rostock", "deutsch"),
    ("Posen", "polnisch"),
)
# Bank codes of the usual textbook examples with their BICs; the account numbers are made
# up, the check digits computed, so the forms' IBAN check accepts them.
BANKEN = (("37040044", "COBADEFFXXX"), ("12030000", "BYLADEM1001"), ("50010517", "INGDDEFFXXX"))
UMLAUTE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", " ": "."})


def _mail_name(given_names: str, family_name: str) -> str:
    """``vorname.nachname`` in plain ASCII, as a mail server spells it."""
    name = f"{given_names.split(' ')[0]}.{family_name}".lower().translate(UMLAUTE)
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().strip(".")


def demo_iban(bankleitzahl: str, konto: int) -> str:
    """A German IBAN with valid check digits for a made-up account number."""
    bban = f"{bankleitzahl}{konto:010d}"
    return f"DE{identifiers.check_digits(bban + 'DE')}{bban}"


def give_details(actor: User, akte: Akte, seed: int) -> None:
    """The Akte's person gets a fictional postal address (the Postausgang writes to it),
    place of birth, nationality, telephone, e-mail and bank account (the Formulare
    prefill them)."""
    person = akte.subjekte.select_related("person").first()
    if person is None or person.person.street:
        return
    p = person.person
    postal_code, city = ORTE[seed % len(ORTE)]
    geburtsort, staatsangehoerigkeit = GEBURTSORTE[seed % len(GEBURTSORTE)]
    bankleitzahl, bic = BANKEN[seed % len(BANKEN)]
    services.change_person(
        actor=actor,
        person=p,
        street=f"{STRASSEN[seed % len(STRASSEN)]} {seed % 40 + 1}",
        postal_code=postal_code,
        city=city,
        geburtsort=geburtsort,
        staatsangehoerigkeit=staatsangehoerigkeit,
        telefon=f"01234 {560000 + seed * 37:06d}",
        email=f"{_mail_name(p.given_names, p.family_name)}@example.org",
        iban=demo_iban(bankleitzahl, 532013000 + seed * 1009),
        bic=bic,
    )


def load(mandanten: dict[str, Mandant]) -> None:
    text = AKTENPLAN_CSV.read_text(encoding="utf-8")
    for slug in ("landkreis-musterland", "jobcenter-musterland"):
        tenant = mandanten[slug]
        aktenplan.import_csv(actor=None, tenant=tenant, text=defaults.aktenplan_for(tenant, text))
        defaults.install(actor=None, tenant=mandanten[slug])
    for slug, kennzeichen, unit_name, username, title, family, given, born, bg, typ in AKTEN:
        tenant = mandanten[slug]
        caseworker = User.objects.get(username=username)
        akte = services.open_akte_for_person(
            actor=caseworker,
            tenant=tenant,
            aktenplaneinheit=Aktenplaneinheit.objects.for_tenant(tenant).get(
                kennzeichen=kennzeichen
            ),
            unit=Organisationseinheit.objects.for_tenant(tenant).get(name=unit_name),
            title=title,
            family_name=family,
            given_names=given,
            birth_date=born,
            kundennummer=KUNDENNUMMERN.get((slug, family, given), ""),
            bg_nummer=bg,
            caseworker=caseworker,
        )
        give_details(caseworker, akte, len(akte.aktenzeichen) + len(family) + len(given))
        vorgang_typ = VorgangTyp.objects.for_tenant(tenant).filter(code=typ).first()
        if vorgang_typ is None:
            _file_documents(caseworker, akte, None)
            continue
        vorgang = services.create_vorgang(
            actor=caseworker, akte=akte, typ=vorgang_typ, title=vorgang_typ.label
        )
        _file_documents(caseworker, akte, vorgang)
        if typ in {"widerspruch", "klage", "weiterbewilligung"}:
            regel = {
                "widerspruch": "anhoerung",
                "klage": "klagefrist",
                "weiterbewilligung": "mitwirkung",
            }[typ]
            services.add_frist(
                actor=caseworker,
                vorgang=vorgang,
                base_date=timezone.localdate() - timedelta(days=10),
                regel=tenant_regel(tenant, regel),
            )
        if typ == "hze":
            # The Hilfeplan is reviewed at least every six months (§ 36 Abs. 2 SGB VIII);
            # the next review falls within the week, so it shows on the start page.
            services.add_frist(
                actor=caseworker,
                vorgang=vorgang,
                base_date=timezone.localdate() - timedelta(days=180),
                label="Hilfeplan fortschreiben (§ 36 SGB VIII)",
                due=timezone.localdate() + timedelta(days=4),
            )
        services.set_wiedervorlage(
            actor=caseworker,
            akte=akte,
            due_date=timezone.localdate() + timedelta(days=3),
            assignee=caseworker,
            note="Unterlagen nachfordern",
        )
        # One reminder already overdue: every demo caseworker starts the day with a task.
        # It was set a week ago (a date in the past cannot be set today).
        services.set_wiedervorlage(
            actor=caseworker,
            akte=akte,
            due_date=timezone.localdate() - timedelta(days=2),
            assignee=caseworker,
            note="Rückruf wegen fehlender Nachweise",
            today=timezone.localdate() - timedelta(days=7),
        )


def tenant_regel(tenant: Mandant, code: str) -> FristRegel:
    return FristRegel.objects.for_tenant(tenant).get(code=code)
