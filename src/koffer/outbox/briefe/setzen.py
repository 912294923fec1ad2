"""A letter (:class:`Brief`) as the typesetting sees it (``outbox.satz.Briefsatz``): its
letterhead, address, information block, the version's body, the placeholder values and
the reply code; then typeset and checked.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pypdfium2

from koffer.outbox import satz
from koffer.outbox.briefe import daten
from koffer.outbox.models import Brief, Briefkopf
from koffer.outbox.satz import werkstatt
from koffer.outbox.vorlagen import selectors as vorlagen
from koffer.pdf.pdfium import LOCK as PDFIUM_LOCK
from koffer.records import antwortcode
from koffer.records import selectors as records
from koffer.records.models import Akte, Person


@dataclass(frozen=True)
class Befund:
    code: str
    message: str
    feld: str = ""

    def als_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "feld": self.feld}


@dataclass(frozen=True)
class Gesetzt:
    pdf: bytes
    text: str
    seiten: int
    befunde: tuple[Befund, ...]
    portoklasse: str
    briefdatum: date
    absender: str


def erste_person(akte: Akte) -> Person | None:
    return records.first_subject(akte)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def satzkopf(head: Briefkopf | None, fallback: str) -> satz.Briefkopf:
    """A letterhead as the typesetting takes it (``fallback``: the authority's name
    when there is no letterhead at all)."""
    if head is None:
        return satz.Briefkopf(behoerde=fallback)
    return satz.Briefkopf(
        behoerde=head.behoerde,
        einheit=head.abteilung,
        anschrift=_lines(head.anschrift),
        telefon=head.telefon,
        email=head.email,
        oeffnungszeiten=_lines(head.oeffnungszeiten),
        bank=_lines(head.bankverbindung),
        logo_svg=head.logo_svg or None,
    )


def anschrift(brief: Brief) -> satz.Anschrift:
    a: dict[str, Any] = brief.anschrift or {}
    return satz.Anschrift(
        namen=tuple(str(x) for x in a.get("namen", [])),
        strasse=str(a.get("strasse", "")),
        ort=str(a.get("ort", "")),
        land=str(a.get("land", "")),
    )


def briefsatz(brief: Brief, *, briefdatum: date) -> satz.Briefsatz:
    akte = brief.akte
    head = vorlagen.briefkopf_fuer(akte.unit)
    kopf = satzkopf(head, akte.unit.name)
    caseworker = akte.caseworker
    values = daten.werte(
        akte=akte,
        vorgang=brief.vorgang,
        person=brief.empfaenger,
        caseworker=caseworker,
        kopf=daten.Kopf(
            behoerde=kopf.behoerde,
            telefon=kopf.telefon,
            oeffnungszeiten=", ".join(kopf.oeffnungszeiten),
        ),
        briefdatum=briefdatum,
        eingaben=brief.eingaben,
        needed=daten.benutzt(brief.version.text_satz, brief.betreff),
    )
    # No personal e-mail address here: most are wider than the block's 47 mm; the
    # authority's address is in the footer.
    info = [("Aktenzeichen", akte.aktenzeichen)]
    if caseworker is not None:
        info.append(("Ansprechpartner", caseworker.get_full_name() or str(caseworker)))
    if kopf.telefon:
        info.append(("Telefon", kopf.telefon))
    info.append(("Datum", daten.datum(briefdatum)))
    code = antwortcode.encode(
        antwortcode.Antwortcode(
            tenant_id=brief.tenant_id,
            akte_id=akte.pk,
            vorgang_id=brief.vorgang_id,
            letter_id=brief.pk,
        )
    )
    vermerk = (brief.get_einschreiben_display(),) if brief.einschreiben else ()
    return satz.Briefsatz(
        form="A" if brief.version.vorlage.form == "A" else "B",
        briefkopf=kopf,
        ruecksendeangabe=head.ruecksendeangabe if head else kopf.behoerde,
        anschrift=anschrift(brief),
        info=tuple(info),
        betreff=daten.fuelle(brief.betreff, values),
        body=brief.version.text_satz,
        werte=values,
        vermerk=vermerk,
        anlagen=tuple(str(a) for a in brief.version.anlagen),
        antwortcode=code,
        aktenzeichen=akte.aktenzeichen,
        titel=daten.fuelle(brief.betreff, values),
    )


@dataclass(frozen=True)
class Vorgesetzt:
    """A letter typeset ahead (a serial letter's pool, :mod:`koffer.outbox.satz.werkstatt`)
    from ``satz``: used only if the letter still prints exactly that."""

    satz: satz.Briefsatz
    fertig: werkstatt.Fertig


def setze(
    brief: Brief,
    *,
    briefdatum: date,
    mit_text: bool = True,
    vorgesetzt: Vorgesetzt | None = None,
) -> Gesetzt:
    """Typeset and check ``brief`` as it would be sent on ``briefdatum``; ``mit_text``:
    also read its text back (for the search, when it is filed; a preview needs none).
    ``vorgesetzt``: the result of typesetting it ahead, taken when made from the same
    data (the address, a value or the date changed meanwhile: typeset again)."""
    data = briefsatz(brief, briefdatum=briefdatum)
    if vorgesetzt is not None and vorgesetzt.satz == data:
        done = vorgesetzt.fertig
    else:
        done = werkstatt.fertig(data, duplex=brief.duplex, mit_text=mit_text)
    return Gesetzt(
        pdf=done.pdf,
        text=done.text,
        seiten=done.seiten,
        befunde=tuple(Befund(b.code, b.meldung, b.feld) for b in done.befunde),
        portoklasse=done.portoklasse,
        briefdatum=briefdatum,
        absender=data.briefkopf.behoerde,
    )


def vorschau_png(pdf: bytes, *, page: int = 0, scale: float = 1.0) -> bytes:
    """Page ``page`` of a letter as PNG (72 dpi × ``scale``), for the live preview."""
    with PDFIUM_LOCK:
        doc = pypdfium2.PdfDocument(io.BytesIO(pdf))
        try:
            image = doc[page].render(scale=scale, grayscale=False).to_pil()
        finally:
            doc.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def dateiname(brief: Brief) -> str:
    words = "".join(c if c.isalnum() else "-" for c in brief.betreff)[:60].strip("-")
    return f"Brief-{words or 'Postausgang'}.pdf"
