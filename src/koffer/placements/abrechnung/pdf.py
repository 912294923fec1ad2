"""The human-readable invoice: the stored XRechnung (CII XML) rendered as a tagged PDF for
the provider and the youth office, German, accessible (PDF/UA-1) and archivable (PDF/A-2a).

The PDF is made from the XML that was sent, never from the database, so it shows exactly
what the invoice says even if the Trägerprofil changed since. It is a view of the
invoice: the XRechnung stays the invoice in law (§ 14 UStG, E-Rechnungsverordnung), and
the PDF says so.

PDF/A is claimed only when :func:`koffer.pdf.pdfa.check` finds the typeset file
conforming; otherwise the PDF is made again without the claim (still tagged, PDF/UA-1)
and the reason is logged. Text reaches typst only as JSON data, never as markup, as in
the § 47 receipt (:mod:`koffer.placements.meldungen.pdf`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from koffer.pdf import pdfa, typesetting

logger = logging.getLogger("koffer.pdf")

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}

# --- the XML read back as plain data ------------------------------------------------------------


def _text(node: etree._Element | None, path: str) -> str:
    if node is None:
        return ""
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _day(node: etree._Element | None, path: str) -> str:
    raw = _text(node, path)
    try:
        return datetime.strptime(raw, "%Y%m%d").date().strftime("%d.%m.%Y")
    except ValueError:
        return raw


def _number(raw: str) -> Decimal | None:
    try:
        return Decimal(raw)
    except (InvalidOperation, ValueError):
        return None


def euro(raw: str) -> str:
    """``1234.5`` → ``1.234,50 €``; a price with more decimals keeps them (136,875 €)."""
    value = _number(raw)
    if value is None:
        return raw
    places = max(2, -int(value.normalize().as_tuple().exponent))
    text = f"{value:,.{places}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} €"


def _quantity(raw: str) -> str:
    value = _number(raw)
    return f"{value.normalize():f}".replace(".", ",") if value is not None else raw


def _period(node: etree._Element | None) -> str:
    start = _day(node, "ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString")
    end = _day(node, "ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString")
    if not start:
        return ""
    return start if start == end else f"{start}–{end}"


def _address(party: etree._Element | None) -> list[str]:
    address = party.find("ram:PostalTradeAddress", NS) if party is not None else None
    lines = [_text(address, "ram:LineOne"), _text(address, "ram:LineTwo")]
    city = f"{_text(address, 'ram:PostcodeCode')} {_text(address, 'ram:CityName')}".strip()
    return [line for line in (*lines, city) if line]


def invoice_data(xml: bytes) -> dict[str, Any]:
    """What the PDF shows, read from the CII XML (see :func:`render_rechnung`)."""
    root = etree.fromstring(xml)
    document = root.find("rsm:ExchangedDocument", NS)
    transaction = root.find("rsm:SupplyChainTradeTransaction", NS)
    agreement = transaction.find("ram:ApplicableHeaderTradeAgreement", NS)
    settlement = transaction.find("ram:ApplicableHeaderTradeSettlement", NS)
    seller = agreement.find("ram:SellerTradeParty", NS)
    buyer = agreement.find("ram:BuyerTradeParty", NS)
    contact = seller.find("ram:DefinedTradeContact", NS)
    tax = settlement.find("ram:ApplicableTradeTax", NS)
    sums = settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    means = settlement.find("ram:SpecifiedTradeSettlementPaymentMeans", NS)
    terms = settlement.find("ram:SpecifiedTradePaymentTerms", NS)
    number = _text(document, "ram:ID")
    kind = "Rechnungskorrektur" if _text(document, "ram:TypeCode") == "381" else "Rechnung"

    facts = [
        ["Rechnungsnummer", number],
        ["Rechnungsdatum", _day(document, "ram:IssueDateTime/udt:DateTimeString")],
        ["Leistungszeitraum", _period(settlement)],
        ["Leitweg-ID", _text(agreement, "ram:BuyerReference")],
    ]
    contract = _text(agreement, "ram:ContractReferencedDocument/ram:IssuerAssignedID")
    if contract:
        facts.append(["Kostenzusage/Aktenzeichen", contract])
    for reference in agreement.iterfind("ram:AdditionalReferencedDocument", NS):
        if _text(reference, "ram:TypeCode") == "916":
            name = _text(reference, "ram:Name") or "Leistungsnachweis"
            facts.append([name, _text(reference, "ram:IssuerAssignedID")])
    preceding = _text(settlement, "ram:InvoiceReferencedDocument/ram:IssuerAssignedID")
    if preceding:
        facts.append(["Ersetzt Rechnung", preceding])

    lines = []
    for item in transaction.iterfind("ram:IncludedSupplyChainTradeLineItem", NS):
        line_settlement = item.find("ram:SpecifiedLineTradeSettlement", NS)
        lines.append(
            {
                "nr": _text(item, "ram:AssociatedDocumentLineDocument/ram:LineID"),
                "name": _text(item, "ram:SpecifiedTradeProduct/ram:Name"),
                "beschreibung": _text(item, "ram:SpecifiedTradeProduct/ram:Description"),
                "zeitraum": _period(line_settlement),
                "menge": _quantity(
                    _text(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity")
                ),
                "preis": euro(
                    _text(
                        item,
                        "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/"
                        "ram:ChargeAmount",
                    )
                ),
                "betrag": euro(
                    _text(
                        line_settlement,
                        "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
                    )
                ),
            }
        )

    footer = [
        _text(seller, "ram:Name"),
        ", ".join(_address(seller)),
        _text(seller, "ram:SpecifiedLegalOrganization/ram:ID"),
    ]
    for registration in seller.iterfind("ram:SpecifiedTaxRegistration/ram:ID", NS):
        label = "USt-IdNr." if registration.get("schemeID") == "VA" else "Steuernummer"
        footer.append(f"{label} {(registration.text or '').strip()}")
    due = _day(terms, "ram:DueDateDateTime/udt:DateTimeString")
    iban = _text(means, "ram:PayeePartyCreditorFinancialAccount/ram:IBANID")
    bic = _text(means, "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID")
    reference = _text(settlement, "ram:PaymentReference") or number
    zahlung = [
        ["Zahlbetrag", euro(_text(sums, "ram:DuePayableAmount"))],
        ["Fällig am", due],
        ["Kontoinhaber", _text(means, "ram:PayeePartyCreditorFinancialAccount/ram:AccountName")],
        ["IBAN", " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))],
        ["BIC", bic],
        ["Verwendungszweck", reference],
    ]
    return {
        "art": kind,
        "nummer": number,
        "verkaeufer": _text(seller, "ram:Name"),
        "verkaeufer_anschrift": ", ".join(_address(seller)),
        "kontakt": [
            part
            for part in (
                _text(contact, "ram:PersonName"),
                _text(contact, "ram:TelephoneUniversalCommunication/ram:CompleteNumber"),
                _text(contact, "ram:EmailURIUniversalCommunication/ram:URIID"),
            )
            if part
        ],
        "empfaenger": [_text(buyer, "ram:Name"), *_address(buyer)],
        "angaben": facts,
        "hinweise": [
            _text(note, "ram:Content") for note in document.iterfind("ram:IncludedNote", NS)
        ],
        "positionen": lines,
        "summen": [
            ["Summe der Positionen", euro(_text(sums, "ram:LineTotalAmount"))],
            ["Umsatzsteuer (0 %)", euro(_text(sums, "ram:TaxTotalAmount"))],
            ["Rechnungsbetrag", euro(_text(sums, "ram:GrandTotalAmount"))],
        ],
        "steuer": _text(tax, "ram:ExemptionReason"),
        "steuer_code": _text(tax, "ram:ExemptionReasonCode"),
        "zahlungsbedingungen": _text(terms, "ram:Description"),
        "zahlung": [row for row in zahlung if row[1]],
        "fusszeile": [part for part in footer if part],
    }


# --- typesetting ---------------------------------------------------------------------------------


def render_rechnung(xml: bytes, *, today: date | None = None) -> bytes:
    """The invoice in ``xml`` as a tagged PDF; PDF/A-2a only if the check confirms it."""
    data = invoice_data(xml)
    data["erstellt"] = (today or date.today()).strftime("%d.%m.%Y")
    pdf = typesetting.typeset(RECHNUNG_TYP, data, standards=typesetting.TAGGED_PDFA, tagged=True)
    report = pdfa.check(pdf)
    if report.ok:
        return pdf
    logger.warning(
        "Rechnungs-PDF %s ohne PDF/A-Kennzeichnung erstellt: %s", data["nummer"], report.summary()
    )
    return typesetting.typeset(RECHNUNG_TYP, data, standards=typesetting.TAGGED, tagged=True)


RECHNUNG_TYP = """
#let muted = luma(80)
#set document(title: d.art + " " + d.nummer, author: d.verkaeufer)
#set text(size: 9.5pt)
#set par(leading: 0.55em, justify: false)
#set page(
  paper: "a4",
  margin: (left: 22mm, right: 18mm, top: 18mm, bottom: 24mm),
  footer: context {
    set text(size: 7pt, fill: muted)
    grid(
      columns: (1fr, auto),
      column-gutter: 6mm,
      d.fusszeile.join(" · "),
      [Seite #here().page() von #counter(page).final().first()],
    )
  },
)

#grid(
  columns: (1fr, auto),
  column-gutter: 8mm,
  [
    #text(size: 12pt, weight: "bold", d.verkaeufer)
    \\ #text(size: 8.5pt, fill: muted, d.verkaeufer_anschrift)
  ],
  align(right, text(size: 8.5pt, fill: muted, d.kontakt.join("\\n"))),
)
#v(10mm)
#grid(
  columns: (1fr, auto),
  column-gutter: 8mm,
  [
    #text(size: 7.5pt, fill: muted)[Rechnungsempfänger]
    \\ #d.empfaenger.join("\\n")
  ],
  align(right + bottom, text(size: 8.5pt)[Ansicht erstellt am #d.erstellt]),
)
#v(8mm)
#text(size: 20pt, weight: "bold")[#d.art #d.nummer]
#v(2mm)
#table(
  columns: (auto, 1fr),
  column-gutter: 6mm,
  stroke: none,
  inset: (x: 0pt, y: 3pt),
  ..d.angaben.map(a => (text(fill: muted, a.at(0)), a.at(1))).flatten()
)
#for h in d.hinweise { text(size: 9pt, h); linebreak() }
#v(4mm)
#table(
  columns: (auto, 1fr, auto, auto, auto),
  column-gutter: 2.5mm,
  stroke: (x, y) => if y == 0 { (bottom: 0.8pt) } else { (bottom: 0.3pt + luma(175)) },
  inset: (x: 3pt, y: 4pt),
  align: (x, y) => if x == 1 { left + top } else if x == 0 { left + top } else { right + top },
  table.header(
    text(weight: "bold", size: 8.5pt)[Pos.],
    text(weight: "bold", size: 8.5pt)[Leistung und Zeitraum],
    text(weight: "bold", size: 8.5pt)[Tage],
    text(weight: "bold", size: 8.5pt)[Preis je Tag],
    text(weight: "bold", size: 8.5pt)[Betrag],
  ),
  ..d.positionen.map(p => (
    text(size: 8.5pt, p.nr),
    [
      #text(size: 8.5pt, weight: "bold", p.name)
      #if p.zeitraum != "" { linebreak(); text(size: 8pt, fill: muted, p.zeitraum) }
      #if p.beschreibung != "" { linebreak(); text(size: 8pt, fill: muted, p.beschreibung) }
    ],
    text(size: 8.5pt, p.menge),
    text(size: 8.5pt, p.preis),
    text(size: 8.5pt, p.betrag),
  )).flatten()
)
#v(2mm)
#align(right, table(
  columns: (auto, auto),
  column-gutter: 8mm,
  stroke: none,
  inset: (x: 0pt, y: 3pt),
  align: (x, y) => if x == 0 { left } else { right },
  ..d.summen.enumerate().map(((i, s)) => {
    let w = if i == d.summen.len() - 1 { "bold" } else { "regular" }
    (text(weight: w, s.at(0)), text(weight: w, s.at(1)))
  }).flatten()
))
#v(3mm)
#block(width: 100%, text(size: 9pt)[
  #d.steuer#if d.steuer_code != "" [ (#d.steuer_code)].
])
#v(4mm)
#text(size: 11pt, weight: "bold")[Zahlung]
#v(1mm)
#if d.zahlungsbedingungen != "" { text(size: 9pt, d.zahlungsbedingungen); v(1mm) }
#table(
  columns: (auto, 1fr),
  column-gutter: 6mm,
  stroke: none,
  inset: (x: 0pt, y: 2.5pt),
  ..d.zahlung.map(a => (text(fill: muted, a.at(0)), a.at(1))).flatten()
)
#v(1fr)
#block(width: 100%, text(size: 7.5pt, fill: muted)[
  Diese Ansicht gibt die elektronische Rechnung (XRechnung) #d.nummer wieder. Maßgeblich
  ist die XRechnung; sie kann neben diesem Dokument heruntergeladen werden.
])
"""
