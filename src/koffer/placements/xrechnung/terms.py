"""German names of the EN 16931 business terms, for telling a person which field is wrong.

A finding of the validator names the field two ways: the official message usually names
the business term ("... (BT-43) muss übermittelt werden"), and its location is an XPath
into the CII document. :func:`field_label` tries the message first (it names what is
missing, while the location of a missing element is its parent), then the location, and
falls back to the element's own name.
"""

from __future__ import annotations

import re

# Business terms (BT) and groups (BG) an invoice of koffer uses, plus the ones the
# national rules talk about most. Names after the German XRechnung specification,
# shortened where the official name is long; BT-10 is what German offices call it.
TERMS: dict[str, str] = {
    "BT-1": "Rechnungsnummer",
    "BT-2": "Rechnungsdatum",
    "BT-3": "Rechnungsart",
    "BT-5": "Währung",
    "BT-9": "Fälligkeitsdatum",
    "BT-10": "Leitweg-ID",
    "BT-12": "Vertragsnummer (Kostenzusage)",
    "BT-13": "Bestellnummer",
    "BT-18": "Objektkennung (Belegung)",
    "BT-20": "Zahlungsbedingungen",
    "BT-22": "Bemerkung zur Rechnung",
    "BT-23": "Geschäftsprozess",
    "BT-24": "Spezifikationskennung",
    "BT-25": "Nummer der vorausgegangenen Rechnung",
    "BT-26": "Datum der vorausgegangenen Rechnung",
    "BT-27": "Name des Verkäufers",
    "BT-29": "Kennung des Verkäufers",
    "BT-30": "Registernummer des Verkäufers",
    "BT-31": "Umsatzsteuer-Identifikationsnummer des Verkäufers",
    "BT-32": "Steuernummer des Verkäufers",
    "BT-33": "Rechtliche Informationen des Verkäufers",
    "BT-34": "Elektronische Adresse des Verkäufers",
    "BT-35": "Straße des Verkäufers",
    "BT-37": "Ort des Verkäufers",
    "BT-38": "Postleitzahl des Verkäufers",
    "BT-40": "Land des Verkäufers",
    "BT-41": "Ansprechpartner des Verkäufers",
    "BT-42": "Telefonnummer des Ansprechpartners",
    "BT-43": "E-Mail-Adresse des Ansprechpartners",
    "BT-44": "Name des Käufers",
    "BT-46": "Kennung des Käufers",
    "BT-49": "Elektronische Adresse des Käufers",
    "BT-50": "Straße des Käufers",
    "BT-52": "Ort des Käufers",
    "BT-53": "Postleitzahl des Käufers",
    "BT-55": "Land des Käufers",
    "BT-72": "Leistungsdatum",
    "BT-73": "Beginn des Abrechnungszeitraums",
    "BT-74": "Ende des Abrechnungszeitraums",
    "BT-81": "Zahlungsart",
    "BT-83": "Verwendungszweck",
    "BT-84": "IBAN",
    "BT-85": "Kontoinhaber",
    "BT-86": "BIC",
    "BT-106": "Summe der Positionsbeträge",
    "BT-109": "Gesamtbetrag ohne Umsatzsteuer",
    "BT-110": "Summe der Umsatzsteuer",
    "BT-112": "Gesamtbetrag mit Umsatzsteuer",
    "BT-113": "Vorauszahlungen",
    "BT-115": "Zahlbetrag",
    "BT-116": "Steuerbemessungsgrundlage",
    "BT-117": "Steuerbetrag",
    "BT-118": "Steuerkategorie",
    "BT-119": "Steuersatz",
    "BT-120": "Grund der Steuerbefreiung",
    "BT-121": "Code des Steuerbefreiungsgrundes",
    "BT-122": "Leistungsnachweis (rechnungsbegründende Unterlage)",
    "BT-126": "Positionsnummer",
    "BT-127": "Bemerkung zur Position",
    "BT-129": "Menge",
    "BT-130": "Einheit",
    "BT-131": "Nettobetrag der Position",
    "BT-134": "Beginn des Leistungszeitraums der Position",
    "BT-135": "Ende des Leistungszeitraums der Position",
    "BT-146": "Nettopreis",
    "BT-151": "Steuerkategorie der Position",
    "BT-152": "Steuersatz der Position",
    "BT-153": "Bezeichnung der Position",
    "BT-154": "Beschreibung der Position",
    "BG-1": "Bemerkung zur Rechnung",
    "BG-3": "Vorausgegangene Rechnung",
    "BG-4": "Verkäufer",
    "BG-5": "Anschrift des Verkäufers",
    "BG-6": "Kontaktdaten des Verkäufers",
    "BG-7": "Käufer",
    "BG-8": "Anschrift des Käufers",
    "BG-14": "Abrechnungszeitraum",
    "BG-16": "Zahlungsanweisungen",
    "BG-17": "Überweisung",
    "BG-22": "Gesamtbeträge der Rechnung",
    "BG-23": "Umsatzsteueraufschlüsselung",
    "BG-24": "Rechnungsbegründende Unterlagen",
    "BG-25": "Rechnungsposition",
    "BG-26": "Leistungszeitraum der Position",
}

# Where a business term lives in CII: the last element names of its path (most specific
# first wins). Only unambiguous tails are listed.
_PATHS: dict[tuple[str, ...], str] = {
    ("ExchangedDocument", "ID"): "BT-1",
    ("ExchangedDocument", "IssueDateTime"): "BT-2",
    ("ExchangedDocument", "IssueDateTime", "DateTimeString"): "BT-2",
    ("ExchangedDocument", "TypeCode"): "BT-3",
    ("ExchangedDocument", "IncludedNote"): "BG-1",
    ("BusinessProcessSpecifiedDocumentContextParameter", "ID"): "BT-23",
    ("GuidelineSpecifiedDocumentContextParameter", "ID"): "BT-24",
    ("BuyerReference",): "BT-10",
    ("InvoiceCurrencyCode",): "BT-5",
    ("ContractReferencedDocument",): "BT-12",
    ("SellerTradeParty",): "BG-4",
    ("SellerTradeParty", "Name"): "BT-27",
    ("SellerTradeParty", "Description"): "BT-33",
    ("SellerTradeParty", "SpecifiedLegalOrganization", "ID"): "BT-30",
    ("SellerTradeParty", "DefinedTradeContact"): "BG-6",
    ("DefinedTradeContact", "PersonName"): "BT-41",
    ("SellerTradeParty", "DefinedTradeContact", "PersonName"): "BT-41",
    ("TelephoneUniversalCommunication", "CompleteNumber"): "BT-42",
    ("EmailURIUniversalCommunication", "URIID"): "BT-43",
    ("SellerTradeParty", "PostalTradeAddress"): "BG-5",
    ("SellerTradeParty", "PostalTradeAddress", "LineOne"): "BT-35",
    ("SellerTradeParty", "PostalTradeAddress", "CityName"): "BT-37",
    ("SellerTradeParty", "PostalTradeAddress", "PostcodeCode"): "BT-38",
    ("SellerTradeParty", "PostalTradeAddress", "CountryID"): "BT-40",
    ("SellerTradeParty", "URIUniversalCommunication", "URIID"): "BT-34",
    ("SellerTradeParty", "SpecifiedTaxRegistration", "ID"): "BT-31",
    ("BuyerTradeParty",): "BG-7",
    ("BuyerTradeParty", "Name"): "BT-44",
    ("BuyerTradeParty", "PostalTradeAddress"): "BG-8",
    ("BuyerTradeParty", "PostalTradeAddress", "LineOne"): "BT-50",
    ("BuyerTradeParty", "PostalTradeAddress", "CityName"): "BT-52",
    ("BuyerTradeParty", "PostalTradeAddress", "PostcodeCode"): "BT-53",
    ("BuyerTradeParty", "PostalTradeAddress", "CountryID"): "BT-55",
    ("BuyerTradeParty", "URIUniversalCommunication", "URIID"): "BT-49",
    ("PaymentReference",): "BT-83",
    ("SpecifiedTradeSettlementPaymentMeans",): "BG-16",
    ("SpecifiedTradeSettlementPaymentMeans", "TypeCode"): "BT-81",
    ("PayeePartyCreditorFinancialAccount",): "BG-17",
    ("PayeePartyCreditorFinancialAccount", "IBANID"): "BT-84",
    ("PayeePartyCreditorFinancialAccount", "AccountName"): "BT-85",
    ("PayeeSpecifiedCreditorFinancialInstitution", "BICID"): "BT-86",
    ("ApplicableHeaderTradeSettlement", "ApplicableTradeTax"): "BG-23",
    ("ApplicableHeaderTradeSettlement", "ApplicableTradeTax", "CalculatedAmount"): "BT-117",
    ("ApplicableHeaderTradeSettlement", "ApplicableTradeTax", "BasisAmount"): "BT-116",
    ("ApplicableHeaderTradeSettlement", "ApplicableTradeTax", "CategoryCode"): "BT-118",
    ("ApplicableHeaderTradeSettlement", "ApplicableTradeTax", "RateApplicablePercent"): "BT-119",
    ("ApplicableTradeTax", "ExemptionReason"): "BT-120",
    ("ApplicableTradeTax", "ExemptionReasonCode"): "BT-121",
    ("ApplicableHeaderTradeSettlement", "BillingSpecifiedPeriod"): "BG-14",
    ("ApplicableHeaderTradeSettlement", "BillingSpecifiedPeriod", "StartDateTime"): "BT-73",
    ("ApplicableHeaderTradeSettlement", "BillingSpecifiedPeriod", "EndDateTime"): "BT-74",
    ("SpecifiedTradePaymentTerms", "Description"): "BT-20",
    ("SpecifiedTradePaymentTerms", "DueDateDateTime"): "BT-9",
    ("SpecifiedTradeSettlementHeaderMonetarySummation",): "BG-22",
    ("SpecifiedTradeSettlementHeaderMonetarySummation", "LineTotalAmount"): "BT-106",
    ("SpecifiedTradeSettlementHeaderMonetarySummation", "TaxBasisTotalAmount"): "BT-109",
    ("SpecifiedTradeSettlementHeaderMonetarySummation", "TaxTotalAmount"): "BT-110",
    ("SpecifiedTradeSettlementHeaderMonetarySummation", "GrandTotalAmount"): "BT-112",
    ("SpecifiedTradeSettlementHeaderMonetarySummation", "TotalPrepaidAmount"): "BT-113",
    ("SpecifiedTradeSettlementHeaderMonetarySummation", "DuePayableAmount"): "BT-115",
    ("InvoiceReferencedDocument",): "BG-3",
    ("InvoiceReferencedDocument", "IssuerAssignedID"): "BT-25",
    ("IncludedSupplyChainTradeLineItem",): "BG-25",
    ("AssociatedDocumentLineDocument", "LineID"): "BT-126",
    ("AssociatedDocumentLineDocument", "IncludedNote"): "BT-127",
    ("SpecifiedTradeProduct", "Name"): "BT-153",
    ("SpecifiedTradeProduct", "Description"): "BT-154",
    ("NetPriceProductTradePrice", "ChargeAmount"): "BT-146",
    ("BilledQuantity",): "BT-129",
    ("SpecifiedLineTradeSettlement", "ApplicableTradeTax"): "BT-151",
    ("SpecifiedLineTradeSettlement", "ApplicableTradeTax", "CategoryCode"): "BT-151",
    ("SpecifiedLineTradeSettlement", "ApplicableTradeTax", "RateApplicablePercent"): "BT-152",
    ("SpecifiedLineTradeSettlement", "BillingSpecifiedPeriod"): "BG-26",
    ("SpecifiedTradeSettlementLineMonetarySummation", "LineTotalAmount"): "BT-131",
}
_LONGEST = max(len(key) for key in _PATHS)

_TERM_IN_TEXT = re.compile(r"\b(B[TG]-\d+)\b")
_STEP = re.compile(r"^(?:[\w.-]+:)?([\w.-]+)")


def label(term: str) -> str:
    """ "Leitweg-ID (BT-10)" for "BT-10"; the bare id for a term without a name here."""
    name = TERMS.get(term)
    return f"{name} ({term})" if name else term


def element_names(location: str) -> list[str]:
    """The local element names along an XPath like ``/rsm:A[1]/ram:B[1]`` (no predicates)."""
    names = []
    for step in location.split("/"):
        match = _STEP.match(step.strip())
        if match and not step.startswith("@"):
            names.append(match.group(1))
    return names


def term_at(location: str) -> str | None:
    """The business term an XPath points at, if its tail is one we know."""
    names = element_names(location)
    for size in range(min(_LONGEST, len(names)), 0, -1):
        term = _PATHS.get(tuple(names[-size:]))
        if term:
            return term
    return None


def field_label(*, message: str, location: str) -> str:
    """A short German name for the field a finding is about (see the module docstring)."""
    named = _TERM_IN_TEXT.findall(message)
    if named and named[0] in TERMS:
        return label(named[0])
    term = term_at(location)
    if term:
        return label(term)
    if named:
        return named[0]
    names = element_names(location)
    return names[-1] if names else "Rechnung"
